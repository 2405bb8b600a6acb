"""Fuzzing config files through the real producers: whatever a config file holds
(huge or non-finite numbers, deep nesting, wrong types, unknown keys, broken JSON),
the answer is one `Error:` line or a run, never an internal error (exit 70)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medlang.cli.main import cli

from .conftest import make_project

# (command, config option, fields the config model knows)
PRODUCERS = [
    ("run-evidence", "--config", ["seed", "mech_threshold", "strategy", "surrogate", "backend"]),
    ("train-surrogate", "--train-config", ["seed", "n_patients", "hidden_layers", "epochs"]),
    ("train-policy-rl", "--env-config", ["dose_levels_mg", "anc_bin_edges", "seed"]),
]

_numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, 1, -1, 2**63, 2**64, -(2**63) - 1, 1e308, 5e-324])
)
_scalars = st.none() | st.booleans() | _numbers | st.text(max_size=12)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def _config_text(known: list[str]) -> st.SearchStrategy[str]:
    keys = st.sampled_from(known) | st.text(max_size=8)
    objects = st.dictionaries(keys, _values, max_size=4).map(
        lambda data: json.dumps(data, allow_nan=True)
    )
    raw = st.sampled_from(
        [
            '{"seed": ' + "9" * 5000 + "}",
            '{"seed": 1e400}',
            '{"seed": -1e400, "n_patients": NaN}',
            '{"a":' * 5000 + "1" + "}" * 5000,
            '{"seed": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "[" * 70 + "]" * 70,
            '{"seed": 1',
            "",
            "\x00",
            '{"seed": "7"}',
            "null",
        ]
    )
    return objects | raw | st.text(max_size=40)


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    return make_project(base / "project", base / "registry")


@pytest.mark.parametrize(("command", "option", "known"), PRODUCERS, ids=[p[0] for p in PRODUCERS])
def test_no_config_file_makes_a_producer_fail_internally(fuzz_project, command, option, known):
    project = fuzz_project
    config = Path(project.path(f"fuzz-{command}.json"))
    # an output inside the registry is refused after the config is read and validated:
    # every example exercises the config path, none runs a simulation
    out_option = {"train-surrogate": "--out-model", "train-policy-rl": "--out-policy"}
    out = [out_option.get(command, "--out"), str(project.registry / "out.json")]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(text=_config_text(known))
    def check(text: str) -> None:
        config.write_text(text, encoding="utf-8", errors="surrogatepass")
        args = ["--registry", str(project.registry), command, "--evidence-program",
                "SmallEvidence", "--project", str(project.root), option, str(config),
                *out]  # fmt: skip
        result = CliRunner().invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{type(result.exception).__name__}: {result.exception} for {text[:200]!r}"
        )
        assert result.exit_code in (1, 2), (result.exit_code, result.output, text[:200])
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, (
            result.stderr[:500]
        )
        assert "internal error" not in result.stderr

    check()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"seed": ' + "7" * 5000 + "}", "field 'seed': integer 7777777777...777777 (5000"),
        ('{"mech_threshold": ' + "5" * 5000 + "}", "field 'mech_threshold': integer"),
        ('{"seed": 18446744073709551616}', "field 'seed': integer 18446744073709551616 does"),
        ('{"mech_threshold": 1e999}', "field 'mech_threshold': number 1e999 is outside"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "config file is nested deeper than 64"),
        ('{"a":' * 65 + "1" + "}" * 65, "field 'a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a..."),
    ],
    ids=["5000-digit-seed", "5000-digit-threshold", "2**64", "1e999", "100000-deep", "65-deep"],
)
def test_the_issues_configs_are_one_line_naming_file_and_field(fuzz_project, text, message):
    project = fuzz_project
    config = Path(project.path("issue.json"))
    config.write_text(text)

    result = project.produce(
        "run-evidence", "--config", str(config), "--out", project.path("r.json"), expect=1
    )

    assert result.stderr.startswith(f"Error: {config}: ") and result.stderr.count("\n") == 1
    assert message in result.stderr, result.stderr
    assert not Path(project.path("r.json")).exists()
