"""The lineage data layer: runs linked by the sha256 of the files they share."""

from __future__ import annotations

import pytest

from medlang.provenance import lineage
from medlang.registry import Registry
from medlang.registry.errors import InvalidIdError, RegistryError
from medlang.registry.inputs import InputFile, input_files
from tests.provenance import chain as c
from tests.registry.factories import artifact, fixed_id, run


@pytest.fixture
def story(tmp_path) -> c.Chain:
    return c.build(tmp_path / "reg")


def _kinds(graph: lineage.LineageGraph) -> dict[str, str]:
    return {node.id: node.relation for node in graph.runs.values()}


def test_the_hybrid_run_descends_from_the_training_run_qualified_by_the_evaluation(story):
    graph = lineage.ancestors(story.registry, story.hybrid)

    assert _kinds(graph) == {
        story.hybrid: "root",
        story.train: "ancestor",  # the earliest producer of the surrogate's bytes
        story.evaluation: "evaluation",
    }
    assert [(e.role, e.sha256) for e in graph.used(story.hybrid)] == [
        ("evidence_program", c.PROGRAM),
        ("surrogate", c.SURROGATE),
        ("config_file", c.CONFIG_HYBRID),
    ]
    assert [run.id for run in graph.producers(c.SURROGATE)] == [story.train]
    assert [(run.id, e.role) for run, e in graph.consumers(c.SURROGATE)] == [
        (story.hybrid, "surrogate"),
        (story.evaluation, "surrogate"),
    ]
    # the training run's own inputs are part of the ancestry
    assert {e.sha256 for e in graph.used(story.train)} == {c.PROGRAM, c.CONFIG_TRAIN}
    assert graph.files[c.SURROGATE].kind == "SurrogateModel"
    assert graph.runs[story.evaluation].verdict is None  # the fixture records no verdict


def test_a_run_with_unproduced_inputs_has_no_ancestors(story):
    graph = lineage.ancestors(story.registry, story.mechanistic)
    assert list(graph.runs) == [story.mechanistic]
    assert [e.role for e in graph.used(story.mechanistic)] == ["evidence_program"]
    assert graph.producers(c.PROGRAM) == []


def test_depth_limits_the_generations(story):
    graph = lineage.ancestors(story.registry, story.hybrid, depth=1)
    assert story.train in graph.runs
    assert graph.used(story.train) == []  # not followed further


def test_descendants_follow_outputs_to_every_run_that_read_them(story):
    graph = lineage.descendants(story.registry, story.train)

    assert _kinds(graph) == {
        story.train: "root",
        story.evaluation: "descendant",
        story.hybrid: "descendant",
        story.hybrid_2: "descendant",
    }
    paths = {run.id: e.path for run, e in graph.consumers(c.SURROGATE)}
    assert paths[story.hybrid_2] == "/elsewhere/copy-of-surrogate.json"  # content, not path
    assert {e.sha256 for e in graph.generated(story.hybrid)} == {c.RESULT}


def test_descendants_of_a_run_nobody_used(story):
    graph = lineage.descendants(story.registry, story.hybrid)
    assert list(graph.runs) == [story.hybrid]
    assert [e.sha256 for e in graph.generated(story.hybrid)] == [c.RESULT]


def test_producer_is_the_earliest_run_that_wrote_the_bytes(story):
    assert lineage.producer(story.registry, c.SURROGATE)["id"] == story.train
    assert lineage.producer(story.registry, "sha256:" + c.SURROGATE.upper())["id"] == story.train
    assert lineage.producer(story.registry, story.result_artifact)["id"] == story.hybrid
    unhyphenated = story.result_artifact.replace("-", "")
    assert lineage.producer(story.registry, unhyphenated)["id"] == story.hybrid
    assert lineage.producer(story.registry, c.PROGRAM) is None  # read, never produced
    with pytest.raises(RegistryError, match="no artifact"):
        lineage.producer(story.registry, "feedfeed")


def test_inputs_are_what_the_run_recorded(story):
    assert lineage.inputs(story.registry, story.hybrid.upper()) == [
        InputFile("evidence_program", c.PROGRAM, "/p/evidence.medlang"),
        InputFile("surrogate", c.SURROGATE, "/p/surrogate.json"),
        InputFile("config_file", c.CONFIG_HYBRID, "/p/h.json"),
    ]
    with pytest.raises(RegistryError, match="no run"):
        lineage.inputs(story.registry, "feedfeed")


def test_graph_json_names_every_node_and_edge(story):
    data = lineage.ancestors(story.registry, story.hybrid).to_json()

    assert data["root"] == story.hybrid and data["direction"] == "ancestors"
    runs = {node["id"]: node for node in data["runs"]}
    assert runs[story.train]["kind"] == "SurrogateTrain"
    assert runs[story.train]["status"] == "finished"
    files = {node["sha256"] for node in data["files"]}
    assert {c.SURROGATE, c.PROGRAM, c.RESULT, c.REPORT} <= files
    assert {
        "relation": "generated",
        "run": story.train,
        "sha256": c.SURROGATE,
        "artifact": story.surrogate_artifact,
        "path": "/p/surrogate.json",
    } in data["edges"]
    ends = {edge["run"] for edge in data["edges"]} | {edge["sha256"] for edge in data["edges"]}
    assert ends <= set(runs) | files  # no dangling edge


def test_cycles_terminate(tmp_path):
    # A run that reads and writes the same bytes, and two runs that feed each other.
    registry = Registry(tmp_path / "reg")
    sha_a, sha_b = "a1" * 32, "b2" * 32
    registry.log_artifact(artifact(1, sha256=sha_a))
    registry.log_artifact(artifact(2, sha256=sha_b))
    registry.log_artifact(artifact(3, sha256=sha_a))
    inputs_1 = {"inputs": {"x": {"path": "/b", "sha256": sha_b}, "y": {"sha256": sha_a}}}
    registry.log_run(run(1, config=inputs_1, artifacts=[artifact(1).id]))
    registry.log_run(
        run(2, config={"inputs": {"x": {"sha256": sha_a}}}, artifacts=[artifact(2).id])
    )

    up = lineage.ancestors(registry, fixed_id(1))
    down = lineage.descendants(registry, fixed_id(1))

    assert set(up.runs) == {fixed_id(1), fixed_id(2)}
    assert set(down.runs) == {fixed_id(1), fixed_id(2)}


def test_inputs_are_found_wherever_they_nest():
    config = {
        "seed": 1,
        "inputs": {
            "evidence_program": {"module_path": "/p/e.medlang", "sha256": "AB" * 32},
            "modules": [{"path": "/p/lib.medlang", "sha256": "cd" * 32}],
            "not_a_file": {"sha256": "short"},
            "config_file": {"path": "/p/c.json", "sha256": None},
        },
        "outside": {"sha256": "ef" * 32},  # not under inputs: not an input
    }
    assert input_files(config) == [
        InputFile("evidence_program", "ab" * 32, "/p/e.medlang"),
        InputFile("modules[0]", "cd" * 32, "/p/lib.medlang"),
    ]
    assert input_files({"inputs": "odd"}) == [] and input_files(None) == []


def test_an_invalid_hash_is_a_readable_error(story):
    with pytest.raises(InvalidIdError, match="64 hex digits"):
        story.registry.runs_using_json("xyz")


def test_a_deleted_producer_stays_in_the_lineage_marked(story):
    from medlang.provenance import lineage_render

    story.registry.delete_run(story.train)

    graph = lineage.ancestors(story.registry, story.hybrid)

    assert graph.runs[story.train].hidden == "deleted"
    assert graph.runs[story.hybrid].hidden is None
    assert f"produced by SurrogateTrain {story.train}" in lineage_render.tree(graph)
    assert "[deleted]" in lineage_render.tree(graph)
    assert {"id": story.train, "hidden": "deleted"}.items() <= graph.runs[
        story.train
    ].to_json().items()
