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
        "OncologyEvidence", EXAMPLE / "evidence.medlang", EXAMPLE, directory, quiet=True
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


def rl_comparison(loaded) -> None:
    """Q-learning with the example configs vs every fixed-dose policy, same patients."""
    import numpy as np

    from medlang.evidence.configs import EnvConfig, RLTrainConfig
    from medlang.evidence.policies import env_settings
    from medlang.sim.rl import QLearning, greedy_rollouts, train_q

    env = env_settings(EnvConfig.model_validate_json((EXAMPLE / "rl_env.json").read_text()), loaded)
    train = RLTrainConfig.model_validate_json((EXAMPLE / "rl_train.json").read_text())
    spec = loaded.program.to_spec()
    t_train, (table, _, _) = timed(lambda: train_q(spec, env, QLearning(**train.model_dump())), 1)
    policies = {"Q-learning": table}
    for level, dose in enumerate(env.dose_levels_mg):
        fixed = np.zeros_like(table)
        fixed[:, level] = 1.0
        policies[f"fixed {dose:g} mg"] = fixed
    print(f"\nQ-learning training ({train.episodes} episodes): {t_train:.1f} s")
    print("\n| policy (200 fresh patients) | avg_reward | success_rate | response | DLT |")
    print("|---|---|---|---|---|")
    for name, policy in policies.items():
        r = greedy_rollouts(spec, env, policy, 200, seed=2026)
        print(
            f"| {name} | {r.rewards.mean():.3f} | {r.success.mean():.3f} "
            f"| {r.responder.mean():.3f} | {r.dlt.mean():.3f} |"
        )


def compare_backends(loaded, surrogate, patients_per_arm: int, args) -> None:
    """Mechanistic vs hybrid on the same virtual populations (one per seed)."""
    import dataclasses

    from medlang.sim.hybrid import Routing, run_evidence
    from medlang.sim.population import trial_population

    hybrid_config = json.loads((EXAMPLE / "hybrid_config.json").read_text())
    routing = Routing(
        "adaptive", hybrid_config["mech_threshold"], hybrid_config["audit_fraction"], 0
    )
    print(
        f"\n{len(loaded.program.arms)} arms x {patients_per_arm} patients\n"
        "\n| population seed | mechanistic (s) | hybrid (s) | speed-up | mech_fraction "
        "| ORR mech / hybrid | DLT_rate mech / hybrid |"
    )
    print("|---|---|---|---|---|---|---|")
    for offset in range(args.seeds):
        spec = loaded.program.to_spec(seed=loaded.program.seed + offset)
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
    args = parser.parse_args()

    from medlang.sim.surrogate import Surrogate

    loaded = load_program()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.surrogate or train_and_qualify(loaded, Path(tmp))
        surrogate = Surrogate.from_json(json.loads(model.read_text()))
    for patients_per_arm in args.patients_per_arm:
        compare_backends(loaded, surrogate, patients_per_arm, args)
    solve_cost(loaded.program.to_spec())
    if not args.no_rl:
        rl_comparison(loaded)


if __name__ == "__main__":
    main()
