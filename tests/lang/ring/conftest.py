"""Fixtures for the language's outer ring: the fixed registry and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_support import REPO_ROOT
from .fixture_registry import build_registry


@pytest.fixture(scope="session")
def fixture_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixed-id registry, built once per session; tests only read it."""
    return build_registry(tmp_path_factory.mktemp("ring") / "registry")


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root so paths in output are short and stable."""
    monkeypatch.chdir(REPO_ROOT)
    return REPO_ROOT
