"""Lines written by other tools may hold NaN or infinities (Python's json reads
them); what mlc prints as JSON must stay strict JSON for jq: they become null,
as the registry itself writes them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry.codec import encode
from tests.registry.factories import fixed_id, run


def _strict(text: str):
    def refuse(constant: str):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _registry_with_non_finite_values(root):
    root.mkdir()
    obj = json.loads(encode(run(1)))
    obj["metrics"] = "METRICS"
    obj["config"] = "CONFIG"
    line = json.dumps(obj)
    line = line.replace('"METRICS"', '{"a": NaN, "b": Infinity, "c": -1e999, "d": 0.5}')
    line = line.replace('"CONFIG"', '{"seed": NaN}')
    (root / "runs.jsonl").write_text(line + "\n")


def _mlc(root, *args):
    result = CliRunner().invoke(cli, ["--registry", str(root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_output_of_non_finite_values_is_strict(tmp_path):
    root = tmp_path / "reg"
    _registry_with_non_finite_values(root)
    expected = {"a": None, "b": None, "c": None, "d": 0.5}

    assert _strict(_mlc(root, "runs", "list", "--json"))["metrics"] == expected
    assert _strict(_mlc(root, "runs", "show", fixed_id(1), "--json"))["metrics"] == expected
    shown = _mlc(root, "runs", "show", fixed_id(1))
    assert _strict(shown)["metrics"] == expected

    _mlc(root, "runs", "export-config", "--id", fixed_id(1), "--out", str(tmp_path / "c.json"))
    assert _strict((tmp_path / "c.json").read_text()) == {"seed": None}
