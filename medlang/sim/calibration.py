"""The calibration of model version 2 against published docetaxel neutropenia.

``calibration_rows`` simulates cycle 1 at 75 and 100 mg/m2 q3w (flat 135 and 180 mg
at a BSA of 1.8 m2) and sets each simulated value beside its published target and
tolerance. The pinning test (tests/science/test_model_v2.py) and the table in
examples/oncology/README.md (``python -m medlang.sim.calibration``) both use it.

Published values (Taxotere (docetaxel) prescribing information, Sanofi-Aventis):
- 100 mg/m2: grade-4 neutropenia (ANC < 0.5 x 10^9/L) in 75% of 2,045 patients with
  normal liver tests (adverse-reaction table, all tumour types); 95% CI 73.1-76.8%.
  The label's haematology paragraph gives 85% at 100 mg/m2. Tolerance: 73.1-85%.
- 75 mg/m2: grade-4 neutropenia in 65% of 176 patients (non-small-cell lung cancer
  after platinum, TAX317 adverse-reaction table); 95% Wilson CI 57.7-71.7%.
- Median time to nadir 7 days and median duration of grade 4 (< 0.5 x 10^9/L)
  7 days (label, 100 mg/m2). The label gives no interval; both were measured from
  blood counts taken days apart, so we allow +/- 2 days.
The label's incidences count grade 4 in any cycle; the simulation counts cycle 1 only
(most grade-4 episodes of docetaxel q3w occur in cycle 1, so the difference is small
but makes the simulated value a lower bound).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

BSA_M2 = 1.8  # median adult cancer patient (Sacco JJ, et al. PLoS One 2010;5:e8933)


@dataclass(frozen=True)
class Target:
    dose_mg_m2: float
    quantity: str  # "grade4_rate", "median_nadir_day", "median_grade4_days"
    published: float
    low: float
    high: float
    source: str


TARGETS: tuple[Target, ...] = (
    Target(75.0, "grade4_rate", 0.65, 0.577, 0.717, "Taxotere label, TAX317 NSCLC (n=176)"),
    Target(
        100.0, "grade4_rate", 0.75, 0.731, 0.85, "Taxotere label, all tumours (n=2,045); 85% ibid."
    ),
    Target(100.0, "median_nadir_day", 7.0, 5.0, 9.0, "Taxotere label (median time to nadir)"),
    Target(100.0, "median_grade4_days", 7.0, 5.0, 9.0, "Taxotere label (median duration < 0.5)"),
)


@dataclass(frozen=True)
class Row:
    target: Target
    simulated: float

    @property
    def within(self) -> bool:
        return self.target.low <= self.simulated <= self.target.high


def calibration_spec(base_spec, patients_per_dose: int, seed: int):
    """``base_spec`` (model version 2) as a one-cycle trial of the two label doses."""
    from medlang.sim.params import Arm

    arms = tuple(Arm(f"{dose:g}mg/m2", dose * BSA_M2) for dose in (75.0, 100.0))
    return replace(base_spec, arms=arms, patients_per_arm=patients_per_dose, cycles=1, seed=seed)


def calibration_rows(base_spec, patients_per_dose: int = 2000, seed: int = 2026) -> list[Row]:
    from medlang.sim.population import trial_population
    from medlang.sim.trial import neutropenia_metrics, simulate

    spec = calibration_spec(base_spec, patients_per_dose, seed)
    population = trial_population(spec)
    outcome = simulate(spec, population)
    metrics = neutropenia_metrics(spec, population, outcome.endpoints)
    rows = []
    for target in TARGETS:
        label = f"{target.dose_mg_m2:g}mg/m2"
        rows.append(Row(target, float(metrics[f"{target.quantity}_by_arm"][label])))
    return rows


def markdown_table(rows: list[Row], patients_per_dose: int, seed: int) -> str:
    lines = [
        f"| dose (q3w) | cycle-1 quantity | simulated (n={patients_per_dose:,}, seed {seed}) "
        "| published | tolerance | source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        t = row.target
        percent = t.quantity == "grade4_rate"

        def show(value: float, percent: bool = percent) -> str:
            return f"{100 * value:.1f}%" if percent else f"{value:.1f} d"

        lines.append(
            f"| {t.dose_mg_m2:g} mg/m2 ({t.dose_mg_m2 * BSA_M2:g} mg) | {t.quantity} "
            f"| {show(row.simulated)} | {show(t.published)} "
            f"| {show(t.low)}-{show(t.high)} | {t.source} |"
        )
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - prints the README table
    from medlang.evidence.discovery import load_evidence_program
    from medlang.resources import examples_dir

    example = examples_dir() / "oncology" / "evidence.medlang"
    loaded = load_evidence_program("OncologyEvidence", example, example.parent, example.parent)
    base = loaded.program.to_spec(model_version=2)
    rows = calibration_rows(base)
    print(markdown_table(rows, 2000, 2026))
    print("all within tolerance:", all(row.within for row in rows))


if __name__ == "__main__":
    main()
