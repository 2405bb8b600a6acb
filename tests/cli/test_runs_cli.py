"""``mlc runs`` and ``mlc artifacts`` through the real CLI, on real registries.

Records get fixed ids and times (tests/registry/factories.py), so the snapshots
need no masking except the temporary registry path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import ArtifactKind, Registry, RunKind
from tests.registry.factories import artifact, fixed_id, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(tmp_path) -> Registry:
    return Registry(tmp_path / "reg")


@pytest.fixture
def filled(registry) -> Registry:
    """Seven runs, one of each kind, some with artifacts, git state and programs."""
    for n, kind in enumerate(RunKind, start=1):
        fields = {}
        if n % 2:
            registry.log_artifact(artifact(n, ArtifactKind.EvidenceResult))
            fields["artifacts"] = [artifact(n).id]
        if n % 3 == 0:
            fields |= {"git_commit": f"{n:x}" * 40, "git_dirty": n == 3}
        if kind.value.startswith("Evidence"):
            module = "/home/ada/projects/oncology/trial/src/trial.medlang"
            fields |= {"evidence_program": "OncologyTrial", "module_path": module}
        registry.log_run(run(n, kind, **fields))
    return registry


def invoke(registry: Registry, *args: str):
    result = CliRunner().invoke(cli, ["--registry", str(registry.root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def masked(registry: Registry, text: str) -> str:
    return text.replace(str(registry.root), "<registry>")


def test_list(filled, snapshot_text):
    result = invoke(filled, "runs", "list")
    assert result.exit_code == 0
    assert result.output == snapshot_text


def test_list_verbose(filled, snapshot_text):
    result = invoke(filled, "runs", "list", "-v")
    assert result.exit_code == 0
    assert result.output == snapshot_text


def test_list_limited_and_filtered(filled, snapshot_text):
    for n in range(8, 11):
        filled.log_run(run(n, RunKind.RLTrain))
    result = invoke(filled, "runs", "list", "--kind", "rltrain", "-n", "2")
    assert result.exit_code == 0
    assert result.output == snapshot_text
    assert result.output.endswith("Showing 2 of 4 runs\n")


def test_list_json_is_one_record_per_line(filled):
    result = invoke(filled, "runs", "list", "--json", "-n", "3")
    lines = result.output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [fixed_id(n) for n in (7, 6, 5)]
    stored = filled.find_run(fixed_id(7)).model_dump(mode="json")
    shown = json.loads(lines[0])
    assert shown == {
        **stored,
        "artifacts": [artifact(7).model_dump(mode="json")],
        "tags": {},
        "notes": [],
        "hidden": None,
    }
    # one line of `runs list --json` is exactly `runs show --json`
    assert invoke(filled, "runs", "show", fixed_id(7), "--json").output == lines[0] + "\n"


def test_list_empty_registry(registry):
    result = invoke(registry, "runs", "list")
    assert (result.exit_code, result.stdout) == (0, "No runs found\n")
    assert result.stderr == f"medlang: no registry at {registry.root}\n"
    as_json = invoke(registry, "runs", "list", "--json")
    assert (as_json.exit_code, as_json.stdout) == (0, "")
    assert not registry.root.exists()


def test_list_unknown_kind_lists_valid_kinds(filled, snapshot_text):
    result = invoke(filled, "runs", "list", "--kind", "Quantum")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == snapshot_text


def test_show(filled, snapshot_text):
    result = invoke(filled, "runs", "show", fixed_id(1))
    assert result.exit_code == 0
    assert result.output == snapshot_text


def test_show_with_id_option_and_prefix(filled):
    full = invoke(filled, "runs", "show", fixed_id(2)).output
    assert invoke(filled, "runs", "show", "--id", fixed_id(2)).output == full
    filled.log_run(run(50, id="abcdef12-0000-4000-8000-000000000001"))
    by_prefix = invoke(filled, "runs", "show", "ABCDEF")
    assert by_prefix.exit_code == 0
    assert json.loads(by_prefix.output)["config"] == {"seed": 50}


def test_show_json(filled):
    result = invoke(filled, "runs", "show", "--json", fixed_id(1))
    shown = json.loads(result.output)
    assert shown["id"] == fixed_id(1)
    assert shown["artifacts"] == [artifact(1).model_dump(mode="json")]
    assert result.output.count("\n") == 1  # one line, nothing else on stdout
    assert json.loads(invoke(filled, "runs", "show", fixed_id(1)).output) == shown


def test_show_ambiguous_prefix_lists_candidates(filled, snapshot_text):
    result = invoke(filled, "runs", "show", "0000000")
    assert result.exit_code == 1
    assert masked(filled, result.stderr) == snapshot_text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["runs", "show", "ffff"], 1, "Error: no run with id 'ffff' in <registry>\n"),
        (["runs", "show", "abc"], 2, "Error: run id prefix 'abc' is too short: give at least 4"),
        (["runs", "show", "not-hex!"], 2, "Error: invalid run id 'not-hex!': expected a UUID"),
        (["runs", "show"], 2, "Error: missing ID: give it as an argument or with --id\n"),
        (["runs", "show", "abcd", "--id", "abce"], 2, "Error: give the id once"),
        (["artifacts", "show", "ffff"], 1, "Error: no artifact with id 'ffff' in <registry>\n"),
        (["artifacts", "list", "--kind", "x"], 2, "Error: unknown artifact kind 'x'; valid kinds:"),
    ],
)
def test_errors_are_one_line_on_stderr(filled, args, code, message):
    result = invoke(filled, *args)
    assert result.exit_code == code
    assert result.stdout == ""
    assert masked(filled, result.stderr).startswith(message)
    assert result.stderr.count("\n") == 1


def test_export_config_round_trip(filled, tmp_path):
    config = {"seed": 42, "arms": [{"dose": 0.5, "n": 100}], "hybrid": {"threshold": 0.25}}
    filled.log_run(run(60, config=config))
    out = tmp_path / "deep" / "dir" / "config.json"
    result = invoke(
        filled, "runs", "export-config", "--id", fixed_id(60)[:-1] + "c", "--out", str(out)
    )
    assert result.exit_code == 0
    assert result.stderr == f"Wrote the config of run {fixed_id(60)} to {out}\n"
    assert result.stdout == ""
    assert json.loads(out.read_text()) == config
    assert out.read_text() == json.dumps(config, indent=2) + "\n"


def test_export_config_warns_about_redacted_values(filled, tmp_path):
    filled.log_run(run(61, config={"seed": 1, "db": {"password": "***REDACTED***"}}))
    out = tmp_path / "c.json"
    result = invoke(filled, "runs", "export-config", "--id", fixed_id(61), "--out", str(out))
    assert result.exit_code == 0
    assert "Warning: db.password was redacted" in result.stderr


def test_export_config_to_a_directory_is_an_error(filled, tmp_path):
    result = invoke(filled, "runs", "export-config", "--id", fixed_id(1), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_artifacts_list(filled, snapshot_text):
    result = invoke(filled, "artifacts", "list")
    assert result.exit_code == 0
    assert result.output == snapshot_text


def test_artifacts_list_by_kind_and_empty(filled):
    assert invoke(filled, "artifacts", "list", "--kind", "RLPolicy").output == (
        "No artifacts found\n"
    )
    result = invoke(filled, "artifacts", "list", "--kind", "evidenceresult", "--json")
    assert len(result.output.splitlines()) == 4


def test_artifacts_show_of_an_artifact_no_run_references(registry):
    registry.log_artifact(artifact(1))
    result = invoke(registry, "artifacts", "show", "--id", artifact(1).id)
    assert result.exit_code == 0
    assert json.loads(result.output) == {**artifact(1).model_dump(mode="json"), "runs": []}


def test_artifacts_show(filled, snapshot_text):
    result = invoke(filled, "artifacts", "show", artifact(3).id[:-2] + "03")
    assert result.exit_code == 0
    assert result.output == snapshot_text


def test_registry_option_wins_over_environment(filled, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLANG_REGISTRY", str(tmp_path / "elsewhere"))
    assert "Showing 7 of 7 runs" in invoke(filled, "runs", "list").output
    env_only = CliRunner().invoke(cli, ["runs", "list"])
    assert env_only.stdout == "No runs found\n"
    assert env_only.stderr == f"medlang: no registry at {tmp_path / 'elsewhere'}\n"
    monkeypatch.setenv("MEDLANG_REGISTRY", str(filled.root))
    assert "Showing 7 of 7 runs" in CliRunner().invoke(cli, ["runs", "list"]).output


def test_show_marks_artifacts_missing_from_the_log(registry):
    registry.log_run(run(1, artifacts=[artifact(9).id]))
    result = invoke(registry, "runs", "show", fixed_id(1))
    assert result.exit_code == 0
    assert json.loads(result.output)["artifacts"] == [{"id": artifact(9).id, "missing": True}]


def test_export_config_where_a_file_blocks_the_path(filled, tmp_path):
    (tmp_path / "blocker").write_text("")
    out = tmp_path / "blocker" / "config.json"
    result = invoke(filled, "runs", "export-config", "--id", fixed_id(1), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write {out}: File exists ({tmp_path / 'blocker'})\n"


def test_a_closed_pipe_ends_quietly(filled):
    for n in range(8, 400):
        filled.log_run(run(n))
    command = [sys.executable, "-m", "medlang", "--registry", str(filled.root), "runs", "list"]
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    writer = subprocess.run(
        [*command, "--json", "-n", "400"], stdout=reader.stdin, stderr=subprocess.PIPE, cwd=REPO
    )
    reader.stdin.close()
    assert reader.stdout.read() == b'{"id":"000'
    reader.wait()
    assert (writer.returncode, writer.stderr) == (0, b"")


def test_a_table_row_is_one_line_whatever_a_value_holds(registry):
    """A tag or config value with a newline, tab or terminal escape sequence is shown
    escaped: it cannot split a row of the table or drive the terminal."""
    registry.log_run(run(1, RunKind.SurrogateEval, config={"label": "two\nlines"}))
    registry.tag_run(fixed_id(1), {"note": "tab\there", "colour": "\x1b[31mred"})
    result = invoke(registry, "runs", "list", "--columns", "id,config.label,tags.note,tags.colour")
    assert result.exit_code == 0, result.output
    header, row, *footer = result.output.splitlines()
    assert footer == ["", "Showing 1 of 1 runs"]
    assert "two\\nlines" in row and "tab\\there" in row and "\\x1b[31mred" in row
    assert "\x1b" not in result.output and "\t" not in result.output
    # machine formats keep the exact value
    shown = json.loads(invoke(registry, "runs", "list", "--format", "json").output)
    assert shown[0]["tags"]["colour"] == "\x1b[31mred"
