"""Output paths a hostile user gives: devices are written in place (never replaced by a
regular file), and a path that cannot be written is one readable error."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

NULL_DEVICE, FULL_DEVICE = os.makedev(1, 3), os.makedev(1, 7)


def _device(path: Path, number: int) -> Path:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, number)
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root on Linux")
    return path


def _evidence(project, out: str, expect: int):
    return project.produce("run-evidence", "--out", out, "--log", "--quiet", expect=expect)


def test_a_device_output_is_written_in_place_not_replaced(project):
    device = _device(Path(project.path("null")), NULL_DEVICE)
    link = Path(project.path("result.json"))
    link.symlink_to(device)

    _evidence(project, str(device), expect=0)
    _evidence(project, str(link), expect=0)

    assert stat.S_ISCHR(device.stat().st_mode)
    assert link.is_symlink() and stat.S_ISCHR(link.stat().st_mode)
    assert sorted(p.name for p in device.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_a_device_that_refuses_the_write_is_a_readable_error(project):
    device = _device(Path(project.path("full")), FULL_DEVICE)

    result = _evidence(project, str(device), expect=1)

    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert str(device) in result.stderr and "No space left on device" in result.stderr
    assert stat.S_ISCHR(device.stat().st_mode)
    [failed] = project.runs()  # a failed write after the work: logged as a failed run
    assert failed.status == "failed" and "No space left on device" in failed.error


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_an_output_directory_that_cannot_hold_files_is_a_readable_error(project):
    result = _evidence(project, "/proc/medlang-review-result.json", expect=1)

    assert result.stderr.startswith("Error: /proc/medlang-review-result.json: cannot write")
    assert result.stderr.count("\n") == 1
    assert [run.status for run in project.runs()] == ["failed"]


def test_a_registry_that_cannot_be_written_is_a_readable_error(project, tmp_path):
    (tmp_path / "not-a-dir").write_text("")
    out = project.path("result.json")
    result = project.mlc(
        "--registry",
        str(tmp_path / "not-a-dir" / "registry"),
        "run-evidence",
        "--evidence-program",
        "SmallEvidence",
        "--project",
        str(project.root),
        "--out",
        out,
        "--log",
        expect=1,
    )
    assert result.stderr.startswith("Error: ") and " is not writable " in result.stderr
    assert result.stderr.count("\n") == 1 and "nothing was run" in result.stderr
    assert not Path(out).exists()  # checked before any simulation


LONG = "a" * 5000  # longer than any file name the system allows


@pytest.mark.parametrize(
    "args",
    [
        ("--out", f"{LONG}.json"),
        ("--file", f"{LONG}.medlang", "--out", "result.json"),
        ("--project", LONG, "--out", "result.json"),
    ],
    ids=["out", "file", "project"],
)
def test_a_file_name_too_long_is_a_readable_error(project, args):
    # given after the project's own --project, which it overrides
    result = project.produce("run-evidence", *args, "--log", expect=1)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "internal" not in result.stderr
    assert project.runs() == []


def test_mlc_run_of_a_file_name_too_long_is_a_readable_error(project):
    for args in (["run", f"{LONG}.medlang"], ["run", f"{LONG}.medlang", "--log"]):
        result = project.mlc(*args, expect=1)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
        assert "internal" not in result.stderr


@pytest.mark.parametrize("victim", ["small_evidence.medlang", "hybrid.json"])
def test_an_output_that_is_an_input_is_refused_and_left_intact(trained, project, victim):
    other, _ = trained  # its surrogate: the hybrid config needs one
    config = {"model_version": 1, "surrogate": other.path("model/surrogate.json")}
    Path(project.path("hybrid.json")).write_text(json.dumps(config))
    before = Path(project.path(victim)).read_bytes()
    args = ("--hybrid-config", project.path("hybrid.json"), "--out", project.path(victim))

    result = project.produce("run-evidence-hybrid", *args, "--log", expect=1)

    assert result.stderr.startswith("Error: ") and "is an input of this run" in result.stderr
    assert Path(project.path(victim)).read_bytes() == before
    assert project.runs() == []


def test_a_policy_report_over_the_policy_it_evaluates_is_refused(project):
    policy = project.path("policy.json")
    configs = ("--env-config", project.path("env.json"))
    train = ("--train-config", project.path("rltrain.json"))
    project.produce("train-policy-rl", *configs, *train, "--out-policy", policy, "--quiet")
    before = Path(policy).read_bytes()

    args = ("--policy", policy, *configs, "--n-episodes", "2", "--out-report", policy)
    result = project.produce("eval-policy-rl", *args, expect=1)

    assert "is an input of this run" in result.stderr
    assert Path(policy).read_bytes() == before
