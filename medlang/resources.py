"""Locate the files MedLang ships beside its Python code: grammar, stdlib and examples.

In a wheel they are copied to ``medlang/_data/``; in a source checkout (editable
install, tests) they are the top-level ``grammar/``, ``stdlib/`` and ``examples/``
directories.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _data_dir(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"MedLang installation is incomplete: no '{name}' directory found")


def grammar_dir() -> Path:
    return _data_dir("grammar")


def stdlib_dir() -> Path:
    return _data_dir("stdlib")


def examples_dir() -> Path:
    return _data_dir("examples")
