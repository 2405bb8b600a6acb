"""Archive, import and compact: through the real CLI, and compaction racing real
concurrent writer processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry
from tests.registry.factories import artifact, fixed_id, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(tmp_path) -> Registry:
    registry = Registry(tmp_path / "reg")
    for n in (1, 2, 3):
        registry.log_artifact(artifact(n))
        registry.log_run(run(n, artifacts=[artifact(n).id]))
    registry.log_run(run(4, artifacts=[artifact(3).id]))  # shares run 3's artifact
    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    registry.note_run(fixed_id(1), "the figure-3 run")
    return registry


def mlc(root: Path, *args: str):
    result = CliRunner().invoke(cli, ["--registry", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def listed_ids(root: Path, *extra: str) -> list[str]:
    lines = mlc(root, "runs", "list", "--json", *extra).stdout.splitlines()
    return [json.loads(line)["id"] for line in lines]


def test_archive_compact_and_import_round_trip(registry, tmp_path, snapshot_text):
    root, archive = registry.root, tmp_path / "old" / "archive.jsonl"
    before = (root / "runs.jsonl").read_bytes()
    moved = mlc(root, "runs", "archive", fixed_id(1), fixed_id(3)[:-1] + "3", "--to", str(archive))
    assert moved.exit_code == 0, moved.stderr
    assert moved.stderr == f"Archived 2 run(s) and 2 artifact record(s) to {archive}\n"
    assert listed_ids(root) == [fixed_id(4), fixed_id(2)]
    assert (root / "runs.jsonl").read_bytes() == before  # append-only until compact

    # the archive opens read-only as a registry, tags and notes included
    assert listed_ids(archive) == [fixed_id(3), fixed_id(1)]
    shown = json.loads(mlc(archive, "runs", "show", fixed_id(1), "--json").stdout)
    assert (shown["tags"], shown["hidden"]) == ({"paper": "fig3"}, None)
    assert shown["artifacts"] == [artifact(1).model_dump(mode="json")]
    refused = mlc(archive, "runs", "tag", fixed_id(1), "a=b")
    assert (refused.exit_code, "read-only" in refused.stderr) == (1, True)

    compacted = mlc(root, "registry", "compact")
    assert compacted.exit_code == 0
    lines = (root / "runs.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [fixed_id(2), fixed_id(4)]
    artifact_ids = [json.loads(line)["id"] for line in (root / "artifacts.jsonl").open()]
    assert artifact_ids == [artifact(2).id, artifact(3).id]  # run 4 still needs artifact 3
    assert (root / "annotations.jsonl").read_text() == ""
    assert mlc(root, "runs", "show", fixed_id(1)).exit_code == 1

    imported = mlc(root, "runs", "import", str(archive))
    assert imported.stderr == f"Imported 2 run(s) and 1 artifact record(s) from {archive}\n"
    assert listed_ids(root) == [fixed_id(4), fixed_id(3), fixed_id(2), fixed_id(1)]
    back = json.loads(mlc(root, "runs", "show", fixed_id(1), "--json").stdout)
    assert back == {**shown, "notes": back["notes"]} and back["notes"][0]["text"] == (
        "the figure-3 run"
    )
    again = mlc(root, "runs", "import", str(archive))
    assert again.stderr.endswith(f"Imported 0 run(s) and 0 artifact record(s) from {archive}\n")
    info = mlc(root, "registry", "info")
    stable = re.sub(r"^(  \S+) +.*", r"\1 <size>", info.stdout, flags=re.M)  # sizes vary
    stable = re.sub(r".*index\.sqlite-(wal|shm).*\n", "", stable)  # SQLite's own
    stable = re.sub(r"schema \d+", "schema <version>", stable)
    assert stable.replace(str(root), "<registry>") == snapshot_text


def test_import_without_compaction_only_unhides(registry, tmp_path):
    archive = tmp_path / "a.jsonl"
    mlc(registry.root, "runs", "archive", fixed_id(2), "--to", str(archive))
    assert fixed_id(2) not in listed_ids(registry.root)
    assert fixed_id(2) in listed_ids(registry.root, "--all")
    mlc(registry.root, "runs", "import", str(archive))
    assert fixed_id(2) in listed_ids(registry.root)
    assert (registry.root / "runs.jsonl").read_text().count("\n") == 4  # nothing duplicated


def test_compact_keeps_a_run_its_archive_does_not_hold(registry, tmp_path):
    archive = tmp_path / "a.jsonl"
    mlc(registry.root, "runs", "archive", fixed_id(2), "--to", str(archive))
    archive.write_text(archive.read_text().splitlines()[0] + "\n")  # the archive lost it
    result = mlc(registry.root, "registry", "compact")
    assert "does not hold it; kept" in result.stderr
    assert (registry.root / "runs.jsonl").read_text().count("\n") == 4


def test_compact_keeps_lines_it_cannot_read(registry, tmp_path):
    with (registry.root / "runs.jsonl").open("a") as log:
        log.write("{not json\n")
    mlc(registry.root, "runs", "archive", fixed_id(2), "--to", str(tmp_path / "a.jsonl"))
    mlc(registry.root, "registry", "compact")
    assert "{not json\n" in (registry.root / "runs.jsonl").read_text()


def test_archive_refuses_a_path_inside_the_registry(registry):
    result = mlc(registry.root, "runs", "archive", fixed_id(2), "--to", str(registry.root / "x"))
    assert result.exit_code != 0 and "registry" in result.stderr
    assert not (registry.root / "x").exists()


WRITER = """
import sys
from medlang.registry import Registry
from tests.registry.factories import run
registry, first, count = Registry(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for n in range(first, first + count):
    registry.log_run(run(n))
"""


def test_compaction_never_loses_a_line_a_concurrent_writer_appended(registry, tmp_path):
    """Writers in other processes append while compactions run; every line they
    logged is in the final log, once, and every archived run is gone."""
    from medlang.registry.archive import archive_runs
    from medlang.registry.compact import compact

    archive_runs(registry, [fixed_id(2), fixed_id(3)], tmp_path / "a.jsonl")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(registry.root), str(1000 + 200 * i), "150"],
            cwd=REPO,
        )
        for i in range(3)
    ]
    compactions = 0
    while any(writer.poll() is None for writer in writers) or compactions < 3:
        compact(registry.root)
        compactions += 1
    assert [writer.wait() for writer in writers] == [0, 0, 0]
    compact(registry.root)
    ids = [json.loads(line)["id"] for line in (registry.root / "runs.jsonl").open()]
    expected = {fixed_id(1000 + 200 * i + k) for i in range(3) for k in range(150)}
    assert expected <= set(ids)
    assert len(ids) == len(set(ids)) == len(expected) + 2  # + runs 1 and 4
    assert fixed_id(2) not in ids and fixed_id(3) not in ids
    assert Registry(registry.root).count_runs() == len(ids)


def test_archive_where_selects_with_the_query_language(registry, tmp_path):
    archive = tmp_path / "q.jsonl"
    registry.tag_run(fixed_id(4), {"paper": "fig3"})
    result = mlc(
        registry.root, "runs", "archive", "--where", "tags.paper = 'fig3'", "--to", str(archive)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Archived 2 run(s) and 2 artifact record(s) to {archive}\n"
    assert listed_ids(registry.root) == [fixed_id(3), fixed_id(2)]
    assert sorted(listed_ids(archive)) == [fixed_id(1), fixed_id(4)]
    bad = mlc(registry.root, "runs", "archive", "--where", "tags.paper = ", "--to", str(archive))
    assert bad.exit_code == 2 and bad.stdout == ""
    nothing = mlc(
        registry.root, "runs", "archive", "--where", "kind = RLEval", "--to", str(archive)
    )
    assert (nothing.exit_code, nothing.stderr) == (0, "No runs match; nothing archived\n")
