"""``mlc runs export``: a Workflow Run RO-Crate (Process Run Crate) and W3C PROV-JSON.

The registry here is real and small: files stored in its object store, a training
run that wrote a surrogate, an evaluation and a hybrid run that read it. The
crate is checked with ro-crate-py (it loads, the actions link the same file
entities) and with roc-validator against the Process Run Crate 0.5 profile; the
PROV document with the ``prov`` library.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry
from tests.registry.factories import artifact, fixed_id, run

TRAIN, EVAL, HYBRID = fixed_id(1), fixed_id(2), fixed_id(3)


def _stored(registry: Registry, project: Path, name: str, text: str) -> tuple[Path, str]:
    path = project / name
    path.write_text(text)
    return path, registry.store_file(path)


@pytest.fixture
def story(tmp_path):
    registry = Registry(tmp_path / "reg")
    project = tmp_path / "project"
    project.mkdir()
    program, program_sha = _stored(registry, project, "evidence.medlang", "module med.x;\n")
    train_cfg, train_cfg_sha = _stored(registry, project, "train.json", '{"seed": 1}\n')
    model, model_sha = _stored(registry, project, "surrogate.json", '{"weights": [1, 2]}\n')
    report, report_sha = _stored(registry, project, "eval.json", '{"rmse": 0.01}\n')
    result, result_sha = _stored(registry, project, "results.json", '{"ORR": 0.3}\n')
    # an input that was never stored and is gone from disk: described, not included
    lost_sha = hashlib.sha256(b"the original hybrid config").hexdigest()

    def file(path: Path, sha: str) -> dict:
        return {"path": str(path), "sha256": sha}

    def log(n, kind, inputs, outputs, **fields):
        ids = []
        for k, (artifact_kind, path, sha) in enumerate(outputs):
            record = artifact(10 * n + k, artifact_kind, path=str(path), sha256=sha)
            registry.log_artifact(record)
            ids.append(record.id)
        config = {"command": fields.pop("command"), "seed": n, "inputs": inputs}
        env = {"python": "3.11.7", "medlang": "0.1.0", "platform": "Linux"}
        registry.log_run(run(n, kind, config=config, artifacts=ids, env=env, **fields))

    program_input = {"module_path": str(program), "sha256": program_sha}
    log(
        1,
        "SurrogateTrain",
        {"evidence_program": program_input, "config_file": file(train_cfg, train_cfg_sha)},
        [("SurrogateModel", model, model_sha)],
        command="train-surrogate",
    )
    log(
        2,
        "SurrogateEval",
        {"evidence_program": program_input, "surrogate": file(model, model_sha)},
        [("SurrogateEvalReport", report, report_sha)],
        command="surrogate-eval",
        metrics={"qualification_passed": True},
    )
    log(
        3,
        "EvidenceHybrid",
        {
            "evidence_program": program_input,
            "surrogate": file(model, model_sha),
            "config_file": file(project / "hybrid.json", lost_sha),
        },
        [("EvidenceResult", result, result_sha)],
        command="run-evidence-hybrid",
    )
    return registry, tmp_path, {"model": model_sha, "lost": lost_sha, "result": result_sha}


def _mlc(registry: Registry, *args: str):
    return CliRunner().invoke(cli, ["--registry", str(registry.root), "runs", "export", *args])


def test_the_crate_holds_the_run_its_lineage_and_the_stored_bytes(story):
    registry, tmp_path, sha = story
    out = tmp_path / "crate"

    result = _mlc(registry, HYBRID, "--out", str(out), "--agent", "Ada Lovelace")

    assert result.exit_code == 0, result.output
    assert f"Wrote an RO-Crate of run {HYBRID} to {out} (3 runs, 5 files)" in result.stdout
    assert "hybrid.json" in result.stderr and "only its sha256 is exported" in result.stderr
    from rocrate.rocrate import ROCrate

    crate = ROCrate(out)
    actions = {a.id: a for a in crate.get_entities() if a.type == "CreateAction"}
    assert set(actions) == {f"#run-{TRAIN}", f"#run-{EVAL}", f"#run-{HYBRID}"}
    hybrid, train = actions[f"#run-{HYBRID}"], actions[f"#run-{TRAIN}"]
    assert hybrid["startTime"] == "2025-01-23T14:35:10.123+00:00"
    assert hybrid["actionStatus"] == "http://schema.org/CompletedActionStatus"
    assert hybrid["instrument"]["name"] == "mlc run-evidence-hybrid"
    assert hybrid["agent"]["name"] == "Ada Lovelace"
    # lineage: the training run's result is the very entity the hybrid run used
    surrogate = train["result"]
    assert surrogate.id in {entity.id for entity in hybrid["object"]}
    assert surrogate["sha256"] == sha["model"]
    data = (out / surrogate.id).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha["model"]
    # the unavailable input is described by its hash, with the reason
    lost = crate.get(f"#sha256-{sha['lost']}")
    assert lost is not None and lost["description"].startswith("Not included:")
    # each run's registry record travels with it
    record = json.loads((out / "runs" / f"{HYBRID}.json").read_text())
    assert record["id"] == HYBRID
    assert crate.root_dataset["conformsTo"].id == "https://w3id.org/ro/wfrun/process/0.5"
    assert crate.root_dataset["mentions"]


def test_the_crate_passes_the_process_run_crate_profile(story):
    from rocrate_validator import services
    from rocrate_validator.models import Severity

    registry, tmp_path, _ = story
    out = tmp_path / "crate"
    assert _mlc(registry, HYBRID, "--out", str(out)).exit_code == 0
    metadata = json.loads((out / "ro-crate-metadata.json").read_text())
    # The validator resolves the RO-Crate JSON-LD context over the network; offline,
    # it is given the copy of the context that ro-crate-py ships, inlined.
    import rocrate

    bundled = Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld"
    metadata["@context"] = json.loads(bundled.read_text())["@context"]
    settings = services.ValidationSettings(
        rocrate_uri=str(out),
        profile_identifier="process-run-crate-0.5",
        requirement_severity=Severity.REQUIRED,
        metadata_only=True,
        metadata_dict=metadata,
    )
    outcome = services.validate(settings)
    problems = [f"{i.check.identifier}: {i.message}" for i in outcome.get_issues()]
    assert outcome.passed(), problems


def test_prov_json_is_a_valid_prov_document_with_the_lineage(story):
    from prov.model import PROV_ROLE, ProvDocument, ProvUsage

    registry, tmp_path, sha = story
    out = tmp_path / "run.prov.json"

    result = _mlc(registry, HYBRID, "--format", "prov-json", "--out", str(out))

    assert result.exit_code == 0, result.output
    document = ProvDocument.deserialize(content=out.read_text(), format="json")
    records = document.get_records()
    activities = {str(r.identifier) for r in records if r.get_type().localpart == "Activity"}
    assert activities == {f"run:{TRAIN}", f"run:{EVAL}", f"run:{HYBRID}"}
    generated = {
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
        for r in records
        if r.get_type().localpart == "Generation"
    }
    assert (f"sha256:{sha['model']}", f"run:{TRAIN}") in generated
    uses = [r for r in records if isinstance(r, ProvUsage)]
    roles = {
        (str(u.formal_attributes[0][1]), str(u.formal_attributes[1][1])): str(
            next(iter(u.get_attribute(PROV_ROLE)))
        )
        for u in uses
    }
    assert roles[(f"run:{HYBRID}", f"sha256:{sha['model']}")] == "medlang:surrogate"
    assert roles[(f"run:{EVAL}", f"sha256:{sha['model']}")] == "medlang:surrogate"


def test_prov_json_to_stdout(story):
    registry, _, _ = story
    result = _mlc(registry, HYBRID.replace("-", ""), "--format", "prov-json", "--out", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["prefix"]["run"] == "urn:uuid:"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "REG/crate"], "inside the registry"),
        (["--out", "-"], "writes a directory"),
        (["--format", "prov-json", "--out", "REG/x.json"], "inside the registry"),
        (["--out", "FULL"], "not empty"),
    ],
)
def test_refused_outputs(story, args, message):
    registry, tmp_path, _ = story
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    args = [a.replace("REG", str(registry.root)).replace("FULL", str(full)) for a in args]
    result = _mlc(registry, HYBRID, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert (full / "keep.txt").read_text() == "mine"
    assert not (registry.root / "crate").exists()


def test_an_input_not_stored_but_intact_on_disk_is_included(story, tmp_path):
    registry, _, sha = story
    (tmp_path / "project" / "hybrid.json").write_bytes(b"the original hybrid config")
    out = tmp_path / "crate"
    result = _mlc(registry, HYBRID, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "(3 runs, 6 files)" in result.stdout
    assert (out / "data" / "hybrid.json").read_bytes() == b"the original hybrid config"
