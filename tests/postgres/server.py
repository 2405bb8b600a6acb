"""A throwaway PostgreSQL server for the test run, from the operating system's binaries.

The tests need a real server, not a mock. This starts one in a temporary directory,
listening on 127.0.0.1 at a free port and on a private Unix socket, with password
authentication (so the tests can prove a password never leaks), and removes it all
at the end. PostgreSQL refuses to run as root: when the tests run as root, the
server runs as the ``postgres`` system user that the OS package creates.

``start(tls=True)`` also serves TLS with a certificate for 127.0.0.1 signed by a
certificate authority made for that server alone (``Server.ca_file``), using the
``openssl`` command; ``make_ca`` makes another one (a root the server's certificate
does not chain to).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Distinctive, so a test can grep everything written for it.
PASSWORD = "pw-Zq81-never-leak-7Xr"
USER = "medlang"


class NoServer(Exception):
    """No PostgreSQL server can be started on this machine (the reason, one line)."""


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str
    directory: Path
    _run_as: str | None
    ca_file: Path | None = None  # with tls=True: the root certificate clients should trust

    def dsn(self, database: str = "postgres", *, with_password: bool = False) -> str:
        secret = f":{self.password}" if with_password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database; returns its DSN (no password in it)."""
        import psycopg

        with psycopg.connect(self.dsn(), password=self.password, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def log(self) -> str:
        """What the server logged so far (with tls=True, every connection is logged)."""
        return (self.directory / "server.log").read_text(errors="replace")

    def restart(self) -> None:
        # the log file again: with none, the new server would hold our output pipe open
        self._pg_ctl("restart", "-m", "fast", "-w", "-l", str(self.directory / "server.log"))

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate", "-w", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        _run([_binary("pg_ctl"), "-D", str(self.directory / "data"), *args], self._run_as, check)


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise NoServer(f"no PostgreSQL server binaries ({name}) on this machine")
    return candidates[0]


def _run(command: list[str], run_as: str | None, check: bool = True) -> None:
    done = subprocess.run(
        command, user=run_as, capture_output=True, text=True, timeout=120, check=False
    )
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise NoServer(f"{Path(command[0]).name} failed: {' | '.join(detail)}")


def make_ca(directory: Path, name: str = "ca") -> tuple[Path, Path]:
    """A self-signed certificate authority in ``directory``: (certificate, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate, key = directory / f"{name}.crt", directory / f"{name}.key"
    _openssl(
        "req", "-x509", "-new", *_EC_KEY, "-nodes", "-days", "2",
        "-subj", f"/CN=MedLang test {name}", "-keyout", str(key), "-out", str(certificate),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return certificate, key


def _server_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key): the server's names are
    127.0.0.1 and localhost, so ``sslmode=verify-full`` can check the host."""
    ca, ca_key = make_ca(directory)
    certificate, key, request = (directory / f"server.{e}" for e in ("crt", "key", "csr"))
    extensions = directory / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "req", "-new", *_EC_KEY, "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(key), "-out", str(request),
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(certificate),
    )  # fmt: skip
    return ca, certificate, key


_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")  # fast to make


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise NoServer("no openssl command to make the TLS certificates with")
    _run([openssl, *args], None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*, tls: bool = False) -> Server:
    """Initialise and start a server (serving TLS too, with ``tls``); ``NoServer`` says
    why when that cannot be done."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise NoServer("running as root and there is no 'postgres' user") from None
        run_as = "postgres"
    directory = Path(tempfile.mkdtemp(prefix="medlang-pg-"))
    data, sockets = directory / "data", directory / "sockets"
    sockets.mkdir()
    password_file = directory / "password"
    password_file.write_text(PASSWORD)
    if run_as:
        entry = pwd.getpwnam(run_as)
        for path in (directory, sockets, password_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    ca_file = None
    try:
        _run(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                USER,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            run_as,
        )
        password_file.unlink()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        if tls:
            ca_file, certificate, key = _server_certificate(directory / "tls")
            if run_as:  # the server reads its key, which must be its own and private
                for path in (directory / "tls", certificate, key):
                    os.chown(path, entry.pw_uid, entry.pw_gid)
            key.chmod(0o600)
            options += (
                f" -c ssl=on -c ssl_cert_file={certificate} -c ssl_key_file={key}"
                " -c log_connections=on"
            )
        _run(
            [
                pg_ctl,
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(directory / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            run_as,
        )
    except NoServer:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Server("127.0.0.1", port, USER, PASSWORD, directory, run_as, ca_file)
