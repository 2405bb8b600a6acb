"""Hostile log lines found in review: each is skipped with a warning, never fatal."""

from __future__ import annotations

import json

import pytest

from medlang.registry import Registry, RegistryError
from medlang.registry.codec import encode
from tests.registry.factories import fixed_id, run


@pytest.fixture
def registry(tmp_path) -> Registry:
    return Registry(tmp_path / "reg")


def _with_config(n: int, config_json: str) -> bytes:
    """A valid run line whose config is replaced by raw JSON text."""
    obj = json.loads(encode(run(n)))
    obj["config"] = "CONFIG"
    return json.dumps(obj).replace('"CONFIG"', config_json).encode() + b"\n"


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param('{"a": ' + "[" * 5000 + "]" * 5000 + "}", id="nested-5000-deep"),
        pytest.param('{"a": ' + "9" * 5000 + "}", id="int-with-5000-digits"),
    ],
)
def test_a_line_json_cannot_decode_is_skipped_with_a_warning(registry, capsys, hostile):
    registry.root.mkdir(parents=True)
    lines = encode(run(1)) + b"\n" + _with_config(2, hostile) + encode(run(3)) + b"\n"
    (registry.root / "runs.jsonl").write_bytes(lines)

    assert [r.id for r in registry.load_runs()] == [fixed_id(1), fixed_id(3)]
    assert registry.find_run(fixed_id(3)) is not None
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "runs.jsonl:2" in warnings[0], warnings


@pytest.mark.parametrize("blocker", ["root-is-under-a-file", "log-is-a-directory"])
def test_a_log_that_cannot_be_written_is_a_registry_error_naming_it(tmp_path, blocker):
    if blocker == "root-is-under-a-file":
        (tmp_path / "file").write_text("")
        root = tmp_path / "file" / "reg"
    else:
        root = tmp_path / "reg"
        (root / "runs.jsonl").mkdir(parents=True)

    with pytest.raises(RegistryError, match=r"cannot write .*runs\.jsonl"):
        Registry(root).log_run(run(1))


def test_a_limit_beyond_sqlite_integers_means_all(registry):
    for n in (1, 2):
        registry.log_run(run(n))
    assert [r.id for r in registry.recent_runs(10**30)] == [fixed_id(2), fixed_id(1)]


@pytest.mark.parametrize(
    "text", [b'"\\ud800bad"', b'"\xed\xa0\x80bad"'], ids=["escaped", "raw-bytes"]
)
def test_a_line_with_a_lone_surrogate_is_skipped_with_a_warning(registry, capsys, text):
    # no UTF-8 text can hold it: every command printing the record would fail
    registry.root.mkdir(parents=True)
    obj = json.loads(encode(run(2)))
    obj["evidence_program"] = "X"
    bad = json.dumps(obj).encode().replace(b'"X"', text) + b"\n"
    emoji = _with_config(3, '{"note": "\\ud83d\\ude00"}')  # a valid pair stays
    (registry.root / "runs.jsonl").write_bytes(encode(run(1)) + b"\n" + bad + emoji)

    assert [r.id for r in registry.load_runs()] == [fixed_id(1), fixed_id(3)]
    assert registry.find_run(fixed_id(3)).config == {"note": "\U0001f600"}
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "runs.jsonl:2" in warnings[0], warnings


@pytest.mark.parametrize("year", [1, 999])
def test_a_run_from_before_the_year_1000_round_trips(registry, capsys, year):
    from datetime import UTC, datetime

    started = datetime(year, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    registry.log_run(run(1, started_at=started, finished_at=started))

    assert (
        f'"started_at":"{year:04d}-01-02T03:04:05.000006Z"'
        in (registry.root / "runs.jsonl").read_text()
    )
    assert registry.find_run(fixed_id(1)).started_at == started
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "spelling",
    [
        "00000000000040008000000000000001",
        "{00000000-0000-4000-8000-000000000001}",
        "urn:uuid:00000000-0000-4000-8000-000000000001",
    ],
    ids=["no-hyphens", "braces", "urn"],
)
def test_any_spelling_of_a_whole_id_resolves(registry, spelling):
    registry.log_run(run(1))
    assert registry.resolve_run_id(spelling) == fixed_id(1)
