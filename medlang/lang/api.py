"""The front door: check, load and run MedLang programs from Python.

Every function here turns any failure into ``MedLangError`` (static problems) or
``MedLangRuntimeError`` (problems while running), so callers such as the CLI never
show a Python traceback. Work runs on a helper thread with a large stack, so deep
MedLang recursion or deeply nested source fails with a diagnostic, not a crash.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from medlang.lang.ast import Span, type_text
from medlang.lang.diagnostics import Diagnostic, MedLangError, MedLangRuntimeError, make
from medlang.lang.values import Value

if TYPE_CHECKING:
    from medlang.lang.interpret import Limits

__all__ = [
    "Diagnostic",
    "FunctionInfo",
    "Limits",
    "MedLangError",
    "MedLangRuntimeError",
    "Program",
    "check_file",
    "list_functions",
    "load_program",
    "run_file",
    "show_value",
]

T = TypeVar("T")

_STACK_BYTES = 512 * 1024 * 1024
_RECURSION_LIMIT = 100_000


@dataclass
class FunctionInfo:
    name: str
    params: list[tuple[str, str]]
    return_type: str  # as written, "Unit" when omitted
    line: int


def check_file(path: str | Path, *, search_path: Sequence[Path] = ()) -> list[Diagnostic]:
    """All diagnostics for the program at ``path`` (and the modules it imports);
    ``[]`` when it is clean. Never raises for a bad program."""
    path = Path(path)
    try:
        return _guarded(lambda: _check(path, search_path)[1].diagnostics, path)
    except MedLangError as error:
        return error.diagnostics


def load_program(path: str | Path, *, search_path: Sequence[Path] = ()) -> Program:
    """Load and check a program; raises MedLangError listing every error."""
    path = Path(path)

    def load() -> Program:
        graph, result = _check(path, search_path)
        errors = [d for d in result.diagnostics if d.is_error]
        if errors or graph.entry is None:
            raise MedLangError(errors or result.diagnostics)
        return Program(path, graph, result)

    return _guarded(load, path)


def list_functions(path: str | Path) -> list[FunctionInfo]:
    """Top-level functions of one file, from parsing alone (no imports, no checks)."""
    path = Path(path)

    def parse_only() -> list[FunctionInfo]:
        from medlang.lang.modules import display_path, load_file
        from medlang.lang.parse import ParseFailure, parse_module

        source, problem = load_file(path)
        if problem is not None:
            raise MedLangError([problem])
        try:
            tree = parse_module(source, display_path(path))
        except ParseFailure as failure:
            raise MedLangError(failure.diagnostics) from None
        return _function_infos(tree)

    return _guarded(parse_only, path)


def run_file(
    path: str | Path,
    fn: str | None = None,
    *,
    registry_root: Path | str | None = None,
    stdout: TextIO | None = None,
    search_path: Sequence[Path] = (),
    limits: Limits | None = None,
) -> Value:
    """Check and run ``fn`` (default ``main``) of the program at ``path``, within
    ``limits`` (steps, seconds) when given."""
    program = load_program(path, search_path=search_path)
    return program.call(fn or "main", registry_root=registry_root, stdout=stdout, limits=limits)


def show_value(value: Value) -> str:
    """``value`` as ``println`` shows it; on the big stack, as values may nest deeply."""
    from medlang.lang.builtins import show

    return _on_big_stack(lambda: show(value))


class Program:
    """A loaded, checked program, ready to run any of its entry module's functions."""

    def __init__(self, path: Path, graph, result) -> None:
        self.path = path
        self._graph = graph
        self._result = result
        self.module_name: str | None = graph.entry.tree.name

    def user_imports(self) -> list[tuple[str, Path]]:
        """``(import name, file)`` of every user module the program imports, directly or
        not (the stdlib is part of the toolchain and is left out), in load order."""
        from medlang.resources import stdlib_dir

        try:
            stdlib = stdlib_dir().resolve()
        except FileNotFoundError:
            stdlib = None
        found: dict[tuple[str, Path], None] = {}
        for module in self._graph.modules:
            for node, target in module.imports.items():
                path = target.path.resolve()
                if stdlib is None or not path.is_relative_to(stdlib):
                    found[(node.module, path)] = None
        return list(found)

    def functions(self) -> list[FunctionInfo]:
        # on the big stack: writing out a deeply nested type recurses
        return _on_big_stack(lambda: _function_infos(self._graph.entry.tree))

    def call(
        self,
        fn_name: str,
        args: Sequence[Value] = (),
        *,
        registry_root: Path | str | None = None,
        stdout: TextIO | None = None,
        limits: Limits | None = None,
    ) -> Value:
        from medlang.lang.interpret import FnRef, Interpreter

        entry = self._graph.entry
        decl = next((f for f in self.functions() if f.name == fn_name), None)
        if decl is None or len(decl.params) != len(args):
            raise MedLangError([self._no_such_function(fn_name, len(args), decl is None)])
        ref = FnRef(_find_decl(entry.tree, fn_name), entry)
        interpreter = Interpreter(
            self._graph.modules,
            stdout if stdout is not None else _stdout(),
            registry_root if registry_root is not None else _default_registry_root,
            self._result.record_names,
            self._result,
            limits,
        )

        def run() -> Value:
            try:
                return interpreter.call_function(ref, list(args))
            except RecursionError:
                raise interpreter.error(
                    "recursion too deep", _innermost_span(interpreter)
                ) from None
            except (MedLangError, MedLangRuntimeError):
                raise
            except BrokenPipeError:  # the reader of our output left: not the program's fault
                raise
            except Exception as error:
                message = f"internal error: {type(error).__name__}: {error}"
                raise interpreter.error(message, _innermost_span(interpreter)) from None

        return _on_big_stack(run)

    def _no_such_function(self, fn_name: str, n_args: int, missing: bool) -> Diagnostic:
        entry = self._graph.entry
        zero_arg = [f.name for f in self.functions() if not f.params]
        listed = ", ".join(zero_arg) if zero_arg else "(none)"
        hint = f"functions that can be run without arguments: {listed}"
        span = Span(1, 1, 1, 2)
        if missing:
            message = f"no function '{fn_name}' in {entry.display_path}"
        else:
            info = next(f for f in self.functions() if f.name == fn_name)
            params = ", ".join(f"{name}: {type_}" for name, type_ in info.params)
            message = (
                f"function '{fn_name}' takes {len(info.params)} argument(s) ({params}), "
                f"but {n_args} were given"
            )
            span = _find_decl(entry.tree, fn_name).name_span
        return make("error", message, entry.display_path, span, entry.source, hint)


# ---- helpers ------------------------------------------------------------------------
def __getattr__(name: str):
    if name == "Limits":  # imported lazily, like the rest of the language
        from medlang.lang.interpret import Limits

        return Limits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check(path: Path, search_path: Sequence[Path]):
    from medlang.lang.check import check_program
    from medlang.lang.modules import load_program_graph

    with _collector_paused():
        graph = load_program_graph(path, search_path)
        return graph, check_program(graph)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing and checking allocate millions of small acyclic objects (tokens,
    AST nodes, types); Python's cycle collector would rescan the growing heap
    again and again, making check time grow faster than the source (6x for 3x
    the lines). Nothing here makes cycles worth collecting, so pause it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _function_infos(tree) -> list[FunctionInfo]:
    from medlang.lang import ast

    return [
        FunctionInfo(
            item.name,
            [(p.name, type_text(p.type)) for p in item.params],
            type_text(item.return_type),
            item.span.line,
        )
        for item in tree.items
        if isinstance(item, ast.FnDecl) and not item.is_extern
    ]


def _find_decl(tree, name: str):
    from medlang.lang import ast

    return next(i for i in tree.items if isinstance(i, ast.FnDecl) and i.name == name)


def _stdout() -> TextIO:
    """``sys.stdout``; with none (``mlc run prog >&-``) output goes nowhere, as print's does."""
    return sys.stdout if sys.stdout is not None else open(os.devnull, "w", encoding="utf-8")


def _default_registry_root() -> Path:
    try:
        from medlang.registry.paths import default_registry_root
    except ImportError:
        from medlang.cli.main import default_registry_root
    return default_registry_root()


def _innermost_span(interpreter) -> Span | None:
    spans = [f.call_span for f in interpreter.frames if f.call_span is not None]
    return spans[-1] if spans else None


def _guarded(work: Callable[[], T], path: Path) -> T:
    """Run ``work`` on the big stack; unexpected Python errors become diagnostics."""

    def run() -> T:
        try:
            return work()
        except (MedLangError, MedLangRuntimeError):
            raise
        except RecursionError:
            raise MedLangError([_located(path, "program is nested too deeply")]) from None
        except Exception as error:
            message = f"internal error: {type(error).__name__}: {error}"
            raise MedLangError([_located(path, message)]) from None

    return _on_big_stack(run)


def _located(path: Path, message: str) -> Diagnostic:
    return make("error", message, str(path), Span(1, 1, 1, 2), None)


def _on_big_stack(work: Callable[[], T]) -> T:
    """Run ``work`` on a thread with a large stack and a high recursion limit."""
    if getattr(_local, "inside", False):
        return work()
    outcome: dict[str, object] = {}

    def target() -> None:
        _local.inside = True
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the calling thread below
            outcome["error"] = error

    # The limit is process-wide: raise it for this call only, then restore it so
    # embedding programs (pytest, hypothesis) keep their own.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        return _start_and_wait(target, outcome)
    finally:
        sys.setrecursionlimit(limit)


def _start_and_wait(target: Callable[[], None], outcome: dict[str, object]):
    previous = threading.stack_size()
    try:
        threading.stack_size(_STACK_BYTES)
        thread = threading.Thread(target=target, name="medlang", daemon=True)
        thread.start()
    except (RuntimeError, ValueError, MemoryError):
        # No big stack available (e.g. a tight `ulimit -v`): run here instead;
        # deep recursion then fails earlier, still as a MedLang error.
        target()
        thread = None
    finally:
        threading.stack_size(previous)
    if thread is not None:
        thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


_local = threading.local()
