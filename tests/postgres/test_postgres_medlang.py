"""MedLang's ``med.registry`` on a PostgreSQL registry (a real server): the example
analyses and a program calling every function of the module print exactly what they
print on a directory registry holding the same runs, tags and lineage."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from medlang.registry import Registry
from tests.lang.ring.cli_support import REPO_ROOT, mlc
from tests.lang.ring.fixture_registry import HYBRID_1, SURROGATE_EVAL_BEST, build_registry
from tests.lang.ring.test_ring_examples import ANALYSES
from tests.provenance import chain

EVERY_FUNCTION = Path(__file__).parent / "programs" / "every_registry_function.medlang"
PROGRAMS = [
    *(REPO_ROOT / "examples" / name for name in ANALYSES),
    REPO_ROOT / "examples" / "trace_lineage.medlang",
    EVERY_FUNCTION,
]


def _fill(root: Path | str) -> None:
    """The ring's fixed runs, the provenance chain (inputs linked by sha256) and tags."""
    build_registry(root)
    chain.build(root)
    registry = Registry.open(root)
    registry.tag_run(SURROGATE_EVAL_BEST, {"paper": "fig3", "reviewer": "ada"})
    registry.tag_run(HYBRID_1, {"paper": "fig3"})
    registry.tag_run(HYBRID_1, {}, remove=["paper"])


@pytest.fixture(scope="module")
def twins(pg_server, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A server registry and a directory registry holding the same; the tests only read."""
    from medlang.registry.postgres_store import PostgresStore

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PGPASSWORD", pg_server.password)
        server = pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
        PostgresStore(server).migrate()
        directory = tmp_path_factory.mktemp("twin") / "registry"
        _fill(server)
        _fill(directory)
        patch.chdir(REPO_ROOT)
        yield server, directory


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda path: path.stem)
def test_a_program_prints_the_same_on_the_server_as_on_a_directory(twins, program):
    server, directory = twins
    on_server = mlc("run", program, registry=server)
    on_disk = mlc("run", program, registry=directory)
    assert on_server.exit_code == 0, on_server.stderr
    assert on_disk.exit_code == 0, on_disk.stderr
    assert on_server.stdout == on_disk.stdout
    assert on_server.stdout.strip()


def test_every_function_reads_runs_tags_and_lineage_from_the_server(twins):
    server, _ = twins
    printed = mlc("run", EVERY_FUNCTION, registry=server).stdout
    assert f"query: {SURROGATE_EVAL_BEST} rmse=Some(0.031)" in printed
    assert f"{SURROGATE_EVAL_BEST}: int None bool Some(true)" in printed
    assert 'tags {"paper": "fig3", "reviewer": "ada"}' in printed
    assert f'produced by Some("{chain.fixed_id(1)}")' in printed  # lineage by sha256
    assert "runs: 22 listed, 22 in all, 5 hybrid" in printed


def test_a_missing_run_is_a_medlang_runtime_error_naming_it(twins, tmp_path):
    program = tmp_path / "missing.medlang"
    program.write_text(
        "module missing;\n\nimport med.registry::{get_run};\n\n"
        'fn main() {\n  let run = get_run("0123abcd-0000-4000-8000-000000000000");\n}\n'
    )
    result = mlc("run", program, registry=twins[0])
    assert result.exit_code == 1
    assert "0123abcd-0000-4000-8000-000000000000" in result.stderr
    assert f"{program}:6:" in result.stderr and "Traceback" not in result.stderr
