"""``get_inputs`` and ``get_producer``: lineage from MedLang, over the lineage data layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from medlang.lang.bridge import registry as bridge
from medlang.lang.externs import ExternContext, ExternFailure
from medlang.lang.values import NONE, Record, Some
from tests.provenance import chain as c

from .cli_support import TextSnapshot, mlc, transcript


@pytest.fixture
def story(tmp_path) -> c.Chain:
    return c.build(tmp_path / "reg")


@pytest.fixture
def ctx(story) -> ExternContext:
    return ExternContext(story.registry.root)


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


def test_get_inputs_lists_the_recorded_files_in_order(story, ctx):
    inputs = bridge.get_inputs(ctx, story.hybrid)
    assert inputs == (
        Record(
            "InputFile",
            {"role": "evidence_program", "path": "/p/evidence.medlang", "sha256": c.PROGRAM},
        ),
        Record(
            "InputFile", {"role": "surrogate", "path": "/p/surrogate.json", "sha256": c.SURROGATE}
        ),
        Record(
            "InputFile", {"role": "config_file", "path": "/p/h.json", "sha256": c.CONFIG_HYBRID}
        ),
    )
    assert list(inputs[0].fields) == ["role", "path", "sha256"]  # as declared


def test_get_producer_by_sha_or_artifact_id(story, ctx):
    assert bridge.get_producer(ctx, c.SURROGATE) == Some(story.train)
    assert bridge.get_producer(ctx, f"sha256:{c.SURROGATE}") == Some(story.train)
    assert bridge.get_producer(ctx, story.result_artifact) == Some(story.hybrid)
    assert bridge.get_producer(ctx, c.PROGRAM) is NONE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feedfeed", "no artifact with id 'feedfeed'"),
        ("zz", "too short"),
    ],
)
def test_get_producer_of_an_unknown_artifact_is_a_runtime_error(ctx, text, message):
    with pytest.raises(ExternFailure, match=message):
        bridge.get_producer(ctx, text)


def test_get_inputs_of_an_unknown_run_is_a_runtime_error(ctx):
    with pytest.raises(ExternFailure, match="unknown run id 'feedfeed'"):
        bridge.get_inputs(ctx, "feedfeed")


def test_the_trace_lineage_example(story, in_repo: Path, text_snapshot):
    result = mlc("run", "examples/trace_lineage.medlang", registry=story.registry.root)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == text_snapshot


def test_the_trace_lineage_example_on_an_empty_registry(in_repo: Path, tmp_path, text_snapshot):
    result = mlc("run", "examples/trace_lineage.medlang", registry=tmp_path / "empty")
    assert transcript(result) == text_snapshot


def test_lineage_calls_are_type_checked(tmp_path, text_snapshot):
    program = tmp_path / "bad.medlang"
    program.write_text(
        "module bad;\n"
        "import med.registry::{get_inputs, get_producer};\n"
        "fn main() {\n"
        "  let inputs = get_inputs(42);\n"
        '  let producer: String = get_producer("abcd");\n'
        '  println("{}", inputs[0].size);\n'
        "}\n"
    )
    result = mlc("check", program)
    assert result.exit_code != 0
    assert transcript(result).replace(str(tmp_path), "<tmp>") == text_snapshot
