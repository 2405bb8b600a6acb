"""Registry behaviour through its public API, on real registries in temp dirs."""

from __future__ import annotations

import json
import os
import stat

import pytest

from medlang.registry import (
    ArtifactKind,
    InvalidIdError,
    Registry,
    RegistryError,
    RunKind,
    UnknownKindError,
)
from tests.registry.factories import artifact, fixed_id, run


@pytest.fixture
def registry(tmp_path) -> Registry:
    return Registry(tmp_path / "reg")


def test_nothing_is_created_until_the_first_write(tmp_path):
    registry = Registry(tmp_path / "reg")
    assert registry.load_runs() == []
    assert registry.count_runs() == 0
    assert registry.find_run(fixed_id(1)) is None
    assert not (tmp_path / "reg").exists()


def test_run_round_trip(registry):
    record = run(1, git_commit="a" * 40, git_dirty=True, module_path="/p/m.medlang")
    assert registry.log_run(record) == record.id
    assert registry.find_run(record.id) == record
    assert registry.load_runs() == [record]


def test_artifact_round_trip(registry):
    record = artifact(1, ArtifactKind.RLPolicy)
    assert registry.log_artifact(record) == record.id
    assert registry.find_artifact(record.id) == record
    assert registry.load_artifacts() == [record]


def test_nested_metrics_are_preserved_exactly(registry):
    metrics = {
        "auc": 0.1 + 0.2,
        "tiny": 1e-300,
        "big_int": 2**62,
        "negative": -3,
        "nested": {"per_arm": [{"arm": "A", "orr": 0.4125}, {"arm": "B", "orr": 1.0}]},
        "empty": {},
        "flags": [True, False, None],
        "text": 'naïve "quoted"\nline',
    }
    record = run(1, metrics=metrics)
    registry.log_run(record)
    loaded = Registry(registry.root).find_run(record.id)
    assert loaded.metrics == metrics
    assert json.dumps(loaded.metrics, sort_keys=True) == json.dumps(metrics, sort_keys=True)
    assert type(loaded.metrics["nested"]["per_arm"][1]["orr"]) is float


def test_lines_are_compact_json_with_fields_in_order(registry):
    registry.log_run(run(1))
    line = (registry.root / "runs.jsonl").read_text().splitlines()[0]
    keys = list(json.loads(line))
    assert keys[:12] == [
        "id",
        "kind",
        "started_at",
        "finished_at",
        "project_root",
        "module_path",
        "evidence_program",
        "git_commit",
        "git_dirty",
        "config",
        "metrics",
        "artifacts",
    ]
    assert ", " not in line and '": ' not in line
    assert json.loads(line)["started_at"] == "2025-01-23T14:33:10.123456Z"


def test_files_and_directories_are_private(tmp_path):
    registry = Registry(tmp_path / "a" / "reg")
    registry.log_run(run(1))
    registry.count_runs()  # creates the index too
    assert stat.S_IMODE(os.stat(tmp_path / "a").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(registry.root).st_mode) == 0o700
    for name in ("runs.jsonl", "index.sqlite"):
        assert stat.S_IMODE(os.stat(registry.root / name).st_mode) == 0o600


def test_queries_by_kind_keep_log_order(registry):
    kinds = [RunKind.RLTrain, RunKind.EvidenceHybrid, RunKind.RLTrain, RunKind.SurrogateEval]
    for n, kind in enumerate(kinds):
        registry.log_run(run(n, kind, minute=10 - n))  # later in the log = earlier start
    assert [r.id for r in registry.find_runs_by_kind("RLTrain")] == [fixed_id(0), fixed_id(2)]
    assert registry.find_runs_by_kind(RunKind.RLEval) == []
    assert registry.count_runs() == 4
    assert registry.count_runs(RunKind.RLTrain) == 2


def test_artifact_queries_by_kind(registry):
    registry.log_artifact(artifact(1, ArtifactKind.RLPolicy))
    registry.log_artifact(artifact(2, ArtifactKind.RLTrainReport))
    registry.log_artifact(artifact(3, ArtifactKind.RLPolicy))
    found = registry.find_artifacts_by_kind("RLPolicy")
    assert [a.metadata["n"] for a in found] == [1, 3]
    assert registry.count_artifacts() == 3


def test_recent_runs_newest_first_ties_in_log_order(registry):
    for n, minute in enumerate([5, 9, 9, 1, 9, 7]):
        registry.log_run(run(n, minute=minute))
    newest = [r.id for r in registry.recent_runs(4)]
    assert newest == [fixed_id(1), fixed_id(2), fixed_id(4), fixed_id(5)]
    assert registry.recent_runs(0) == []
    assert len(registry.recent_runs(100)) == 6


def test_runs_by_start_oldest_first_ties_in_log_order(registry):
    for n, (minute, kind) in enumerate(
        [(5, "RLEval"), (1, "RLTrain"), (5, "RLTrain"), (1, "RLTrain")]
    ):
        registry.log_run(run(n, kind, minute=minute))
    assert [r.id for r in registry.runs_by_start()] == [fixed_id(i) for i in (1, 3, 0, 2)]
    assert [r.id for r in registry.runs_by_start("RLTrain")] == [fixed_id(i) for i in (1, 3, 2)]


def test_unknown_kind_lists_the_valid_ones(registry):
    with pytest.raises(UnknownKindError, match="valid kinds: EvidenceMechanistic, "):
        registry.find_runs_by_kind("Evidence")
    with pytest.raises(ValueError, match="RLEvalReport"):
        registry.find_artifacts_by_kind("Nope")


def test_malformed_id_is_a_clear_error(registry):
    with pytest.raises(InvalidIdError, match="invalid run id 'not-a-uuid'"):
        registry.find_run("not-a-uuid")
    with pytest.raises(ValueError, match="not a version-4 UUID"):
        registry.find_run("00000000-0000-1000-8000-000000000001")


def test_find_run_accepts_uppercase_ids(registry):
    registry.log_run(run(7))
    assert registry.find_run(fixed_id(7).upper()).id == fixed_id(7)


def test_resolve_run_id_by_unique_prefix(registry):
    registry.log_run(run(1, id="abcd1111-0000-4000-8000-000000000001"))
    registry.log_run(run(2, id="abcd2222-0000-4000-8000-000000000002"))
    assert registry.resolve_run_id("ABCD1") == "abcd1111-0000-4000-8000-000000000001"
    with pytest.raises(RegistryError, match="ambiguous: abcd1111-.*, abcd2222-"):
        registry.resolve_run_id("abcd")
    with pytest.raises(RegistryError, match="no run with id 'ffff'"):
        registry.resolve_run_id("ffff")
    with pytest.raises(RegistryError, match="too short"):
        registry.resolve_run_id("abc")
    with pytest.raises(RegistryError, match="invalid run id 'xyz!'"):
        registry.resolve_run_id("xyz!")


def test_log_run_rejects_the_wrong_record_type(registry):
    with pytest.raises(TypeError, match="expected a RunRecord"):
        registry.log_run(artifact(1))


def test_default_registry_follows_the_environment(isolated_registry):
    assert Registry.default().root == isolated_registry
    Registry.default().log_run(run(1))
    assert (isolated_registry / "runs.jsonl").exists()


def test_store_file_and_open_object_on_disk(tmp_path):
    import hashlib

    registry = Registry(tmp_path / "reg")
    source = tmp_path / "surrogate.json"
    source.write_bytes(b"weights")
    sha = registry.store_file(source)
    stored = tmp_path / "reg" / "objects" / "sha256" / sha[:2] / sha[2:]
    assert sha == hashlib.sha256(b"weights").hexdigest()
    assert stored.read_bytes() == b"weights"
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert stored.stat().st_ino != source.stat().st_ino  # a copy, not a hard link
    with registry.open_object(sha) as handle:
        assert handle.read() == b"weights"
    assert list((tmp_path / "reg" / "objects" / "tmp").iterdir()) == []  # no leftovers
    with pytest.raises(RegistryError, match="not a sha256"):
        registry.open_object("../../etc/passwd")
    small = Registry(tmp_path / "reg", max_object_bytes=3)
    with pytest.raises(RegistryError, match="more than the registry stores per file"):
        small.store_file(source)
