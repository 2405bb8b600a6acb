"""Evidence programs are validated for finiteness and physical ranges after evaluation
(issue: `dose_mg = 1e308 * 10.0` and a NaN exponent were simulated and logged)."""

from __future__ import annotations

from pathlib import Path

import pytest

CASES = {
    "infinite-dose": ("dose_mg = 200.0", "dose_mg = 1e308 * 10.0", "arms[2].dose_mg", "finite"),
    "nan-exponent": (
        "cl_weight_exponent = 0.75",
        "cl_weight_exponent = 0.0 / 0.0",
        "pk.cl_weight_exponent",
        "finite",
    ),
    "negative-dose": ("dose_mg = 100.0", "dose_mg = -5.0", "arms[0].dose_mg", "greater than"),
    "absurd-dose": ("dose_mg = 150.0", "dose_mg = 1e9", "arms[1].dose_mg", "less than"),
    "infinite-volume": ("param(100.0, 0.2)", "param(1e308 * 2.0, 0.2)", "pk.v_l.typical", "finite"),
    "exponent-out-of-range": (
        "v_weight_exponent = 1.0",
        "v_weight_exponent = 40.0",
        "pk.v_weight_exponent",
        "less than",
    ),
    "covariate-disorder": (
        "low = 40.0",
        "low = 400.0",
        "population.weight_kg.high",
        "low <= median",
    ),
    "nan-threshold": ("dlt_anc = 0.5", "dlt_anc = 0.0 / 0.0", "thresholds.dlt_anc", "finite"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_value_outside_its_range_is_one_line_before_any_simulation(project, case):
    old, new, field, words = CASES[case]
    program = Path(project.path("small_evidence.medlang"))
    source = program.read_text()
    assert old in source
    program.write_text(source.replace(old, new, 1))
    out = Path(project.path("result.json"))

    result = project.produce("run-evidence", "--out", str(out), "--log", expect=1)

    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert f"field '{field}'" in result.stderr and words in result.stderr, result.stderr
    assert not out.exists()
    assert project.runs() == []
