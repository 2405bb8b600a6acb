"""A registry whose files cannot be read: a MedLang runtime error naming the file,
not an 'internal error' of the bridge."""

from __future__ import annotations

import io

import pytest

from medlang.lang import api

PROGRAM = "import med.registry::*;\nfn main() -> Int { len(list_runs(None)) }\n"


def test_an_unreadable_registry_is_a_runtime_error_naming_the_file(tmp_path):
    registry = tmp_path / "registry"
    (registry / "runs.jsonl").mkdir(parents=True)
    program = tmp_path / "main.medlang"
    program.write_text(PROGRAM)

    with pytest.raises(api.MedLangRuntimeError) as caught:
        api.run_file(program, registry_root=registry, stdout=io.StringIO())

    message = str(caught.value)
    assert "list_runs: cannot read" in message and "runs.jsonl" in message
    assert "internal error" not in message
