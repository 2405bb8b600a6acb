"""Benchmark of the evidence backends on the example program (3 arms x 6 cycles).

Targets (issue 4): at the example size (100 patients per arm) mechanistic <= 5 s;
hybrid with a qualified surrogate >= 5x faster than mechanistic on the same
virtual population, ORR and DLT_rate within 0.03 of the mechanistic values.
``--patients-per-arm`` also measures larger populations, where the vectorised
solver's cost grows with the number of patients and the hybrid pays off.

    python3 benchmarks/bench_evidence.py [--patients-per-arm 100 3000] [--repeats 3]
        [--seeds 3] [--surrogate FILE] [--no-rl]

Without ``--surrogate`` it trains one with examples/oncology/train_surrogate.json
and qualifies it with eval_surrogate.json first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "oncology"
sys.path.insert(0, str(ROOT))  # run from a checkout without installing


def timed(work, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def load_program():
    from medlang.evidence.discovery import load_evidence_program

    return load_evidence_program(None, EXAMPLE / "evidence.medlang", EXAMPLE)


def train_and_qualify(loaded, directory: Path) -> Path:
    from medlang.evidence.common import Request
    from medlang.evidence.surrogates import surrogate_eval, train_surrogate

    request = Request(
        "OncologyEvidence",
        EXAMPLE / "evidence.medlang",
        EXAMPLE,
        directory / "registry",
        quiet=True,
    )
    model = directory / "surrogate.json"
    trained = train_surrogate(request, EXAMPLE / "train_surrogate.json", model)
    evaluated = surrogate_eval(
        request, model, EXAMPLE / "eval_surrogate.json", directory / "e.json"
    )
    print(
        f"surrogate: training {trained.metrics['training_time_s']:.1f} s, "
        f"val_loss {trained.metrics['val_loss']:.4f}; qualification rmse "
        f"{evaluated.metrics['rmse']:.4f}, R^2 {evaluated.metrics['r_squared']:.4f}, "
        f"passed={evaluated.metrics['qualification_passed']}"
    )
    return model


def solve_cost(spec, sizes: tuple[int, ...] = (30, 300, 3000, 9000)) -> None:
    """Mechanistic solve time against the number of patients: per-step numpy call
    overhead dominates small populations, arithmetic dominates large ones."""
    import dataclasses

    from medlang.sim.population import trial_population
    from medlang.sim.trial import simulate

    print("\n| patients | mechanistic solve (s) | per patient (ms) |")
    print("|---|---|---|")
    for n in sizes:
        sized = dataclasses.replace(spec, patients_per_arm=max(1, n // len(spec.arms)))
        population = trial_population(sized)
        t, _ = timed(lambda s=sized, p=population: simulate(s, p), 3)
        print(f"| {population.n} | {t:.3f} | {1000 * t / population.n:.2f} |")


def rl_comparison(loaded, seeds: int, n_patients: int) -> None:
    """Q-learning (example configs, model version 2) trained with several seeds, and
    fixed doses and the titration rule, all on the same ``n_patients`` fresh patients."""
    import numpy as np

    from medlang.evidence.configs import EnvConfig, RLTrainConfig
    from medlang.evidence.policies import env_settings
    from medlang.sim.rl import QLearning, train_q
    from medlang.sim.rl_eval import GreedyQ, compare, rollouts, summary

    env = env_settings(EnvConfig.model_validate_json((EXAMPLE / "rl_env.json").read_text()), loaded)
    train = RLTrainConfig.model_validate_json((EXAMPLE / "rl_train.json").read_text())
    spec = loaded.program.to_spec(model_version=2)

    def show(name: str, row: dict, extra: str = "") -> None:
        def ci(key: str) -> str:
            low, high = row[f"{key}_ci95"]
            return f"{row[key]:.3f} [{low:.3f}, {high:.3f}]"

        print(
            f"| {name} | {ci('avg_reward')} | {ci('success_rate')} | {ci('response_rate')} "
            f"| {ci('dlt_rate')} | {row['mean_dose_mg']:.0f} |{extra}"
        )

    print(
        f"\nRL (model version 2), {n_patients} fresh patients (seed 2026), paired; "
        f"Q-learning {train.episodes} episodes per training seed\n"
    )
    print(
        "| policy | avg_reward [95% CI] | success | response | DLT | mean dose (mg) "
        "| reward - titration [95% CI] |"
    )
    print("|---|---|---|---|---|---|---|")
    rewards = []
    titration = None
    for offset in range(seeds):
        seed = train.seed + offset
        settings = QLearning(**{**train.model_dump(), "seed": seed})
        t_train, (table, _, _) = timed(lambda s=settings: train_q(spec, env, s), 1)
        played = rollouts(spec, env, GreedyQ(table), n_patients, 2026)
        if titration is None:
            _, baselines = compare(spec, env, GreedyQ(table), n_patients, 2026, played=played)
            titration = rollouts(spec, env, baselines_titration(env), n_patients, 2026)
        diff = played.rewards - titration.rewards
        half = 1.959964 * diff.std(ddof=1) / np.sqrt(len(diff))
        rewards.append(float(played.rewards.mean()))
        show(
            f"Q-learning, training seed {seed} ({t_train:.0f} s)",
            summary(played),
            f" {diff.mean():+.3f} [{diff.mean() - half:+.3f}, {diff.mean() + half:+.3f}] |",
        )
    for name, row in baselines.items():
        show(name, row, " |")
    print(
        f"\nQ-learning over {seeds} training seeds: avg_reward mean {np.mean(rewards):.3f}, "
        f"sd {np.std(rewards, ddof=1):.3f}, range {min(rewards):.3f} to {max(rewards):.3f}"
    )


def baselines_titration(env):
    from medlang.sim.rl_eval import baselines

    return next(policy for policy in baselines(env) if policy.name == "titration")


def solver_speed(loaded, n_patients: int = 3000, repeats: int = 5) -> None:
    """Model version 1 as it was (one compartment, RK4 on all 7 states, 0.1 h steps
    for 48 h then 1 h) against version 2 (closed-form PK and tumour, RK4 on the
    Friberg chain only, the example's 0.05 h for 8 h then 3 h), interleaved."""
    import dataclasses

    from medlang.sim.population import trial_population
    from medlang.sim.trial import simulate

    per_arm = n_patients // len(loaded.program.arms)
    old = dataclasses.replace(
        loaded.program.to_spec(model_version=1),
        patients_per_arm=per_arm,
        step_hours=1.0,
        post_dose_step_hours=0.1,
        post_dose_hours=48.0,
    )
    new = dataclasses.replace(loaded.program.to_spec(model_version=2), patients_per_arm=per_arm)
    populations = {"v1": trial_population(old), "v2": trial_population(new)}
    times: dict[str, list[float]] = {"v1": [], "v2": []}
    for _ in range(repeats):
        for name, spec in (("v1", old), ("v2", new)):
            started = time.perf_counter()
            simulate(spec, populations[name])
            times[name].append(time.perf_counter() - started)
    t1, t2 = statistics.median(times["v1"]), statistics.median(times["v2"])
    print(f"\nMechanistic solve, {n_patients} patients x 6 cycles (median of {repeats}):")
    print("| model | solve (s) | patients/s |")
    print("|---|---|---|")
    print(f"| version 1 (before) | {t1:.2f} | {n_patients / t1:,.0f} |")
    print(f"| version 2 | {t2:.2f} | {n_patients / t2:,.0f} |")
    print(f"speed-up {t1 / t2:.2f}x")


def compare_backends(loaded, surrogate, patients_per_arm: int, args) -> None:
    """Mechanistic vs hybrid on the same virtual populations (one per seed)."""
    import dataclasses

    from medlang.sim.hybrid import Routing, run_evidence
    from medlang.sim.population import trial_population

    hybrid_config = json.loads((EXAMPLE / "hybrid_config.json").read_text())
    routing = Routing(
        "adaptive",
        hybrid_config["mech_threshold"],
        hybrid_config["audit_fraction"],
        0,
        version2=True,
    )
    print(
        f"\n{len(loaded.program.arms)} arms x {patients_per_arm} patients\n"
        "\n| population seed | mechanistic (s) | hybrid (s) | speed-up | mech_fraction "
        "| ORR mech / hybrid | DLT_rate mech / hybrid |"
    )
    print("|---|---|---|---|---|---|---|")
    for offset in range(args.seeds):
        spec = loaded.program.to_spec(seed=loaded.program.seed + offset, model_version=2)
        spec = dataclasses.replace(spec, patients_per_arm=patients_per_arm)
        population = trial_population(spec)
        t_mech, mech = timed(
            lambda s=spec, p=population: run_evidence(s, p, Routing("mechanistic"), None),
            args.repeats,
        )
        t_hyb, hyb = timed(
            lambda s=spec, p=population: run_evidence(s, p, routing, surrogate), args.repeats
        )
        m, h = mech.metrics, hyb.metrics
        print(
            f"| {spec.seed} | {t_mech:.3f} | {t_hyb:.3f} | {t_mech / t_hyb:.1f}x "
            f"| {h['mech_fraction']:.3f} | {m['ORR']:.3f} / {h['ORR']:.3f} "
            f"| {m['DLT_rate']:.3f} / {h['DLT_rate']:.3f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients-per-arm", type=int, nargs="+", default=[100, 3000], metavar="N")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3, help="virtual populations compared")
    parser.add_argument("--surrogate", type=Path, help="use this surrogate instead of training")
    parser.add_argument("--no-rl", action="store_true", help="skip the RL comparison")
    parser.add_argument("--rl-seeds", type=int, default=5, help="Q-learning training seeds")
    parser.add_argument("--rl-patients", type=int, default=1000, help="paired RL patients")
    parser.add_argument("--only", choices=["speed", "backends", "rl"], help="run one part")
    args = parser.parse_args()

    from medlang.sim.surrogate import Surrogate

    loaded = load_program()
    if args.only in (None, "speed"):
        solver_speed(loaded)
    if args.only in (None, "backends"):
        with tempfile.TemporaryDirectory() as tmp:
            model = args.surrogate or train_and_qualify(loaded, Path(tmp))
            surrogate = Surrogate.from_json(json.loads(model.read_text()))
        for patients_per_arm in args.patients_per_arm:
            compare_backends(loaded, surrogate, patients_per_arm, args)
        solve_cost(loaded.program.to_spec(model_version=2))
    if args.only in (None, "rl") and not args.no_rl:
        rl_comparison(loaded, args.rl_seeds, args.rl_patients)


if __name__ == "__main__":
    main()
