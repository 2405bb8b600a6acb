"""An import whose file name the system cannot look up is an unknown module."""

from __future__ import annotations

from .conftest import Lang


def test_an_import_with_a_name_too_long_for_a_file_is_an_unknown_module(lang: Lang) -> None:
    name = "a" * 5000
    [(line, col, message)] = lang.messages(f"import {name}::*;\nfn main() {{}}\n")
    assert (line, col, message) == (1, 8, f"unknown module '{name}'")
