"""The table of functions implemented in Python and declared in MedLang with ``extern fn``.

A stdlib module declares the MedLang signature (``extern fn list_runs(kind:
Option<RunKind>) -> Vector<RunSummary>;``) and the checker types calls from that
declaration; the behaviour is the Python function registered here under the same
module and name. Arguments and results use the representations of
``medlang.lang.values``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn


class ExternFailure(Exception):
    """Raised by an extern to report a runtime error at the MedLang call site."""


@dataclass
class ExternContext:
    """What an extern may use: the configured registry root and per-run caches.

    The registry root is the one the CLI uses (``--registry``, ``MEDLANG_REGISTRY``
    or the default); the registry itself is opened once, on first use. A context
    lives exactly as long as one program run, the right lifetime for read caches
    (the next run sees new data): ``caches`` holds them, one key per stdlib module.
    """

    registry_root: Path | str  # a directory, or a postgresql:// URL
    caches: dict[str, Any] = field(default_factory=dict, repr=False)
    _registry: Any = field(default=None, repr=False)

    def registry(self):  # -> medlang.registry.store.Registry
        if self._registry is None:
            from medlang.registry.store import Registry

            self._registry = Registry(self.registry_root)
        return self._registry

    def fail(self, message: str) -> NoReturn:
        raise ExternFailure(message)


ExternFunction = Callable[..., Any]  # (ctx: ExternContext, *args: Value) -> Value

_EXTERNS: dict[tuple[str, str], ExternFunction] = {}

# Modules whose import registers the externs of a stdlib module, loaded on demand
# so a program that does not import med.registry never imports the registry.
_PROVIDERS: dict[str, str] = {
    "med.registry": "medlang.lang.bridge.registry",
}


def extern(module: str, name: str) -> Callable[[ExternFunction], ExternFunction]:
    """Decorator: register ``function`` as the implementation of ``module::name``."""

    def register(function: ExternFunction) -> ExternFunction:
        _EXTERNS[(module, name)] = function
        return function

    return register


def register_provider(module: str, python_module: str) -> None:
    _PROVIDERS[module] = python_module


def lookup_extern(module: str, name: str) -> ExternFunction | None:
    if (module, name) not in _EXTERNS and module in _PROVIDERS:
        import importlib

        importlib.import_module(_PROVIDERS[module])
    return _EXTERNS.get((module, name))
