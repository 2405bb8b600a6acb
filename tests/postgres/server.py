"""A throwaway PostgreSQL server for the test run, from the operating system's binaries.

The tests need a real server, not a mock. This starts one in a temporary directory,
listening on 127.0.0.1 at a free port and on a private Unix socket, with password
authentication (so the tests can prove a password never leaks), and removes it all
at the end. PostgreSQL refuses to run as root: when the tests run as root, the
server runs as the ``postgres`` system user that the OS package creates.
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start() -> Server:
    """Initialise and start a server; ``NoServer`` says why when that cannot be done."""
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
    return Server("127.0.0.1", port, USER, PASSWORD, directory, run_as)
