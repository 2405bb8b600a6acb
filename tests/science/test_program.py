"""The EvidenceProgram model: validation, fingerprint, conversion to the simulator."""

from __future__ import annotations

import pytest

from medlang.evidence.discovery import load_evidence_program
from medlang.evidence.errors import EvidenceError

from .conftest import PROGRAMS


@pytest.fixture(scope="module")
def program():
    return load_evidence_program(None, PROGRAMS / "small_evidence.medlang", PROGRAMS).program


def test_the_medlang_record_becomes_a_trial_spec(program):
    spec = program.to_spec()
    assert [arm.dose_mg for arm in spec.arms] == [100.0, 150.0, 200.0]
    assert (spec.n_patients, spec.cycles, spec.seed) == (24, 2, 7)
    assert spec.marrow.mtt_h.typical == 88.7 and spec.pk.cl_weight_exponent == 0.75
    assert program.to_spec(seed=99).seed == 99


def test_fingerprint_ignores_design_but_not_model(program):
    data = program.model_dump()
    redesigned = type(program).model_validate(
        {**data, "patients_per_arm": 50, "seed": 1, "arms": data["arms"][:1]}
    )
    assert redesigned.fingerprint() == program.fingerprint()
    data["pk"]["cl_l_per_h"]["typical"] = 20.0
    assert type(program).model_validate(data).fingerprint() != program.fingerprint()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("patients_per_arm", 0), "patients_per_arm"),
        (("backend", "Quantum"), "backend"),
        (("extra", 1), "extra"),
    ],
)
def test_invalid_programs_name_the_field(program, change, field):
    key, value = change
    data = {**program.model_dump(), key: value}
    with pytest.raises(EvidenceError, match=f"field '{field}'"):
        type(program).from_value(data, "p.medlang: SmallEvidence()")


def test_a_file_with_two_programs_needs_a_name(tmp_path):
    text = (PROGRAMS / "small_evidence.medlang").read_text()
    second = text.split("fn SmallEvidence()")[1]
    path = tmp_path / "two.medlang"
    path.write_text(text + "\nfn OtherEvidence()" + second)
    with pytest.raises(EvidenceError, match="SmallEvidence, OtherEvidence"):
        load_evidence_program(None, path, tmp_path)
    assert load_evidence_program("OtherEvidence", path, tmp_path).function == "OtherEvidence"
