"""``mlc runs list`` / ``mlc artifacts list`` with the query language, through the real CLI.

Snapshots of the human output, schema checks of the JSON, CSV and TSV read back.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from medlang.cli import listing
from medlang.cli.main import cli
from medlang.registry import Registry
from tests.registry.factories import artifact, run

# ids that differ in their first characters, as real random ones do (short ids apply)
IDS = [f"{n:x}{n:x}c0ffee-0000-4000-8000-{n:012x}" for n in range(1, 10)]


@pytest.fixture
def surrogates(tmp_path) -> Registry:
    registry = Registry(tmp_path / "reg")
    rmse = [0.03, 0.2, 0.04, None, 0.5, 0.04, 0.01, 0.9, 0.06]
    for n in range(1, 10):
        registry.log_artifact(artifact(n, size_bytes=1000 * n))
        metrics = {"r_squared": round(1 - n / 100, 2)}
        if rmse[n - 1] is not None:
            metrics["rmse"] = rmse[n - 1]
        registry.log_run(
            run(
                n,
                id=IDS[n - 1],
                kind="SurrogateEval" if n % 3 else "SurrogateTrain",
                metrics=metrics,
                config={"seed": n, "model": {"layers": 2 + n % 2}},
                evidence_program="OncologyTrial",
                artifacts=[artifact(n).id],
            )
        )
    registry.tag_run(IDS[2], {"paper": "fig3"})
    registry.delete_run(IDS[8])
    return registry


def mlc(registry: Registry, *args: str, code: int = 0):
    result = CliRunner().invoke(cli, ["--registry", str(registry.root), *args])
    assert result.exit_code == code, (result.output, result.stderr)
    return result


QUERY = "kind = SurrogateEval and (metrics.rmse < 0.05 or metrics.r_squared > 0.97)"


def test_where_order_and_columns(surrogates, snapshot_text):
    result = mlc(
        surrogates,
        "runs",
        "list",
        "--where",
        QUERY,
        "--order-by",
        "metrics.rmse",
        "--columns",
        "id,kind,metrics.rmse,metrics.r_squared,config.model.layers,tags.paper",
    )
    assert result.stdout == snapshot_text


def test_default_table_has_short_ids_and_full_ids_on_request(surrogates, snapshot_text):
    short = mlc(surrogates, "runs", "list", "-n", "3").stdout
    assert short == snapshot_text
    full = mlc(surrogates, "runs", "list", "-n", "3", "--full-ids").stdout
    assert f"\n{IDS[7]}  SurrogateEval" in full


def test_a_table_on_a_terminal_fits_100_columns(surrogates, monkeypatch):
    monkeypatch.setattr(listing, "_terminal_width", lambda: listing.TABLE_WIDTH)
    long = "/home/ada/projects/" + "very-long-directory-name/" * 4 + "trial"
    surrogates.log_run(run(20, id="20202020-0000-4000-8000-000000000020", project_root=long))
    surrogates.log_run(
        run(21, id="21212121-0000-4000-8000-000000000021", evidence_program="P" * 40)
    )
    lines = mlc(surrogates, "runs", "list").stdout.splitlines()
    assert max(len(line) for line in lines) <= 100 < len(long) + len("P" * 40)
    assert lines[2].startswith("20202020") and lines[2].endswith("-directory-name/trial")
    assert "  …" in lines[2]  # a path keeps its end
    assert lines[1].startswith("21212121") and "  PPPPPPPPPPPPPPP…  " in lines[1]


def test_several_order_keys_and_desc(surrogates):
    result = mlc(
        surrogates,
        "runs",
        "list",
        "--order-by",
        "config.model.layers,metrics.rmse",
        "--desc",
        "--columns",
        "config.seed",
        "--format",
        "csv",
    )
    seeds = [row[0] for row in csv.reader(io.StringIO(result.stdout))][1:]
    # layers 3 (odd seeds) first, rmse descending, the run without rmse last in its group
    assert seeds == ["5", "3", "1", "7", "8", "2", "6", "4"]


def test_csv_tsv_and_all(surrogates):
    text = mlc(
        surrogates,
        "runs",
        "list",
        "--where",
        "metrics.rmse exists",
        "--format",
        "csv",
        "--columns",
        "id,metrics.rmse,config.seed",
        "-n",
        "0",
        "--order-by",
        "config.seed",
    ).stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "metrics.rmse", "config.seed"]
    assert [row[2] for row in rows[1:]] == ["1", "2", "3", "5", "6", "7", "8"]  # 9 is deleted
    assert rows[1] == [IDS[0], "0.03", "1"]  # whole ids and exact values for tools
    tsv = mlc(surrogates, "runs", "list", "--all", "--format", "tsv", "-n", "0").stdout
    assert len(tsv.splitlines()) == 10 and tsv.splitlines()[0].startswith("id\tkind\tstatus")


def test_json_and_jsonl_have_the_one_record_shape(surrogates):
    array = json.loads(
        mlc(surrogates, "runs", "list", "--where", "tags.paper = fig3", "--format", "json").stdout
    )
    shown = json.loads(mlc(surrogates, "runs", "show", IDS[2], "--json").stdout)
    assert array == [shown]
    lines = mlc(surrogates, "runs", "list", "--json", "--order-by", "config.seed").stdout
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["config"]["seed"] for r in records] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(isinstance(r["artifacts"][0], dict) for r in records)
    picked = mlc(
        surrogates,
        "runs",
        "list",
        "--format",
        "jsonl",
        "--columns",
        "id,metrics.rmse",
        "--where",
        "config.seed <= 4",
        "--order-by",
        "config.seed",
    ).stdout
    assert [json.loads(line) for line in picked.splitlines()] == [
        {"id": IDS[0], "metrics.rmse": 0.03},
        {"id": IDS[1], "metrics.rmse": 0.2},
        {"id": IDS[2], "metrics.rmse": 0.04},
        {"id": IDS[3], "metrics.rmse": None},
    ]
    empty = mlc(surrogates, "runs", "list", "--where", "config.seed > 100", "--format", "json")
    assert json.loads(empty.stdout) == []


def test_since_until(surrogates):
    # run n started at 14:32:10 + n minutes
    result = mlc(
        surrogates,
        "runs",
        "list",
        "--since",
        "2025-01-23T14:35:00Z",
        "--until",
        "2025-01-23 14:38",
        "--format",
        "csv",
        "--columns",
        "config.seed",
    )
    assert result.stdout.split() == ["config.seed", "5", "4", "3"]


def test_artifacts_take_the_same_query(surrogates):
    result = mlc(
        surrogates,
        "artifacts",
        "list",
        "--where",
        "size_bytes >= 7000",
        "--order-by",
        "size_bytes",
        "--format",
        "csv",
        "--columns",
        "size_bytes,kind",
    )
    assert result.stdout.split() == [
        "size_bytes,kind",
        "7000,EvidenceResult",
        "8000,EvidenceResult",
        "9000,EvidenceResult",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "list", "--where", "metrics.rsme < 0.05"),
        ("runs", "list", "--where", "metrics.rmse < 'low'"),
        ("runs", "list", "--where", "kind = SurogateEval and"),
        ("runs", "list", "--where", "kind = SurogateEval"),
        ("runs", "list", "--order-by", "metrics.rmse, config.sede"),
        ("runs", "list", "--since", "last week"),
        ("artifacts", "list", "--where", "size_bytes > '1 MB'"),
    ],
    ids=["unknown-field", "type-mismatch", "syntax", "unknown-kind", "order-by", "since", "art"],
)
def test_bad_queries_are_one_diagnostic_with_a_caret(surrogates, snapshot_text, args):
    result = mlc(surrogates, *args, code=2)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr == snapshot_text
