"""What users see for wrong programs: diagnostics and runtime errors, snapshot-tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_support import REPO_ROOT, TextSnapshot, mlc, transcript

ERROR_DIR = REPO_ROOT / "tests" / "lang" / "ring" / "error_programs"
PROGRAMS = sorted(path.name for path in ERROR_DIR.glob("*.medlang"))
# Programs named run_* / runtime_* pass the checker and fail when run.
RUN_PROGRAMS = [name for name in PROGRAMS if name.startswith("run")]
CHECK_PROGRAMS = [name for name in PROGRAMS if not name.startswith("run")]
RELATIVE_DIR = ERROR_DIR.relative_to(REPO_ROOT)


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


def test_corpus_covers_every_mistake_class() -> None:
    assert len(PROGRAMS) >= 20
    assert len(RUN_PROGRAMS) >= 4


@pytest.mark.parametrize("name", CHECK_PROGRAMS)
def test_check_reports(name: str, in_repo: Path, text_snapshot) -> None:
    result = mlc("check", RELATIVE_DIR / name)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{RELATIVE_DIR / name}:" in result.stderr or "import_cycle" in name
    assert "Traceback" not in result.output
    assert transcript(result) == text_snapshot


@pytest.mark.parametrize("name", CHECK_PROGRAMS)
def test_run_refuses_to_start_a_program_with_errors(name: str, in_repo: Path) -> None:
    checked = mlc("check", RELATIVE_DIR / name)
    ran = mlc("run", RELATIVE_DIR / name)
    assert ran.exit_code == 1
    assert ran.stdout == ""  # nothing executed
    assert checked.stderr.split("\n\n")[0] in ran.stderr


@pytest.mark.parametrize("name", RUN_PROGRAMS)
def test_run_reports(name: str, in_repo: Path, fixture_registry: Path, text_snapshot) -> None:
    assert mlc("check", RELATIVE_DIR / name).exit_code == 0
    result = mlc("run", RELATIVE_DIR / name, registry=fixture_registry)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert transcript(result) == text_snapshot


def test_check_reports_all_files_at_once(in_repo: Path, text_snapshot) -> None:
    names = ["unknown_name.medlang", "println_placeholders.medlang", "syntax_error.medlang"]
    result = mlc("check", *(RELATIVE_DIR / name for name in names))
    assert result.exit_code == 1
    assert transcript(result) == text_snapshot


def test_run_a_named_function(in_repo: Path, fixture_registry: Path) -> None:
    result = mlc(
        "run",
        RELATIVE_DIR / "run_missing_main.medlang",
        "--fn",
        "report",
        registry=fixture_registry,
    )
    assert result.exit_code == 0
    assert result.stdout == "16 runs\n"


def test_run_prints_a_returned_value(in_repo: Path, fixture_registry: Path) -> None:
    result = mlc(
        "run",
        RELATIVE_DIR / "run_missing_main.medlang",
        "--fn",
        "summary_line",
        registry=fixture_registry,
    )
    assert result.exit_code == 0
    assert result.stdout == "16 runs\n"


@pytest.mark.parametrize("fn", ["report_kind", "no_such_function"])
def test_run_unrunnable_function(fn: str, in_repo: Path, text_snapshot) -> None:
    result = mlc("run", RELATIVE_DIR / "run_missing_main.medlang", "--fn", fn)
    assert result.exit_code == 1
    assert transcript(result) == text_snapshot


@pytest.mark.parametrize("target", ["no/such/file.medlang", "examples"])
def test_run_missing_file_is_one_line(target: str, in_repo: Path) -> None:
    result = mlc("run", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: cannot run {target}: ")


def test_check_missing_file(in_repo: Path) -> None:
    result = mlc("check", "no/such/file.medlang")
    assert result.exit_code == 1
    assert "no/such/file.medlang" in result.stderr
    assert "Traceback" not in result.output
