"""MedLang's Python toolchain: run registry, language interpreter and the ``mlc`` command."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The language front door is imported on first use so `import medlang` stays cheap
# (it would otherwise pull in lark).
_LAZY = {"run_file", "check_file", "load_program", "list_functions"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from medlang.lang import api

        return getattr(api, name)
    raise AttributeError(f"module 'medlang' has no attribute {name!r}")
