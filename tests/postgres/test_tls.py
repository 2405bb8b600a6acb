"""TLS settings in a registry URL reach libpq (a real server serving TLS, with a
certificate authority made for it): ``sslmode=require`` connects over TLS, and a
certificate that cannot be verified is one readable line, never a traceback or the
password."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from medlang.registry import Registry, RegistryError
from tests.postgres import server as pg


@pytest.fixture(scope="module")
def tls_server() -> Iterator[pg.Server]:
    try:
        running = pg.start(tls=True)
    except pg.NoServer as reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL TLS tests: {reason}")
        pytest.skip(f"no PostgreSQL server with TLS: {reason}")
    yield running
    running.stop()


@pytest.fixture
def tls_registry(tls_server, monkeypatch) -> str:
    """A migrated registry on the TLS server: its URL (no settings yet)."""
    monkeypatch.setenv("PGPASSWORD", tls_server.password)
    url = tls_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    Registry.open(url).store.migrate()
    return url


def mlc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medlang", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )


def _tls_of_own_connection(registry: Registry) -> tuple[bool, str | None]:
    """(ssl, protocol) of the registry's own connection, as the server sees it."""
    return registry.store._run(  # the store's connection, opened from the URL
        lambda conn: conn.execute(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    )


def test_sslmode_require_connects_over_tls_and_disable_does_not(tls_registry):
    assert Registry.open(f"{tls_registry}?sslmode=require").count_runs() == 0
    ssl, protocol = _tls_of_own_connection(Registry.open(f"{tls_registry}?sslmode=require"))
    assert ssl is True and protocol.startswith("TLS")
    assert _tls_of_own_connection(Registry.open(f"{tls_registry}?sslmode=disable")) == (
        False,
        None,
    )


def test_the_cli_passes_the_settings_and_verifies_the_server(tls_server, tls_registry):
    database = tls_registry.rsplit("/", 1)[1]
    verified = f"{tls_registry}?sslmode=verify-full&sslrootcert={tls_server.ca_file}"
    result = mlc("--registry", verified, "runs", "list")
    assert result.returncode == 0, result.stderr
    connections = [
        line
        for line in tls_server.log().splitlines()
        if f"database={database} application_name=mlc" in line and "connection authorized" in line
    ]
    assert connections and all("SSL enabled" in line for line in connections)


def _one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot connect to postgresql://")
    for text in expected:
        assert text in lines[0]
    assert pg.PASSWORD not in result.stderr and "Traceback" not in result.stderr


def test_a_server_certificate_from_another_authority_is_refused_in_one_line(tls_registry, tmp_path):
    other_ca, _ = pg.make_ca(tmp_path, "other")
    url = f"{tls_registry}?sslmode=verify-full&sslrootcert={other_ca}"
    _one_line_error(mlc("--registry", url, "runs", "list"), "certificate verify failed")
    with pytest.raises(RegistryError, match="certificate verify failed"):
        Registry.open(url).count_runs()


def test_a_missing_root_certificate_is_refused_in_one_line(tls_registry, tmp_path):
    missing = tmp_path / "no-such-root.crt"
    url = f"{tls_registry}?sslmode=verify-full&sslrootcert={missing}"
    _one_line_error(mlc("--registry", url, "runs", "list"), str(missing), "does not exist")


def test_requiring_tls_of_a_server_without_it_is_one_line(pg_registry):
    _one_line_error(
        mlc("--registry", f"{pg_registry}?sslmode=require", "runs", "list"),
        "server does not support SSL",
    )
