"""Nothing writes inside the registry except the registry: every output option of
every command refuses a path that resolves into it (issue: `export-config --out
$MEDLANG_REGISTRY/runs.jsonl` and `run-evidence-hybrid --out .../runs.jsonl --log`
wiped the run log)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from medlang.registry.guard import OutputInRegistryError, refuse_registry_output

# command -> (input options, output options), paths relative to the project
PRODUCERS = {
    "train-surrogate": (["--train-config", "train.json"], ["--out-model"]),
    "surrogate-eval": (
        ["--surrogate", "model/surrogate.json", "--eval-config", "eval.json"],
        ["--out-report"],
    ),
    "run-evidence": (["--backend", "mechanistic"], ["--out"]),
    "run-evidence-hybrid": (["--hybrid-config", "hybrid.json"], ["--out"]),
    "train-policy-rl": (
        ["--env-config", "env.json", "--train-config", "rltrain.json"],
        ["--out-policy", "--out-report"],
    ),
    "eval-policy-rl": (["--env-config", "env.json", "--policy", "policy.json"], ["--out-report"]),
}
CASES = [(command, option) for command, (_, outputs) in PRODUCERS.items() for option in outputs]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def logged(trained):
    """The trained project with a policy to evaluate and a few runs logged."""
    project, _ = trained
    rl = ["--env-config", project.path("env.json"), "--train-config", project.path("rltrain.json")]
    project.produce("train-policy-rl", *rl, "--out-policy", project.path("policy.json"), "--log")
    return project


def _absolute(project, options: list[str]) -> list[str]:
    return [project.path(o) if o.endswith(".json") else o for o in options]


@pytest.mark.parametrize(("command", "option"), CASES, ids=[f"{c}{o}" for c, o in CASES])
def test_every_producer_output_into_the_registry_is_refused(logged, command, option):
    project = logged
    log = project.registry / "runs.jsonl"
    before = _digest(log)
    inputs, outputs = PRODUCERS[command]
    args = _absolute(project, inputs)
    for other in outputs:
        args += [other, str(log) if other == option else project.path(f"elsewhere{other}.json")]

    result = project.produce(command, *args, "--log", expect=1)

    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{option} is inside the registry" in result.stderr
    assert _digest(log) == before
    assert not any(Path(project.path(f"elsewhere{o}.json")).exists() for o in outputs)


def test_a_symlink_or_hard_link_onto_the_log_is_refused(logged, tmp_path):
    project = logged
    log = project.registry / "runs.jsonl"
    before = _digest(log)
    symlink = tmp_path / "result.json"
    symlink.symlink_to(log)
    hard_link = tmp_path / "same-inode.json"
    os.link(log, hard_link)
    hybrid = ["--hybrid-config", project.path("hybrid.json")]

    by_symlink = project.produce("run-evidence-hybrid", *hybrid, "--out", str(symlink), expect=1)
    by_link = project.produce("run-evidence-hybrid", *hybrid, "--out", str(hard_link), expect=1)

    assert "--out is inside the registry" in by_symlink.stderr
    assert "--out is the registry's own runs.jsonl under another name" in by_link.stderr
    assert _digest(log) == before


@pytest.mark.parametrize(
    "name", ["runs.jsonl", "index.sqlite", "new-file.json", "sub/dir/new.json"]
)
def test_export_config_into_the_registry_is_refused(logged, name):
    project = logged
    log = project.registry / "runs.jsonl"
    before, count = _digest(log), len(project.runs())
    run_id = project.runs()[0].id

    result = project.mlc(
        "runs", "export-config", "--id", run_id, "--out", str(project.registry / name), expect=1
    )

    assert result.stderr.count("\n") == 1 and "--out is inside the registry" in result.stderr
    assert _digest(log) == before and len(project.runs()) == count
    assert not (project.registry / name).exists() or name in ("runs.jsonl", "index.sqlite")


def test_export_config_output_is_not_world_writable_under_umask_000(logged, tmp_path):
    project = logged
    out = tmp_path / "config.json"
    old = os.umask(0)
    try:
        project.mlc("runs", "export-config", "--id", project.runs()[0].id, "--out", str(out))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_the_guard_sees_through_a_symlinked_registry_directory(tmp_path):
    real = tmp_path / "real-registry"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(OutputInRegistryError, match="--out-x is inside the registry"):
        refuse_registry_output(real / "runs.jsonl", tmp_path / "link", "--out-x")
    with pytest.raises(OutputInRegistryError):
        refuse_registry_output(tmp_path / "link" / "sub" / "x.json", real, "--out")
    refuse_registry_output(tmp_path / "real-registry-sibling.json", real, "--out")  # fine
    refuse_registry_output(tmp_path / "other.json", tmp_path / "link", "--out")
