"""The example programs, run through the real CLI against the fixed registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_support import REPO_ROOT, TextSnapshot, mlc, transcript

EXAMPLES = sorted(path.name for path in (REPO_ROOT / "examples").glob("*.medlang"))
# The registry analyses, snapshot-tested against the fixed registry. (Other
# examples, e.g. evidence programs, are only required to check clean here.)
ANALYSES = [
    "audit_recent_runs.medlang",
    "best_surrogate.medlang",
    "best_surrogate_per_program.medlang",
    "bootstrap_ci.medlang",
    "compare_hybrid_runs.medlang",
    "compare_rl_evals.medlang",
    "config_diff.medlang",
    "dose_arm_table.medlang",
    "run_durations.medlang",
    "runs_per_kind.medlang",
]


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


def test_the_five_required_examples_exist() -> None:
    assert set(ANALYSES) <= set(EXAMPLES)


def test_examples_check_clean(in_repo: Path) -> None:
    result = mlc("check", *(f"examples/{name}" for name in EXAMPLES))
    assert result.stderr == ""
    assert result.stdout == f"ok: {len(EXAMPLES)} files checked\n"
    assert result.exit_code == 0


@pytest.mark.parametrize("name", ANALYSES)
def test_example_output(name: str, in_repo: Path, fixture_registry: Path, text_snapshot) -> None:
    result = mlc("run", f"examples/{name}", registry=fixture_registry)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == text_snapshot


@pytest.mark.parametrize("name", ANALYSES)
def test_example_on_an_empty_registry(
    name: str, in_repo: Path, tmp_path: Path, text_snapshot
) -> None:
    result = mlc("run", f"examples/{name}", registry=tmp_path / "empty")
    assert result.exit_code == 0, result.stderr
    assert transcript(result) == text_snapshot


def test_csv_export_example_writes_its_table_in_the_current_directory(
    tmp_path: Path, fixture_registry: Path, monkeypatch: pytest.MonkeyPatch, text_snapshot
) -> None:
    monkeypatch.chdir(tmp_path)
    example = REPO_ROOT / "examples" / "export_surrogate_evals.medlang"
    result = mlc("run", example, registry=fixture_registry)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Wrote 4 rows to surrogate_evals.csv\n"
    assert (tmp_path / "surrogate_evals.csv").read_text() == text_snapshot


def test_verbatim_function_runs_by_name(in_repo: Path, fixture_registry: Path) -> None:
    by_main = mlc("run", "examples/compare_hybrid_runs.medlang", registry=fixture_registry)
    by_name = mlc(
        "run",
        "examples/compare_hybrid_runs.medlang",
        "--fn",
        "compare_hybrid_runs",
        registry=fixture_registry,
    )
    assert by_name.exit_code == 0
    assert by_name.stdout == by_main.stdout
    assert by_main.stdout.count("finished at") == 3


def test_registry_comes_from_the_environment(
    in_repo: Path, fixture_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDLANG_REGISTRY", str(fixture_registry))
    result = mlc("run", "examples/best_surrogate.medlang")
    assert result.exit_code == 0
    assert "31162427-3bfd-4d33-8d00-38ec42650644" in result.stdout
