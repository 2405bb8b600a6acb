"""The on-disk format: ids, kinds, timestamps and field order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from medlang.registry import ArtifactKind, RunKind, RunRecord, format_timestamp, parse_timestamp
from tests.registry.factories import fixed_id, run


def test_kinds_are_exactly_the_issue_variants():
    assert RunKind.names() == [
        "EvidenceMechanistic", "EvidenceSurrogate", "EvidenceHybrid",
        "SurrogateTrain", "SurrogateEval", "RLTrain", "RLEval",
    ]  # fmt: skip
    assert ArtifactKind.names() == [
        "EvidenceResult", "SurrogateModel", "SurrogateEvalReport",
        "RLPolicy", "RLTrainReport", "RLEvalReport",
    ]  # fmt: skip


def test_a_bad_id_in_a_record_is_a_clear_validation_error():
    with pytest.raises(ValidationError, match="invalid run id 'run-1': expected a UUID v4"):
        run(1, id="run-1")


def test_an_unknown_kind_in_a_record_lists_the_valid_ones():
    with pytest.raises(ValidationError, match="unknown RunKind 'Evidence'; valid kinds: Evid"):
        run(1, kind="Evidence")


def test_ids_are_stored_lowercase():
    assert run(1, id=fixed_id(0xABC).upper()).id == fixed_id(0xABC)


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("2025-01-23T14:32:10Z", 0),
        ("2025-01-23T14:32:10.1Z", 100_000),
        ("2025-01-23T14:32:10.123Z", 123_000),
        ("2025-01-23T14:32:10.123456Z", 123_456),
        ("2025-01-23T14:32:10.123456789Z", 123_456),  # chrono nanoseconds, truncated
        ("2025-01-23T14:32:10.123456+00:00", 123_456),
        ("2025-01-23T15:32:10.123456+01:00", 123_456),
    ],
)
def test_timestamps_in_every_accepted_form(text, micros):
    assert parse_timestamp(text) == datetime(2025, 1, 23, 14, 32, 10, micros, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2025-01-23 14:32", "2025-01-23T14:32:10", "yesterday", ""])
def test_bad_timestamps_are_rejected(text):
    with pytest.raises(ValueError, match="timestamp"):
        parse_timestamp(text)


def test_timestamps_are_written_in_utc_with_z():
    assert format_timestamp(parse_timestamp("2025-01-23T15:32:10+01:00")) == (
        "2025-01-23T14:32:10.000000Z"
    )


def test_a_line_without_optional_fields_loads_with_defaults():
    record = RunRecord.model_validate(
        {
            "id": fixed_id(1),
            "kind": "RLEval",
            "started_at": "2025-01-23T14:32:10Z",
            "finished_at": "2025-01-23T14:32:11Z",
            "project_root": "/p",
        }
    )
    assert (record.module_path, record.git_commit, record.git_dirty, record.env) == (
        None,
        None,
        False,
        None,
    )
    assert (record.config, record.metrics, record.artifacts) == ({}, {}, [])


@pytest.mark.parametrize(
    "text",
    [
        "6A14C8A2-0B5E-4C1D-9F3A-2B7C9D1E4F50",
        "{6a14c8a2-0b5e-4c1d-9f3a-2b7c9d1e4f50}",
        "6a14c8a20b5e4c1d9f3a2b7c9d1e4f50",
    ],
)
def test_other_spellings_of_an_id_are_normalized(text):
    assert run(1, id=text).id == "6a14c8a2-0b5e-4c1d-9f3a-2b7c9d1e4f50"


@pytest.mark.parametrize(
    "text",
    ["6a14c8a2-0b5e-3c1d-9f3a-2b7c9d1e4f50", "6a14c8a2-0b5e-4c1d-7f3a-2b7c9d1e4f50"],
)
def test_ids_that_are_not_version_4_are_rejected(text):
    with pytest.raises(ValidationError, match="not a version-4 UUID"):
        run(1, id=text)
