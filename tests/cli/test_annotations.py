"""Tags, notes, delete and restore: through the real CLI, folded into show/list/--json,
checked against the JSON Schema generated from the record models."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind
from medlang.registry.views import artifact_view_schema, run_view_schema
from tests.registry.factories import artifact, fixed_id, run


@pytest.fixture
def registry(tmp_path) -> Registry:
    registry = Registry(tmp_path / "reg")
    registry.log_artifact(artifact(1))
    registry.log_run(run(1, artifacts=[artifact(1).id, artifact(9).id]))  # 9: never logged
    registry.log_run(run(2, RunKind.SurrogateEval))
    registry.log_run(run(3, RunKind.SurrogateEval))
    return registry


def mlc(registry: Registry, *args: str):
    result = CliRunner().invoke(cli, ["--registry", str(registry.root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def masked(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", text)


def test_tags_and_notes_are_folded_into_show(registry, snapshot_text):
    assert mlc(registry, "runs", "tag", fixed_id(1).upper(), "paper=fig3", "x=1").exit_code == 0
    assert mlc(registry, "runs", "tag", fixed_id(1), "x=2", "--remove", "paper").exit_code == 0
    assert mlc(registry, "runs", "tag", fixed_id(1), "paper=fig4").exit_code == 0
    assert mlc(registry, "runs", "note", fixed_id(1), "first look").exit_code == 0
    assert mlc(registry, "runs", "note", fixed_id(1), "second = look").exit_code == 0
    shown = mlc(registry, "runs", "show", fixed_id(1))
    assert masked(shown.stdout) == snapshot_text
    view = json.loads(shown.stdout)
    assert view["tags"] == {"paper": "fig4", "x": "2"}
    assert [note["text"] for note in view["notes"]] == ["first look", "second = look"]
    assert registry.get_tags(fixed_id(1)) == {"paper": "fig4", "x": "2"}
    # the log holds one line per command, never a rewritten run
    lines = (registry.root / "annotations.jsonl").read_text().splitlines()
    assert [json.loads(line)["op"] for line in lines] == ["tag", "tag", "tag", "note", "note"]
    assert (registry.root / "runs.jsonl").read_text().count("\n") == 3


def test_tag_messages_go_to_stderr(registry):
    result = mlc(registry, "runs", "tag", fixed_id(2), "paper=fig3")
    assert result.stdout == ""
    assert result.stderr == f"Tags of run {fixed_id(2)}: paper=fig3\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "tag", fixed_id(1)], "Error: nothing to do: give KEY=VALUE pairs"),
        (["runs", "tag", fixed_id(1), "paper"], "Error: tag 'paper': expected KEY=VALUE"),
        (["runs", "tag", fixed_id(1), "=x"], "Error: tag '=x': expected KEY=VALUE"),
        (["runs", "note", fixed_id(1), "  "], "Error: the note is empty"),
        (["runs", "tag", "ffff", "a=b"], "Error: no run with id 'ffff'"),
        (["runs", "delete", "0000"], "Error: run id prefix '0000' is ambiguous"),
    ],
)
def test_bad_annotations_are_one_line_errors(registry, args, message):
    result = mlc(registry, *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert not (registry.root / "annotations.jsonl").exists()


def test_delete_hides_and_restore_brings_back(registry, snapshot_text):
    assert mlc(registry, "runs", "delete", fixed_id(2)).exit_code == 0
    listed = mlc(registry, "runs", "list")
    assert fixed_id(2) not in listed.stdout
    assert listed.stdout.endswith("Showing 2 of 2 runs\n")
    assert [
        json.loads(line)["id"]
        for line in mlc(registry, "runs", "list", "--json").stdout.splitlines()
    ] == [
        fixed_id(3),
        fixed_id(1),
    ]
    everything = mlc(registry, "runs", "list", "--all")
    assert everything.stdout == snapshot_text
    assert json.loads(mlc(registry, "runs", "show", fixed_id(2), "--json").stdout)["hidden"] == (
        "deleted"
    )
    assert registry.count_runs() == 2
    assert registry.count_runs(include_hidden=True) == 3
    assert registry.count_runs(RunKind.SurrogateEval) == 1
    assert [r.id for r in registry.find_runs_by_kind("SurrogateEval")] == [fixed_id(3)]
    assert registry.hidden_runs() == {fixed_id(2): "deleted"}

    assert mlc(registry, "runs", "restore", fixed_id(2)).exit_code == 0
    assert "Showing 3 of 3 runs" in mlc(registry, "runs", "list").stdout
    assert registry.hidden_runs() == {}


def test_annotations_survive_an_index_rebuild(registry):
    registry.tag_run(fixed_id(3), {"paper": "fig3"})
    registry.delete_run(fixed_id(2))
    registry.note_run(fixed_id(3), "kept")
    (registry.root / "index.sqlite").unlink()
    fresh = Registry(registry.root)
    folded = fresh.annotations_json([fixed_id(2), fixed_id(3)])
    assert folded[fixed_id(3)].tags == {"paper": "fig3"}
    assert [note["text"] for note in folded[fixed_id(3)].notes] == ["kept"]
    assert folded[fixed_id(2)].hidden == "deleted"
    assert fresh.count_runs() == 2


def test_the_index_has_the_tables_the_query_language_reads(registry):
    import sqlite3

    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    registry.delete_run(fixed_id(2))
    registry.count_runs()
    with sqlite3.connect(registry.root / "index.sqlite") as conn:
        assert conn.execute("SELECT run_id, key, value FROM run_tags").fetchall() == [
            (fixed_id(1), "paper", "fig3")
        ]
        assert conn.execute("SELECT run_id, reason FROM run_hidden").fetchall() == [
            (fixed_id(2), "deleted")
        ]


def test_json_outputs_follow_the_generated_schemas(registry):
    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    registry.note_run(fixed_id(1), "a note")
    registry.delete_run(fixed_id(3))
    run_schema, artifact_schema = run_view_schema(), artifact_view_schema()
    lines = mlc(registry, "runs", "list", "--all", "--json").stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        jsonschema.validate(json.loads(line), run_schema)
    for n in (1, 2, 3):
        shown = mlc(registry, "runs", "show", fixed_id(n), "--json").stdout
        jsonschema.validate(json.loads(shown), run_schema)
        assert shown in [line + "\n" for line in lines]  # the same shape as list
    artifact_json = mlc(registry, "artifacts", "show", artifact(1).id, "--json").stdout
    jsonschema.validate(json.loads(artifact_json), artifact_schema)
    assert json.loads(artifact_json)["runs"] == [fixed_id(1)]
    listed = mlc(registry, "artifacts", "list", "--json").stdout
    assert listed == artifact_json
    with pytest.raises(jsonschema.ValidationError):  # the schema does check something
        jsonschema.validate({**json.loads(lines[0]), "tags": {"a": 1}}, run_schema)
