"""Producers of ``train-policy-rl`` and ``eval-policy-rl``."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from medlang.evidence.common import (
    Produced,
    Request,
    check_output_path,
    progress_bar,
)
from medlang.evidence.configs import (
    VERSION_2_KEYS,
    EnvConfig,
    RLEvalRecorded,
    RLTrainConfig,
    check_protocol,
    file_input,
    load_config,
    read_json,
    recorded_settings,
    require_regular_file,
    resolve_model_version,
    verify_input,
    verify_program,
)
from medlang.evidence.discovery import LoadedProgram, sha256_of
from medlang.evidence.errors import EvidenceError
from medlang.evidence.overrides import apply as apply_overrides
from medlang.evidence.overrides import for_section as overrides_for_section
from medlang.evidence.recording import Recording

POLICY_FORMAT = "medlang-rl-policy/1"
TRAIN, EVAL = "train-policy-rl", "eval-policy-rl"


def env_settings(env: EnvConfig, loaded: LoadedProgram):
    from medlang.sim.rl import EnvSettings

    return EnvSettings(
        dose_levels_mg=tuple(env.dose_levels_mg),
        cycles=env.cycles or loaded.program.cycles,
        anc_bin_edges=tuple(env.anc_bin_edges),
        rts_bin_edges=tuple(env.rts_bin_edges),
        tumour_weight=env.tumour_weight,
        response_bonus=env.response_bonus,
        grade3_penalty=env.grade3_penalty,
        grade4_penalty=env.grade4_penalty,
        violation_penalty=env.violation_penalty,
    )


def _resolved_env(env_file, loaded: LoadedProgram) -> dict:
    """The env config as recorded: defaults resolved, model version included."""
    env: EnvConfig = env_file.model
    update = {"cycles": env.cycles or loaded.program.cycles}
    update["model_version"] = resolve_model_version(env_file)
    return env.model_copy(update=update).model_dump()


def _policy_env(resolved_env: dict) -> dict:
    """The env as a policy file holds it: model version 1's files keep their old keys
    (and so their bytes); a policy file without ``model_version`` is version 1."""
    if resolved_env.get("model_version", 1) >= 2:
        return resolved_env
    return {k: v for k, v in resolved_env.items() if k not in VERSION_2_KEYS}


def _spec(loaded: LoadedProgram, resolved_env: dict):
    from medlang.sim.params import Protocol

    protocol = Protocol(resolved_env["dlt_definition"], resolved_env["response_definition"])
    return loaded.program.to_spec(model_version=resolved_env["model_version"], protocol=protocol)


def train_policy_rl(
    request: Request,
    env_config: Path | None,
    train_config: Path | None,
    out_policy: Path | str,
    out_report: Path | str | None,
) -> Produced:
    from medlang.sim.rl import QLearning, train_q

    loaded = request.load_program(env_config, train_config)
    env_file = load_config(env_config, EnvConfig, TRAIN, "env", request.overrides)
    if train_config is None and env_file.recorded:  # an exported config holds both sections
        train_config = env_config
    train_file = load_config(train_config, RLTrainConfig, TRAIN, "train", request.overrides)
    if env_config is None and train_file.recorded:
        env_file = load_config(train_config, EnvConfig, TRAIN, "env", request.overrides)
    for config in (env_file, train_file):
        verify_program(config, loaded)
    inputs = (loaded.module_path, env_file.path, train_file.path)
    out_policy = check_output_path(
        out_policy, request.option("--out"), inputs, request.registry_root
    )
    out_report = (
        check_output_path(out_report, "--out-report", inputs, request.registry_root)
        if out_report
        else None
    )
    env, cfg = env_settings(env_file.model, loaded), train_file.model
    resolved_env = _resolved_env(env_file, loaded)
    check_protocol(env_file, resolved_env["model_version"])
    inputs = {"evidence_program": loaded.record()}
    for key, config in (("env_config_file", env_file), ("train_config_file", train_file)):
        if config.path is not None:
            inputs[key] = file_input(config.path, sha256_of(config.path))
    recorded = {"command": TRAIN, "env": resolved_env, "train": cfg.model_dump(), "inputs": inputs}
    recording = Recording.begin(request, loaded, "RLTrain", recorded)
    started = time.perf_counter()
    with recording.failures():
        with progress_bar(cfg.episodes, "training policy", request.quiet) as step:
            table, returns, epsilon = train_q(
                _spec(loaded, resolved_env), env, QLearning(**cfg.model_dump()), progress=step
            )
        metrics = _training_metrics(cfg, returns, epsilon)
        metrics["training_time_s"] = time.perf_counter() - started
        policy = _policy_document(loaded, _policy_env(resolved_env), env, cfg.seed, table)
        outputs = [("RLPolicy", out_policy, policy)]
        if out_report:
            report = _training_report(metrics, returns, cfg.convergence_window)
            outputs.append(("RLTrainReport", out_report, report))
    return recording.commit(metrics, outputs)


def _training_metrics(cfg: RLTrainConfig, returns, epsilon: float) -> dict:
    from medlang.sim.rl import convergence_episode

    window = min(cfg.convergence_window, len(returns))
    return {
        "avg_reward": float(returns[-window:].mean()),  # the last convergence window
        "final_epsilon": epsilon,
        "convergence_episodes": convergence_episode(
            returns, cfg.convergence_window, cfg.convergence_tolerance
        ),
        "episodes": cfg.episodes,
    }


def _training_report(metrics: dict, returns, window: int) -> dict:
    """The metrics without timings, and the learning curve (mean return per window)."""
    window = max(1, min(window, len(returns)))
    curve = [float(returns[i : i + window].mean()) for i in range(0, len(returns), window)]
    timing_free = {k: v for k, v in metrics.items() if k != "training_time_s"}
    return {**timing_free, "window": window, "mean_return_per_window": curve}


def _policy_document(loaded: LoadedProgram, resolved_env: dict, env, seed: int, table) -> dict:
    import numpy as np

    return {
        "format": POLICY_FORMAT,
        "evidence_program": loaded.function,
        "program_fingerprint": loaded.program.fingerprint(),
        "env": resolved_env,
        "state_shape": list(env.state_shape),
        "state_index": "(cycle * n_anc_bins + anc_bin) * n_rts_bins + rts_bin",
        "seed": seed,
        "q_table": np.round(table, 12).tolist(),
    }


def load_policy(path: Path, loaded: LoadedProgram, env: dict):
    """The Q table of a policy file, checked against the program and the env config."""
    import numpy as np

    require_regular_file(path.expanduser(), "policy")
    path = path.expanduser().resolve()
    data = read_json(path, "policy")
    if not isinstance(data, dict) or data.get("format") != POLICY_FORMAT:
        raise EvidenceError(f"{path}: field 'format': expected {POLICY_FORMAT!r}")
    if data.get("program_fingerprint") != loaded.program.fingerprint():
        raise EvidenceError(
            f"{path}: field 'program_fingerprint': the policy was trained for evidence program "
            f"'{data.get('evidence_program')}' with other model parameters than '{loaded.function}'"
        )
    recorded_env = data.get("env") if isinstance(data.get("env"), dict) else {}
    recorded_env = {"model_version": 1, **recorded_env}  # absent: model version 1
    for key, value in env.items():
        trained = recorded_env.get(key)
        if trained != value:
            raise EvidenceError(
                f"{path}: field 'env.{key}': the policy was trained with {trained!r}, "
                f"the env config says {value!r}"
            )
    try:
        table = np.asarray(data["q_table"], dtype=float)
    except (KeyError, TypeError, ValueError):
        raise EvidenceError(f"{path}: field 'q_table': not a numeric table") from None
    return table, path, sha256_of(path)


def eval_policy_rl(
    request: Request,
    env_config: Path | None,
    policy_file: Path,
    n_episodes: int | None,
    seed: int | None,
    out_report: Path | str,
) -> Produced:
    from medlang.sim.rl import greedy_rollouts

    loaded = request.load_program(env_config)
    env_file = load_config(env_config, EnvConfig, EVAL, "env", request.overrides)
    verify_program(env_file, loaded)
    settings = overrides_for_section(request.overrides, None)  # n_episodes, seed
    if settings:
        values = apply_overrides(dict(env_file.recorded), RLEvalRecorded, settings, EVAL)
        env_file = replace(env_file, recorded=values)
    recorded: RLEvalRecorded = recorded_settings(env_file, RLEvalRecorded)
    n_episodes = n_episodes or recorded.n_episodes
    seed = seed if seed is not None else recorded.seed
    resolved_env = _resolved_env(env_file, loaded)
    check_protocol(env_file, resolved_env["model_version"])
    env = env_settings(env_file.model, loaded)
    table, policy_path, policy_sha = load_policy(policy_file, loaded, _policy_env(resolved_env))
    if table.shape != (env.n_states, len(env.dose_levels_mg)):
        raise EvidenceError(f"{policy_path}: field 'q_table': shape {table.shape} does not fit")
    verify_input(env_file, "policy", policy_sha, policy_path)
    inputs = (loaded.module_path, env_file.path, policy_path)
    out_report = check_output_path(
        out_report, request.option("--out"), inputs, request.registry_root
    )
    inputs = {
        "evidence_program": loaded.record(),
        "policy": file_input(policy_path, policy_sha),
    }
    if env_file.path is not None:  # as train-policy-rl records its config files
        inputs["env_config_file"] = file_input(env_file.path, sha256_of(env_file.path))
    recorded = {
        "command": EVAL,
        "env": resolved_env,
        "n_episodes": n_episodes,
        "seed": seed,
        "inputs": inputs,
    }
    recording = Recording.begin(request, loaded, "RLEval", recorded)
    started = time.perf_counter()
    with recording.failures():
        with progress_bar(n_episodes, "evaluating policy", request.quiet) as step:
            rollouts = greedy_rollouts(
                _spec(loaded, resolved_env), env, table, n_episodes, seed, progress=step
            )
        metrics = _rollout_metrics(rollouts)
        baselines = None
        if resolved_env["model_version"] >= 2:  # version 1's reports stay as they were
            baselines = _against_baselines(
                _spec(loaded, resolved_env), env, rollouts, n_episodes, seed, metrics
            )
        report = {
            "evidence_program": loaded.function,
            "policy": request.shown_path(policy_path),
            "seed": seed,
            "metrics": dict(metrics),
            "mean_dose_by_cycle_mg": rollouts.doses.mean(axis=0).tolist(),
        }
        if baselines is not None:
            report["baselines"] = baselines
            report["reward"] = REWARD_DOCUMENTATION
        metrics["execution_time_ms"] = (time.perf_counter() - started) * 1000.0
    return recording.commit(metrics, [("RLEvalReport", out_report, report)])


REWARD_DOCUMENTATION = (
    "per cycle: tumour_weight * (RTS at the previous assessment - RTS at this one, on "
    "assessment cycles) - grade3_penalty * [0.5 <= nadir < 1.0] - grade4_penalty * "
    "[nadir < 0.5] - violation_penalty * violations; + response_bonus * [responder] "
    "after the last cycle. Success: responder without DLT. Baselines meet the same "
    "patients (paired); differences are policy - baseline with 95% CIs."
)


def _against_baselines(spec, env, rollouts, n_episodes: int, seed: int, metrics: dict) -> dict:
    """Fixed doses and the titration rule on the same patients; CIs into ``metrics``."""
    from medlang.sim.rl_eval import GreedyQ, compare, summary

    _, table = compare(spec, env, GreedyQ(None), n_episodes, seed, played=rollouts)
    own = summary(rollouts)
    for key in ("avg_reward", "success_rate", "response_rate", "dlt_rate"):
        metrics[f"{key}_ci95"] = own[f"{key}_ci95"]
    titration = table["titration"]
    metrics["reward_minus_titration"] = titration["reward_difference"]
    metrics["reward_minus_titration_ci95"] = titration["reward_difference_ci95"]
    metrics["success_minus_titration"] = titration["success_difference"]
    return table


def _rollout_metrics(rollouts) -> dict:
    return {
        "avg_reward": float(rollouts.rewards.mean()),
        "std_reward": float(rollouts.rewards.std()),
        "success_rate": float(rollouts.success.mean()),  # response without DLT
        "response_rate": float(rollouts.responder.mean()),
        "dlt_rate": float(rollouts.dlt.mean()),
        "avg_contract_violations": float(rollouts.violations.mean()),
        "mean_dose_mg": float(rollouts.doses.mean()),
        "n_simulations": len(rollouts.rewards),  # virtual patients (episodes) simulated
    }
