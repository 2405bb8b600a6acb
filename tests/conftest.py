"""Shared fixtures: every test gets its own registry directory, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path, monkeypatch):
    root = tmp_path / "registry"
    monkeypatch.setenv("MEDLANG_REGISTRY", str(root))
    monkeypatch.delenv("MEDLANG_PATH", raising=False)
    return root
