"""Review: no secret reaches the registry's files, wherever the logger puts it."""

from __future__ import annotations

import sys

import pytest

from medlang.registry import ArtifactKind, ArtifactRecord, Registry, RunKind, RunLogger
from medlang.registry.model import new_id, utc_now
from medlang.registry.redact import REDACTED, redact_argv

SECRETS = ("hunter2", "sk-live-123", "ghp_abc", "Bearer xyz")


def stored_text(root) -> str:
    return "".join(path.read_text() for path in sorted(root.glob("*.jsonl")))


def test_argv_key_value_arguments_with_secret_names_are_redacted():
    argv = ["mlc", "run", "prog.medlang", "password=hunter2", "api_key=sk", "seed=3", "a=b=c"]
    assert redact_argv(argv) == [
        "mlc", "run", "prog.medlang", f"password={REDACTED}", f"api_key={REDACTED}",
        "seed=3", "a=b=c",
    ]  # fmt: skip


def test_argv_paths_that_contain_an_equals_sign_are_kept():
    argv = ["mlc", "run", "/data/token=1/prog.medlang", "out/secret=x.json"]
    assert redact_argv(argv) == argv


@pytest.mark.parametrize("ready_record", [False, True])
def test_secrets_in_artifact_metadata_are_redacted(tmp_path, monkeypatch, ready_record):
    monkeypatch.setattr(sys, "argv", ["mlc", "run-evidence", "--token", "ghp_abc"])
    registry = Registry(tmp_path / "reg")
    metadata = {"source": {"api_key": "sk-live-123"}, "rows": [{"password": "hunter2"}]}
    if ready_record:
        artifact = ArtifactRecord(
            id=new_id(),
            kind=ArtifactKind.RLPolicy,
            path=None,
            created_at=utc_now(),
            metadata=metadata,
        )
    else:
        artifact = (ArtifactKind.RLPolicy, tmp_path / "policy.json", metadata)
    logger = RunLogger.new_for_project(tmp_path, registry=registry)
    run_id = logger.log_run_with_artifacts(
        RunKind.RLTrain,
        {"headers": [{"Authorization": "Bearer xyz"}], "seed": 1},
        {"reward": 1.0},
        [artifact],
    )
    text = stored_text(registry.root)
    for secret in SECRETS:
        assert secret not in text
    stored = registry.find_artifact(registry.find_run(run_id).artifacts[0])
    assert stored.metadata == {"source": {"api_key": REDACTED}, "rows": [{"password": REDACTED}]}
    assert metadata["rows"][0]["password"] == "hunter2"  # the caller's object is untouched
