"""``mlc gc``: removes what no committed record references, older than the grace period."""

from __future__ import annotations

import os
from datetime import timedelta

from medlang.registry import ArtifactRecord, Registry, new_id, utc_now
from tests.science.conftest import logged_id, make_project


def test_gc_frees_orphans_and_keeps_everything_committed(tmp_path):
    project = make_project(tmp_path / "project", tmp_path / "registry")
    result = project.produce(
        "run-evidence", "--backend", "mechanistic", "--out", project.path("r.json"), "--log"
    )
    run_id = logged_id(result)
    registry = Registry(project.registry)
    kept = set(registry.store.object_ids())

    orphan_file = tmp_path / "orphan.json"
    orphan_file.write_text('{"from": "a run killed before its record"}')
    orphan_sha = registry.store_file(orphan_file)
    old = 1_000_000_000  # 2001: well past any grace period
    os.utime(project.registry / "objects" / "sha256" / orphan_sha[:2] / orphan_sha[2:], (old, old))
    young_sha = registry.store_file(project.path("hybrid.json"))  # unreferenced, but new
    stale = ArtifactRecord(
        id=new_id(),
        kind="EvidenceResult",
        created_at=utc_now() - timedelta(days=3),
        run_id=new_id(),
        sha256=young_sha,
    )
    registry.log_artifact(stale)

    dry = project.mlc("gc", "--dry-run").output
    assert f"would remove object {orphan_sha}" in dry
    assert f"would remove uncommitted artifact {stale.id}" in dry
    assert set(registry.store.object_ids()) == kept | {orphan_sha, young_sha}  # nothing yet

    done = project.mlc("gc").output
    assert "Freed" in done and "1 object(s), 1 uncommitted artifact record(s)" in done
    assert set(registry.store.object_ids()) == kept | {young_sha}  # young: kept
    assert stale.id not in (project.registry / "artifacts.jsonl").read_text()
    assert "verdict:          IDENTICAL" in project.mlc("runs", "replay", run_id).output
    project.mlc("gc", "--grace-days", "0")
    assert young_sha not in set(registry.store.object_ids())  # unreferenced once past grace
    assert "of 3 ok" in project.mlc("runs", "verify", run_id).output
