"""Module resolution and loading: each file is read and parsed once, imports are
followed depth-first, and an import cycle is reported naming the whole cycle.

Resolution of ``import a.b.c``:
1. ``med.*`` -> the stdlib shipped with the package (``stdlib/med/...``);
2. the importing file's directory, then the entry file's directory and its parents
   up to the project root (the first directory holding ``.git``, ``pyproject.toml``
   or ``medlang.toml``), trying ``a/b/c.medlang``, then ``b/c.medlang``, then
   ``c.medlang`` in each;
3. each directory of ``MEDLANG_PATH`` and of the caller's ``search_path``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medlang.lang import ast
from medlang.lang.ast import Span
from medlang.lang.diagnostics import Diagnostic, make
from medlang.lang.parse import ParseFailure, parse_module
from medlang.resources import stdlib_dir

_PROJECT_MARKERS = (".git", "pyproject.toml", "medlang.toml")
_MAX_PARENTS_WITHOUT_ROOT = 2  # outside a project, look only this far up
MAX_SOURCE_BYTES = 2 << 20
# Checking takes about 50 us and 3 KB of memory per line (linear in the size): a
# 2 MiB source (some 60,000 lines, far beyond any real program) checks in a few
# seconds; a bigger one is refused at once instead of taking minutes and gigabytes.


@dataclass(eq=False)
class LoadedModule:
    name: str  # the `module` line, else the name it was imported by (file stem for the entry)
    path: Path
    source: str
    tree: ast.Module
    # import node -> the module it refers to (missing when resolution failed)
    imports: dict[ast.Import, LoadedModule] = field(default_factory=dict)

    @property
    def display_path(self) -> str:
        return display_path(self.path)


@dataclass
class ModuleGraph:
    entry: LoadedModule | None  # None when the entry file itself could not be parsed
    modules: list[LoadedModule]  # dependencies before the modules importing them
    diagnostics: list[Diagnostic]


def display_path(path: Path) -> str:
    """Paths in messages are relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_file(path: Path) -> tuple[str | None, Diagnostic | None]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)  # bounded: /dev/zero never ends
        if len(data) > MAX_SOURCE_BYTES and path.is_file():
            size = path.stat().st_size / (1 << 20)
            message = (
                f"source file too large to check ({size:.1f} MiB; the limit is "
                f"{MAX_SOURCE_BYTES >> 20} MiB): split it into modules"
            )
            return None, make("error", message, display_path(path), Span(1, 1, 1, 2), None)
        if len(data) > MAX_SOURCE_BYTES:
            reason = f"larger than {MAX_SOURCE_BYTES >> 20} MiB"
        else:
            text = data.decode("utf-8-sig")  # newlines as read_text gives them:
            return text.replace("\r\n", "\n").replace("\r", "\n"), None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    message = f"cannot read file: {reason}"
    return None, make("error", message, display_path(path), Span(1, 1, 1, 2), None)


class Loader:
    def __init__(self, entry: Path, search_path: Sequence[Path] = ()) -> None:
        self.entry = entry.resolve() if entry.exists() else entry.absolute()
        self.search_dirs = self._search_dirs(search_path)
        self.by_path: dict[Path, LoadedModule | None] = {}
        self.order: list[LoadedModule] = []
        self.diagnostics: list[Diagnostic] = []
        self._stack: list[Path] = []

    def load(self) -> ModuleGraph:
        entry = self._load(self.entry, fallback_name=None)
        return ModuleGraph(entry, self.order, self.diagnostics)

    # -- loading
    def _load(self, path: Path, fallback_name: str | None) -> LoadedModule | None:
        if path in self.by_path:
            return self.by_path[path]
        source, problem = load_file(path)
        if problem is not None:
            self.diagnostics.append(problem)
            self.by_path[path] = None
            return None
        shown = display_path(path)
        try:
            tree = parse_module(source, shown)
        except ParseFailure as failure:
            self.diagnostics.extend(failure.diagnostics)
            self.by_path[path] = None
            return None
        name = tree.name or fallback_name or path.stem
        module = LoadedModule(name, path, source, tree)
        self.by_path[path] = module
        self._stack.append(path)
        for node in tree.imports:
            target = self._follow(module, node)
            if target is not None:
                module.imports[node] = target
        self._stack.pop()
        self.order.append(module)
        return module

    def _follow(self, importer: LoadedModule, node: ast.Import) -> LoadedModule | None:
        candidates = self.candidates(node.module, importer.path.parent)
        found = next((c for c in candidates if _is_file(c)), None)
        if found is None:
            self._error(
                importer,
                node.module_span,
                f"unknown module '{node.module}'",
                _stdlib_suggestion(node.module) or self._not_found_hint(node.module, candidates),
            )
            return None
        found = found.resolve()
        if found in self._stack:
            cycle = self._stack[self._stack.index(found) :] + [found]
            names = " -> ".join(self._name_of(p) for p in cycle)
            self._error(
                importer,
                node.module_span,
                f"import cycle: {names}",
                "modules may not import each other; move the shared part to a third module",
            )
            return None
        return self._load(found, fallback_name=node.module)

    def _name_of(self, path: Path) -> str:
        module = self.by_path.get(path)
        return module.name if module is not None else path.stem

    def _error(self, module: LoadedModule, span: Span, message: str, hint: str | None) -> None:
        self.diagnostics.append(
            make("error", message, module.display_path, span, module.source, hint)
        )

    @staticmethod
    def _not_found_hint(name: str, candidates: list[Path]) -> str:
        shown = [display_path(c) for c in candidates[:4]]
        more = f" and {len(candidates) - 4} more" if len(candidates) > 4 else ""
        return f"looked for {', '.join(shown)}{more}; set MEDLANG_PATH to add directories"

    # -- resolution
    def candidates(self, module_name: str, importer_dir: Path) -> list[Path]:
        parts = module_name.split(".")
        found: list[Path] = []
        if parts[0] == "med":
            with contextlib.suppress(FileNotFoundError):  # stdlib missing: project only
                found.append(stdlib_dir().joinpath(*parts).with_suffix(".medlang"))
        dirs = [importer_dir, *self._project_dirs()]
        for directory in _unique(dirs):
            for start in range(len(parts)):
                found.append(directory.joinpath(*parts[start:]).with_suffix(".medlang"))
        for directory in self.search_dirs:
            found.append(directory.joinpath(*parts).with_suffix(".medlang"))
        return _unique(found)

    def _project_dirs(self) -> list[Path]:
        start = self.entry.parent
        chain = [start, *start.parents]
        for index, directory in enumerate(chain):
            if any((directory / marker).exists() for marker in _PROJECT_MARKERS):
                return chain[: index + 1]
        return chain[: _MAX_PARENTS_WITHOUT_ROOT + 1]

    @staticmethod
    def _search_dirs(search_path: Sequence[Path]) -> list[Path]:
        env = os.environ.get("MEDLANG_PATH", "")
        dirs = [Path(p) for p in env.split(os.pathsep) if p]
        return [d.expanduser() for d in (*dirs, *map(Path, search_path))]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long to look up names no file
        return False


def _stdlib_suggestion(module_name: str) -> str | None:
    """For a misspelt ``med.*`` module, the closest stdlib module's name."""
    if not module_name.startswith("med."):
        return None
    import difflib

    try:
        root = stdlib_dir()
    except FileNotFoundError:
        return None
    known = [".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.medlang")]
    close = difflib.get_close_matches(module_name, known, n=1, cutoff=0.6)
    if not close:
        return None
    return f"did you mean '{close[0]}'?"


def _unique(paths: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    out = []
    for p in paths:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def load_program_graph(entry: Path, search_path: Sequence[Path] = ()) -> ModuleGraph:
    return Loader(Path(entry), search_path).load()
