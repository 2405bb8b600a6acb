"""The README's command-line tour, run as a user would: its lines in order, in a
copy of the example project, each `--json` output parsed by the real `jq`; and
every flag the README says every producer takes exists on every producer."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.evidence import PRODUCERS

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def tour_lines() -> list[str]:
    section = README.split("## The command line, in order", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the tour's ```sh block is missing from the README"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_every_json_output_in_the_tour_goes_through_jq():
    json_lines = [line for line in tour_lines() if "--json" in line]
    assert len(json_lines) >= 5
    for line in json_lines:
        assert "| jq" in line, f"a --json output the test would not parse: {line}"


def test_every_flag_the_readme_promises_exists_on_every_producer():
    sentence = re.search(r"Every producer takes (.*?)\.\n", README)
    assert sentence is not None
    flags = re.findall(r"`(--[a-z-]+)", sentence.group(1))
    assert {"--config", "--out", "--seed", "--set", "--log"} <= set(flags)
    for command in PRODUCERS:
        options = {
            opt
            for param in cli.get_command(None, command).params  # type: ignore[arg-type]
            for opt in param.opts
        }
        assert set(flags) <= options, (command, set(flags) - options)
        shown = CliRunner().invoke(cli, [command, "--help"]).stdout
        assert all(flag in shown for flag in flags), command


def test_every_flag_used_in_the_readme_exists_on_its_command():
    """Any `mlc COMMAND ... --flag` line anywhere in the README names real options."""
    for line in re.findall(r"^\s*(?:RUN=\$\()?mlc (.*)$", README, re.M):
        words = line.split()
        names = [w for w in words if not w.startswith("-")][:2]
        command = cli
        for name in names:
            sub = getattr(command, "get_command", lambda *_: None)(None, name)
            if sub is None:
                break
            command = sub
        options = {opt for param in command.params for opt in param.opts}
        options |= {"--help", "-h"}
        for word in words:
            flag = word.split("=", 1)[0].rstrip(")")
            if re.fullmatch(r"--[a-z][a-z-]*", flag) and command is not cli:
                assert flag in options or flag == "--registry", (line, flag)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (.ci/run installs it)")
def test_the_tour_runs_in_order(tmp_path):
    project = tmp_path / "oncology"
    shutil.copytree(REPO / "examples" / "oncology", project)
    lines = tour_lines()
    assert lines[0].startswith("cd examples/oncology")
    script = "\n".join(
        [
            "set -euo pipefail",
            f'mlc() {{ "{sys.executable}" -m medlang "$@"; }}',
            f'cd "{project}"',
            *lines[1:],
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MEDLANG_REGISTRY", None)
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env, check=False
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert "Traceback" not in done.stderr
    assert (project / ".registry" / "runs.jsonl").exists()  # its own registry, not yours
    assert (project / "archive.jsonl").exists()
