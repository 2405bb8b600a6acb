"""Helpers for the language-core tests: write MedLang source to a temp dir, check
it, run it and capture what it prints."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from medlang.lang import api


class Lang:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "medlang.toml").write_text("")  # marks the project root

    def write(self, name: str, source: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        return path

    def check(self, source: str, name: str = "main.medlang") -> list[api.Diagnostic]:
        return api.check_file(self.write(name, source))

    def messages(self, source: str) -> list[tuple[int, int, str]]:
        return [(d.line, d.col, d.message) for d in self.check(source)]

    def run(self, source: str, fn: str = "main") -> str:
        out = io.StringIO()
        api.run_file(self.write("main.medlang", source), fn, stdout=out)
        return out.getvalue()

    def value(self, source: str, fn: str = "main"):
        return api.run_file(self.write("main.medlang", source), fn, stdout=io.StringIO())

    def runtime_error(self, source: str) -> api.MedLangRuntimeError:
        with pytest.raises(api.MedLangRuntimeError) as caught:
            self.run(source)
        return caught.value


@pytest.fixture
def lang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lang:
    monkeypatch.chdir(tmp_path)  # diagnostics show paths relative to the cwd
    return Lang(tmp_path)
