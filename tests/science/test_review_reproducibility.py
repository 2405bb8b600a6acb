"""Review: reproducing a run from its exported config, beyond the happy path.

An exported config must reproduce the run by itself (the backend it recorded is
the default), must name every input file the run read, and must refuse to run
when anything the program evaluates to has changed, even in a module it imports.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import TIMINGS, logged_id, make_project

ARMS_MODULE = """module arms;

import med.evidence::*;

fn trial_arms() -> Vector<DoseArm> {
  [
    { label = "100mg"; dose_mg = 100.0 },
    { label = "200mg"; dose_mg = DOSE },
  ]
}
"""


def untimed(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMINGS}


def export(project, run_id: str, out: Path) -> Path:
    project.mlc("runs", "export-config", "--id", run_id, "--out", str(out))
    return out


def find(project, run_id):
    return next(run for run in project.runs() if run.id == run_id)


def importing_project(tmp_path: Path):
    """The small program with its arms moved into a module it imports."""
    project = make_project(tmp_path / "project", tmp_path / "registry")
    program = project.root / "small_evidence.medlang"
    text = program.read_text()
    start, end = text.index("arms = ["), text.index("];", text.index("arms = [")) + 2
    text = text[:start] + "arms = trial_arms();" + text[end:]
    imports = "import med.evidence::*;"
    text = text.replace(imports, imports + "\nimport arms::{trial_arms};")
    program.write_text(text)
    (project.root / "arms.medlang").write_text(ARMS_MODULE.replace("DOSE", "200.0"))
    return project


def test_a_changed_imported_module_is_refused_when_reproducing(tmp_path):
    project = importing_project(tmp_path)
    out = project.path("out/a.json")
    run_id = logged_id(project.produce("run-evidence", "--out", out, "--log"))
    exported = export(project, run_id, tmp_path / "elsewhere" / "config.json")
    recorded = json.loads(exported.read_text())["inputs"]["evidence_program"]
    assert len(recorded["program_sha256"]) == 64

    (project.root / "arms.medlang").write_text(ARMS_MODULE.replace("DOSE", "250.0"))
    result = project.produce(
        "run-evidence", "--config", str(exported), "--out", project.path("out/b.json"), expect=1
    )
    assert "field 'inputs.evidence_program.program_sha256'" in result.stderr
    assert "has a module it imports changed?" in result.stderr
    assert not Path(project.path("out/b.json")).exists()
    assert [run.id for run in project.runs()] == [run_id]  # nothing logged


def test_an_unchanged_imported_module_reproduces(tmp_path):
    project = importing_project(tmp_path)
    out = Path(project.path("out/a.json"))
    run_id = logged_id(project.produce("run-evidence", "--out", str(out), "--log"))
    exported = export(project, run_id, tmp_path / "elsewhere" / "config.json")
    again = Path(project.path("out/b.json"))
    result = project.produce("run-evidence", "--config", str(exported), "--out", str(again))
    assert again.read_bytes() == out.read_bytes()
    assert "ORR=" in result.output
