"""``mlc runs`` must start fast: with the index up to date it imports no pydantic,
numpy or lark (checked in a fresh interpreter, the way a user runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from medlang.registry import Registry
from tests.registry.factories import artifact, fixed_id, run

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from medlang.cli.main import cli
outputs = []
for args in sys.argv[1:]:
    try:
        cli.main(args=["--registry", REGISTRY, *args.split()], standalone_mode=False)
    except SystemExit:
        pass
heavy = sorted(m for m in ("pydantic", "numpy", "lark") if m in sys.modules)
print(json.dumps(heavy))
"""


def _imported_heavy_modules(root: Path, *commands: str) -> list[str]:
    code = PROBE.replace("REGISTRY", repr(str(root)))
    done = subprocess.run(
        [sys.executable, "-c", code, *commands],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_runs_commands_do_not_import_heavy_modules(tmp_path):
    registry = Registry(tmp_path / "reg")
    registry.log_artifact(artifact(1))
    registry.log_run(run(1, artifacts=[artifact(1).id]))
    deleted = "abcdef12-0000-4000-8000-000000000002"
    registry.log_run(run(2, id=deleted))
    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    registry.delete_run(deleted)
    registry.count_runs(), registry.count_artifacts()  # index up to date
    commands = [
        "runs list -n 20",
        "runs list -v --kind EvidenceHybrid",
        "runs list --all --json",
        "runs list --order-by metrics.score,config.seed --desc --columns id,metrics.score",
        "runs list --since 7d --format csv -n 0",
        "artifacts list --order-by size_bytes --format jsonl",
        f"runs compare {fixed_id(1)} {deleted} --json",
        f"runs show {fixed_id(1)}",
        f"runs show {fixed_id(1)[:8]}",
        "artifacts list",
        f"artifacts show {artifact(1).id}",
        f"runs lineage {fixed_id(1)}",
        f"runs lineage {fixed_id(1)} --descendants --json",
        f"runs lineage {fixed_id(1)} --dot",
    ]
    assert _imported_heavy_modules(registry.root, *commands) == []


def test_a_stale_index_is_caught_up_with_validation(tmp_path):
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1))
    # never indexed: the CLI must validate the new lines, so it needs the model
    assert _imported_heavy_modules(registry.root, "runs list") == ["pydantic"]


def test_a_where_query_imports_lark_only(tmp_path):
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1))
    registry.count_runs()
    where = "runs list --where metrics.score>0.05 --order-by metrics.score"
    assert _imported_heavy_modules(registry.root, where) == ["lark"]
