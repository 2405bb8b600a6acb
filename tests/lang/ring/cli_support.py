"""Running ``mlc`` in-process and turning its output into stable snapshot text."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from medlang.cli.main import cli

REPO_ROOT = Path(__file__).resolve().parents[3]


class TextSnapshot(SingleFileSnapshotExtension):
    """One readable ``.txt`` file per snapshot."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


def mlc(*args: str | Path, registry: Path | None = None) -> Result:
    """Run ``mlc [--registry DIR] ARGS...`` through click's test runner."""
    prefix = ["--registry", str(registry)] if registry is not None else []
    return CliRunner().invoke(cli, [*prefix, *map(str, args)], catch_exceptions=False)


def transcript(result: Result) -> str:
    """Exit code, stdout and stderr as one text, with machine paths masked."""
    text = (
        f"exit code: {result.exit_code}\n"
        f"--- stdout ---\n{result.stdout}"
        f"--- stderr ---\n{result.stderr}"
    )
    return mask_paths(text)


def mask_paths(text: str) -> str:
    return text.replace(str(REPO_ROOT) + "/", "")
