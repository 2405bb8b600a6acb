"""The README's first command ends in ``mlc demo``: it must run the whole loop for real."""

from __future__ import annotations

import json

from click.testing import CliRunner

from medlang.cli.main import cli


def test_demo_runs_the_loop_and_reproduces_the_hybrid_run(tmp_path):
    work_dir = tmp_path / "demo"

    result = CliRunner().invoke(cli, ["demo", "--dir", str(work_dir)])

    assert result.exit_code == 0, result.output
    assert "Reproduced result vs original: identical" in result.output
    assert "Best surrogate evaluation:" in result.output
    runs = [
        json.loads(line) for line in (work_dir / "registry" / "runs.jsonl").read_text().splitlines()
    ]
    assert [run["kind"] for run in runs] == [
        "SurrogateTrain",
        "SurrogateEval",
        "EvidenceHybrid",
        "EvidenceMechanistic",
        "EvidenceHybrid",
        "EvidenceHybrid",  # mlc runs replay, from the registry's copies of the inputs
    ]
    original, mechanistic, reproduced = runs[2], runs[3], runs[4]
    replayed = runs[5]
    assert (replayed["replay_of"], replayed["replay_verdict"]) == (original["id"], "identical")
    assert "verdict:          IDENTICAL" in result.output
    assert reproduced["metrics"]["ORR"] == original["metrics"]["ORR"]
    assert reproduced["config"]["seed"] == original["config"]["seed"]
    # the hybrid backend agrees with the mechanistic model on the same virtual patients
    assert abs(original["metrics"]["ORR"] - mechanistic["metrics"]["ORR"]) <= 0.03
    assert abs(original["metrics"]["DLT_rate"] - mechanistic["metrics"]["DLT_rate"]) <= 0.03

    # lineage: the hybrid run used the surrogate that the training run produced and
    # the evaluation run qualified (linked by the surrogate file's sha256)
    training, evaluation = runs[0], runs[1]
    lineage = CliRunner().invoke(
        cli, ["--registry", str(work_dir / "registry"), "runs", "lineage", original["id"]]
    )
    assert lineage.exit_code == 0, lineage.output
    assert f"produced by SurrogateTrain {training['id']}" in lineage.output
    assert f"evaluated by SurrogateEval {evaluation['id']}" in lineage.output
    assert "qualification passed" in lineage.output

    # the export of the hybrid run carries its lineage: the training run's action,
    # whose result is the surrogate file the hybrid run used, bytes included
    crate_dir = tmp_path / "crate"
    exported = CliRunner().invoke(
        cli,
        [
            "--registry",
            str(work_dir / "registry"),
            "runs",
            "export",
            original["id"],
            "--out",
            str(crate_dir),
        ],
    )
    assert exported.exit_code == 0, exported.output
    metadata = json.loads((crate_dir / "ro-crate-metadata.json").read_text())
    entities = {entity["@id"]: entity for entity in metadata["@graph"]}
    training_action = entities[f"#run-{training['id']}"]
    surrogate_id = training_action["result"]["@id"]
    hybrid_inputs = [ref["@id"] for ref in entities[f"#run-{original['id']}"]["object"]]
    assert surrogate_id in hybrid_inputs
    assert (crate_dir / surrogate_id).read_bytes() == (
        work_dir / "oncology/surrogate.json"
    ).read_bytes()


def test_demo_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "something").write_text("keep me")

    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "is not empty" in result.output
    assert (tmp_path / "something").read_text() == "keep me"
