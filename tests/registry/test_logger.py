"""RunLogger and the per-command helpers, against a real registry and real git."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from medlang.registry import (
    ArtifactKind,
    Registry,
    RegistryError,
    RunKind,
    RunLogger,
    log_evidence_run,
    log_rl_eval,
    log_rl_train,
    log_surrogate_eval,
    log_surrogate_train,
)
from medlang.registry.redact import REDACTED


@pytest.fixture
def registry(tmp_path) -> Registry:
    return Registry(tmp_path / "reg")


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    return root


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _file(path, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_logger_context_is_preserved_on_every_run(registry, project):
    logger = RunLogger.new_for_project(
        project, module_path=project / "trial.medlang", evidence_program="Trial", registry=registry
    )
    first = logger.log_run(RunKind.SurrogateTrain, {"seed": 1}, {"loss": 0.5})
    second = logger.log_run("RLEval", {"seed": 2}, {"reward": 3})
    for run_id in (first, second):
        record = registry.find_run(run_id)
        assert record.project_root == str(project.resolve())
        assert record.module_path == str((project / "trial.medlang").resolve())
        assert record.evidence_program == "Trial"
        assert record.git_commit is None and record.git_dirty is False  # not a repository
    assert registry.find_run(second).kind is RunKind.RLEval
    assert registry.find_run(second).config == {"seed": 2}


def test_logger_records_environment(registry, project):
    run_id = RunLogger.new_for_project(project, registry=registry).log_run("RLEval", {}, {})
    env = registry.find_run(run_id).env
    assert env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert env["medlang"] == "0.1.0"
    assert env["platform"] and isinstance(env["argv"], list)


def test_git_commit_and_dirty_flag(registry, project):
    _git(project, "init", "-q")
    _git(
        project,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@x",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    clean = RunLogger.new_for_project(project, registry=registry)
    assert (clean.git_commit, clean.git_dirty) == (head, False)
    assert len(head) == 40

    # Untracked outputs (results, models) do not make the code dirty ...
    _file(project / "results.json", "{}")
    assert RunLogger.new_for_project(project, registry=registry).git_dirty is False
    # ... a change to a tracked file does.
    _git(project, "add", "results.json")
    _file(project / "results.json", '{"changed": true}')
    dirty = RunLogger.new_for_project(project, registry=registry)
    assert (dirty.git_commit, dirty.git_dirty) == (head, True)


def test_without_git_on_path_there_is_no_error(registry, project, monkeypatch):
    monkeypatch.setenv("PATH", "")
    logger = RunLogger.new_for_project(project, registry=registry)
    assert (logger.git_commit, logger.git_dirty) == (None, False)


def test_secrets_in_config_are_redacted_at_any_depth(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    config = {
        "seed": 7,
        "Password": "hunter2",
        "db": {"api_key": "k", "apiKey": "k", "host": "h", "nested": [{"access_token": "t"}]},
        "max_tokens": 512,
        "client-secret": {"whole": "subtree"},
    }
    run_id = logger.log_run(RunKind.SurrogateTrain, config, {})
    stored = registry.find_run(run_id).config
    assert stored == {
        "seed": 7,
        "Password": REDACTED,
        "db": {
            "api_key": REDACTED,
            "apiKey": REDACTED,
            "host": "h",
            "nested": [{"access_token": REDACTED}],
        },
        "max_tokens": 512,
        "client-secret": REDACTED,
    }
    assert "hunter2" not in (registry.root / "runs.jsonl").read_text()
    assert config["Password"] == "hunter2"  # the caller's dict is untouched


def test_artifacts_are_written_before_the_run_with_hash_and_size(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    model = _file(project / "out" / "model.bin", "weights")
    run_id = logger.log_run_with_artifacts(
        RunKind.SurrogateTrain,
        {"seed": 1},
        {},
        [
            (ArtifactKind.SurrogateModel, model, {"epochs": 3}),
            ("SurrogateEvalReport", "missing.json"),
        ],
    )
    record = registry.find_run(run_id)
    model_artifact, missing = (registry.find_artifact(a) for a in record.artifacts)
    assert model_artifact.path == str(model)
    assert model_artifact.sha256 == hashlib.sha256(b"weights").hexdigest()
    assert model_artifact.size_bytes == 7
    assert model_artifact.metadata == {"epochs": 3}
    assert missing.path.endswith("missing.json") and missing.path.startswith("/")
    assert (missing.sha256, missing.size_bytes) == (None, None)
    assert model_artifact.created_at <= record.finished_at


def test_timed_run_records_the_real_start(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    before = datetime.now(UTC)
    with logger.timed_run() as run:
        started = run.started_at
        run_id = run.finish(RunKind.RLTrain, {"seed": 3}, {"reward": 1.5})
    record = registry.find_run(run_id)
    assert run.run_id == run_id
    assert before <= record.started_at == started <= record.finished_at
    with pytest.raises(RegistryError, match="already logged"):
        run.finish(RunKind.RLTrain, {}, {})


def test_timed_run_logs_nothing_when_the_work_fails(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    with pytest.raises(ZeroDivisionError), logger.timed_run():
        1 / 0  # noqa: B018
    assert registry.count_runs() == 0


@pytest.mark.parametrize(
    ("backend", "kind"),
    [
        ("Mechanistic", RunKind.EvidenceMechanistic),
        ("surrogate", RunKind.EvidenceSurrogate),
        ("HYBRID", RunKind.EvidenceHybrid),
    ],
)
def test_log_evidence_run(registry, project, backend, kind):
    logger = RunLogger.new_for_project(project, registry=registry)
    result = _file(project / "result.json", '{"orr": 0.4}')
    run_id = log_evidence_run(logger, backend, {"orr": 0.4}, result, config={"seed": 11})
    record = registry.find_run(run_id)
    assert record.kind is kind
    assert record.config == {"seed": 11, "backend": kind.value.removeprefix("Evidence")}
    assert [registry.find_artifact(a).kind for a in record.artifacts] == [
        ArtifactKind.EvidenceResult
    ]


def test_log_evidence_run_rejects_unknown_backends(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    with pytest.raises(RegistryError, match="expected Mechanistic, Surrogate or Hybrid"):
        log_evidence_run(logger, "quantum", {}, project / "r.json")
    assert registry.count_artifacts() == 0


def test_each_helper_logs_its_kinds(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    f = _file(project / "f.json")
    cases = [
        (
            log_surrogate_train(logger, {"seed": 1}, {}, f),
            RunKind.SurrogateTrain,
            ["SurrogateModel"],
        ),
        (
            log_surrogate_eval(logger, {"seed": 1}, {}, f),
            RunKind.SurrogateEval,
            ["SurrogateEvalReport"],
        ),
        (log_rl_train(logger, {"seed": 1}, {}, f), RunKind.RLTrain, ["RLPolicy"]),
        (
            log_rl_train(logger, {"seed": 1}, {}, f, f),
            RunKind.RLTrain,
            ["RLPolicy", "RLTrainReport"],
        ),
        (log_rl_eval(logger, {"seed": 1}, {}, f), RunKind.RLEval, ["RLEvalReport"]),
    ]
    for run_id, kind, artifact_kinds in cases:
        record = registry.find_run(run_id)
        assert record.kind is kind
        assert [registry.find_artifact(a).kind.value for a in record.artifacts] == artifact_kinds
    assert registry.count_artifacts() == 6


def test_values_json_cannot_hold_are_refused_before_anything_is_written(registry, project):
    logger = RunLogger.new_for_project(project, registry=registry)
    model = _file(project / "model.bin", "w")
    with pytest.raises(RegistryError, match="must hold JSON values only"):
        log_surrogate_train(logger, {"seed": 1, "rng": object()}, {}, model)
    assert registry.count_artifacts() == 0 and registry.count_runs() == 0
