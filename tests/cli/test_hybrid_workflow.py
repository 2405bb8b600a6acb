"""End to end: a hybrid evidence run is logged with its result file, then found,
shown and its config exported through ``mlc``, and the config reloads unchanged."""

from __future__ import annotations

import hashlib
import json
import re

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import ArtifactKind, Registry, RunKind, RunLogger, log_evidence_run

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SHORT_ID = re.compile(r"^[0-9a-f]{8,}(?=  )", re.MULTILINE)  # the table's short ids
STARTED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def mlc(registry: Registry, *args: str):
    result = CliRunner().invoke(cli, ["--registry", str(registry.root), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_hybrid_evidence_logging_workflow(tmp_path, snapshot_text):
    project = tmp_path / "oncology"
    (project / "out").mkdir(parents=True)
    result_file = project / "out" / "evidence.json"
    result_file.write_text(json.dumps({"orr": {"A": 0.41, "B": 0.37}, "n": 400}))
    registry = Registry(tmp_path / "reg")
    logger = RunLogger.new_for_project(
        project,
        module_path=project / "trial.medlang",
        evidence_program="OncologyTrial",
        registry=registry,
    )
    config = {"seed": 20250123, "n_patients": 400, "hybrid": {"threshold": 0.2, "mode": "adaptive"}}
    metrics = {"orr_a": 0.41, "orr_b": 0.37, "surrogate_share": 0.75, "per_arm": [{"arm": "A"}]}
    with logger.timed_run() as timed:
        run_id = log_evidence_run(
            logger, "Hybrid", metrics, result_file, config=config, started_at=timed.started_at
        )

    listing = mlc(registry, "runs", "list", "-v")
    masked = SHORT_ID.sub("<id>", UUID.sub("<id>", listing))
    masked = STARTED.sub("<time>", masked).replace(tmp_path.name, "<tmp>")
    assert masked == snapshot_text
    assert listing.startswith("Run ID    Kind") and f"\n{run_id[:8]}  " in listing

    record = json.loads(mlc(registry, "runs", "show", run_id[:8]))
    assert record["kind"] == "EvidenceHybrid"
    assert record["metrics"] == metrics
    assert record["config"] == {**config, "backend": "Hybrid"}
    digest = hashlib.sha256(result_file.read_bytes()).hexdigest()
    (nested,) = record["artifacts"]
    assert (nested["kind"], nested["path"], nested["sha256"]) == (
        "EvidenceResult",
        str(result_file),
        digest,
    )

    exported = tmp_path / "rerun" / "config.json"
    mlc(registry, "runs", "export-config", "--id", run_id, "--out", str(exported))
    assert json.loads(exported.read_text()) == {**config, "backend": "Hybrid"}

    artifact = registry.find_artifact(nested["id"])
    assert artifact.kind is ArtifactKind.EvidenceResult
    assert artifact.size_bytes == result_file.stat().st_size
    assert registry.find_runs_by_kind(RunKind.EvidenceHybrid)[0].id == run_id
