"""An import whose file name the system cannot look up is an unknown module."""

from __future__ import annotations

from .conftest import Lang


def test_an_import_with_a_name_too_long_for_a_file_is_an_unknown_module(lang: Lang) -> None:
    name = "a" * 5000
    [(line, col, message)] = lang.messages(f"import {name}::*;\nfn main() {{}}\n")
    assert (line, col, message) == (1, 8, f"unknown module '{name}'")


def test_a_source_that_never_ends_is_a_diagnostic_not_a_memory_error(tmp_path) -> None:
    from pathlib import Path

    from medlang.lang import api

    if not Path("/dev/zero").exists():
        return
    [diagnostic] = api.check_file(Path("/dev/zero"))
    assert diagnostic.message == "cannot read file: larger than 2 MiB"


def test_a_file_posing_as_a_stdlib_module_cannot_bind_its_externs(lang: Lang) -> None:
    # with its own signature, the Python implementation would get and return wrong types
    source = (
        "module med.registry;\n"
        "extern fn list_runs(kind: Int) -> Int;\n"
        'fn main() { println("{}", list_runs(1) + 1); }\n'
    )
    [(line, col, message)] = lang.messages(source)
    assert (line, col) == (2, 11)
    assert message == "extern fn 'list_runs': only the stdlib's own med.registry may declare it"
