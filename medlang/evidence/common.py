"""What every producer shares: the request, atomic JSON output, the progress bar
and logging the run."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medlang.evidence.errors import EvidenceError
from medlang.files import write_text_atomic
from medlang.registry.guard import OutputInRegistryError, refuse_registry_output

if TYPE_CHECKING:
    from medlang.evidence.discovery import LoadedProgram


# Evidence programs are evaluated within a step budget, so a program that loops
# fails in seconds instead of hanging the producer (the example program takes a
# few hundred steps); --max-steps raises it.
EVIDENCE_MAX_STEPS = 10_000_000


@dataclass(frozen=True)
class Request:
    """Options common to every run-producing command."""

    evidence_program: str | None
    file: Path | None
    project: Path
    registry_root: Path | str  # a directory, or a postgresql:// URL
    log: bool = False
    quiet: bool = False
    store: bool = True  # --no-store: log paths and sha256 only, copy nothing
    replay: Any = None  # a recording.Judge when ``mlc runs replay`` re-executes a run
    max_steps: int = EVIDENCE_MAX_STEPS  # interpreter steps for the evidence program

    def shown_path(self, path: Path) -> str:
        """How an output names an input file: its path, or, when ``mlc runs replay``
        re-executes a run from copies, the path the original run read (so the
        replayed output can be byte-identical)."""
        original = getattr(self.replay, "original_paths", {}).get(str(path))
        return original if original is not None else str(path)

    # --set KEY=VALUE (and --seed), checked against the command's config model
    overrides: dict[str, str] = field(default_factory=dict)
    # how the user spelled an option that has older aliases ("--out" -> "--out-model"),
    # so messages name what was typed
    spelled: dict[str, str] = field(default_factory=dict)

    def option(self, name: str) -> str:
        return self.spelled.get(name, name)

    def load_program(self, *configs: Path | None) -> LoadedProgram:
        """The evidence program these options name (``configs`` may record it, see
        ``load_evidence_program``)."""
        from medlang.evidence.discovery import load_evidence_program

        return load_evidence_program(
            self.evidence_program,
            self.file,
            self.project,
            self.registry_root,
            configs=configs,
            max_steps=self.max_steps,
        )


@dataclass(frozen=True)
class Produced:
    metrics: dict
    outputs: list[Path]
    run_id: str | None


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: output files and metrics stay strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    return value


STDOUT = "-"  # --out -: the one output file goes to stdout


def check_output_path(
    path: Path | str, option: str, inputs: Iterable[Path | None], registry_root: Path | str
) -> Path:
    """Fail before any work if ``path`` cannot be an output file, is one of the run's
    ``inputs`` (``--out evidence.medlang`` would replace the program), or is inside
    the registry (``--out $MEDLANG_REGISTRY/runs.jsonl`` would replace the run log).

    Pass the user's text when there is one: ``Path("out/")`` forgets the trailing
    separator that says "a directory", and the result would be a file called ``out``.
    """
    text = os.fspath(path)
    if text == STDOUT:
        return Path(STDOUT)
    if text.endswith(("/", os.sep)):
        raise EvidenceError(f"{text}: {option} is a directory (ends with '/'), not a file")
    path = Path(text)
    try:
        refuse_registry_output(text, registry_root, option)
    except OutputInRegistryError as error:
        raise EvidenceError(str(error)) from None
    try:
        path = _checked_output_path(path, option)
        if path.exists() and any(p is not None and path.samefile(p) for p in inputs):
            raise EvidenceError(f"{path}: {option} is an input of this run; refusing to replace it")
        return path
    except OSError as error:  # a name too long, a loop of symlinks ...
        raise EvidenceError(f"{path}: {option}: {error.strerror or error}") from None


def _checked_output_path(path: Path, option: str) -> Path:
    path = path.expanduser()
    if _is_special(path):  # /dev/stdout, a FIFO: resolving would name no writable file
        return path.absolute()
    path = path.resolve()
    if path.is_dir():
        raise EvidenceError(f"{path}: {option} is a directory, not a file")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise EvidenceError(f"{path}: {option}: directory {parent} is not writable")
    return path


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` whole or not at all (``files.write_atomic``),
    or to stdout for ``--out -``."""
    text = json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n"
    if str(path) == STDOUT:  # --out -: the whole document at once, nothing else on stdout
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        write_text_atomic(path, text)
    except OSError as error:
        raise EvidenceError(f"{path}: cannot write: {error.strerror or error}") from None


def _is_special(path: Path) -> bool:
    """An existing output that is neither a regular file nor a directory."""
    return path.exists() and not path.is_file() and not path.is_dir()


@contextmanager
def progress_bar(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal (and not ``--quiet``)."""
    if quiet or not sys.stderr.isatty():
        yield lambda n: None
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def new_logger(request: Request, loaded):
    from medlang.registry import Registry, RunLogger

    return RunLogger.new_for_project(
        request.project,
        module_path=loaded.module_name or None,
        evidence_program=loaded.function,
        registry=Registry(request.registry_root),
        store_files=request.store,
    )
