"""``mlc runs lineage``: the ancestry as a tree, --descendants, --json, --dot."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from tests.provenance import chain as c


@pytest.fixture
def story(tmp_path) -> c.Chain:
    return c.build(tmp_path / "reg")


def _mlc(story: c.Chain, *args: str):
    return CliRunner().invoke(cli, ["--registry", str(story.registry.root), "runs", *args])


def test_the_ancestry_tree(story, snapshot_text):
    result = _mlc(story, "lineage", story.hybrid)
    assert result.exit_code == 0, result.output
    assert result.output == snapshot_text


def test_the_descendants_tree(story, snapshot_text):
    result = _mlc(story, "lineage", story.train, "--descendants")
    assert result.exit_code == 0, result.output
    assert result.output == snapshot_text


def test_json_is_the_data_layers_graph(story):
    result = _mlc(story, "lineage", story.hybrid, "--json")
    assert result.exit_code == 0, result.output
    graph = json.loads(result.output)
    assert graph["root"] == story.hybrid
    assert {run["id"]: run["relation"] for run in graph["runs"]} == {
        story.hybrid: "root",
        story.train: "ancestor",
        story.evaluation: "evaluation",
    }


def test_dot_is_a_graphviz_digraph(story, snapshot_text):
    result = _mlc(story, "lineage", story.hybrid, "--dot")
    assert result.exit_code == 0, result.output
    assert result.output == snapshot_text


def test_dot_parses_with_graphviz(story, tmp_path):
    import shutil
    import subprocess

    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    result = _mlc(story, "lineage", story.train, "--descendants", "--dot")
    done = subprocess.run(["dot", "-Tsvg"], input=result.output, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["feedfeed"], "no run with id 'feedfeed'", 1),
        (["no!"], "too short", 2),
        (["ID", "--json", "--dot"], "choose one of --json and --dot", 2),
        (["ID", "--depth", "0"], "Invalid value for '--depth'", 2),
    ],
)
def test_errors_are_one_line(story, args, message, code):
    args = [story.hybrid if arg == "ID" else arg for arg in args]
    result = _mlc(story, "lineage", *args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_empty_registry_says_so(tmp_path):
    result = CliRunner().invoke(cli, ["--registry", str(tmp_path), "runs", "lineage", "abcd1234"])
    assert result.exit_code == 1
    assert "no run with id 'abcd1234'" in result.output
