"""Finding and evaluating an evidence program: ``--evidence-program NAME`` among the
project's ``.medlang`` files, or ``--file PATH``; then run it and validate the value."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from medlang.evidence.common import EVIDENCE_MAX_STEPS
from medlang.evidence.errors import EvidenceError, is_dir, is_file
from medlang.evidence.program import EvidenceProgram

RETURN_TYPE = "EvidenceProgram"
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "build", "dist"}


@dataclass(frozen=True)
class LoadedProgram:
    program: EvidenceProgram
    function: str
    module_path: Path  # absolute
    module_sha256: str
    module_name: str = ""  # the dotted name of the `module` line (else the file's stem)
    # (import name, absolute path, sha256) of each user module it imports
    imports: tuple[tuple[str, Path, str], ...] = ()

    def record(self) -> dict:
        """How the program is recorded in a run's config (``inputs.evidence_program``).

        ``sha256`` covers the module's file only; ``program_sha256`` covers the value
        the program evaluated to, so a change in a module it imports is noticed too.
        """
        recorded = {
            "name": self.function,
            "module_path": str(self.module_path),
            "sha256": self.module_sha256,
            "program_sha256": self.program.value_sha256(),
            "fingerprint": self.program.fingerprint(),
        }
        if self.module_name:
            recorded["module"] = self.module_name
        if self.imports:  # stored with the run, so a replay has every file it needs
            recorded["imports"] = [
                {"module": name, "path": str(path), "sha256": sha256}
                for name, path, sha256 in self.imports
            ]
        return recorded


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _medlang_files(root: Path):
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".medlang"):
                yield Path(directory) / name


def _evidence_functions(path: Path):
    """Zero-argument functions of ``path`` declared to return an EvidenceProgram."""
    from medlang.lang.api import MedLangError, list_functions

    try:
        functions = list_functions(path)
    except MedLangError as error:
        raise EvidenceError(str(error)) from None
    return [f for f in functions if not f.params and f.return_type == RETURN_TYPE]


class ProgramNotFound(EvidenceError):
    """No program named (or none found): a recorded config may still name one."""


def recorded_program(*config_paths: Path | None) -> tuple[str, Path] | None:
    """(name, module path) of the program an exported config recorded, if its module
    still exists. Unreadable files are left to the config reader to report."""
    for path in config_paths:
        if path is None:
            continue
        try:
            data = json.loads(path.expanduser().read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            continue  # the config reader reports it, naming the file
        inputs = data.get("inputs") if isinstance(data, dict) else None
        program = inputs.get("evidence_program") if isinstance(inputs, dict) else None
        if not isinstance(program, dict):
            continue
        name, module = program.get("name"), program.get("module_path")
        if isinstance(name, str) and isinstance(module, str) and Path(module).is_file():
            return name, Path(module)
    return None


def find_program(name: str | None, file: Path | None, project: Path) -> tuple[Path, str]:
    """(module path, function name) of the requested evidence program."""
    if file is not None:
        if not is_file(file):
            raise EvidenceError(f"{file}: no such file")
        candidates = [f.name for f in _evidence_functions(file)]
        if name is not None:
            if name not in candidates:
                raise EvidenceError(
                    f"{file}: no zero-argument function '{name}' returning {RETURN_TYPE}"
                    + (f" (found: {', '.join(candidates)})" if candidates else "")
                )
            return file.resolve(), name
        if len(candidates) != 1:
            found = ", ".join(candidates) or "none"
            raise EvidenceError(
                f"{file}: name the evidence program with --evidence-program "
                f"(functions returning {RETURN_TYPE}: {found})"
            )
        return file.resolve(), candidates[0]
    if name is None:
        raise ProgramNotFound(
            "name the evidence program with --evidence-program NAME or --file PATH"
        )
    if not is_dir(project):
        raise EvidenceError(f"{project}: project directory does not exist")
    matches = []
    for path in _medlang_files(project):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if f"fn {name}" in text and any(f.name == name for f in _evidence_functions(path)):
            matches.append(path.resolve())
    if not matches:
        raise ProgramNotFound(
            f"evidence program '{name}' not found in any .medlang file under {project}"
        )
    if len(matches) > 1:
        listed = ", ".join(str(m) for m in matches)
        raise EvidenceError(f"evidence program '{name}' is defined in several files: {listed}")
    return matches[0], name


STEPS_ADVICE = "an evidence program is evaluated within a step budget"


def load_evidence_program(
    name: str | None,
    file: Path | None,
    project: Path,
    registry_root: Path | str | None = None,
    configs: tuple[Path | None, ...] = (),
    max_steps: int = EVIDENCE_MAX_STEPS,
) -> LoadedProgram:
    """Find, check, run and validate the evidence program.

    Without ``--file``, a program not found in the project (or not named) is the
    one an exported config among ``configs`` recorded, if it has the same name:
    an exported config reproduces its run from any directory. The config's
    sha256 checks then make sure it is still the same program. The program runs
    within ``max_steps`` interpreter steps.
    """
    from medlang.lang.api import MedLangError, MedLangRuntimeError, load_program
    from medlang.lang.interpret import Limits
    from medlang.lang.values import to_python

    try:
        path, function = find_program(name, file, project)
    except ProgramNotFound:
        recorded = recorded_program(*configs) if file is None else None
        if recorded is None or name not in (None, recorded[0]):
            raise
        path, function = find_program(recorded[0], recorded[1], project)
    try:
        loaded_program = load_program(path)
        limits = Limits(
            max_steps=max_steps, steps_advice=f"{STEPS_ADVICE}; raise it with --max-steps"
        )
        value = loaded_program.call(function, registry_root=registry_root, limits=limits)
    except MedLangError as error:
        raise EvidenceError(str(error)) from None
    except MedLangRuntimeError as error:
        raise EvidenceError(error.render()) from None
    program = EvidenceProgram.from_value(to_python(value), f"{path}: {function}()")
    imports = tuple(
        (name, module, sha256_of(module)) for name, module in loaded_program.user_imports()
    )
    module_name = loaded_program.module_name or path.stem
    return LoadedProgram(program, function, path, sha256_of(path), module_name, imports)
