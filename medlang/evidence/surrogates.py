"""Producers of ``train-surrogate`` and ``surrogate-eval``."""

from __future__ import annotations

import time
from pathlib import Path

from medlang.evidence.common import (
    Produced,
    Request,
    check_output_path,
    progress_bar,
)
from medlang.evidence.configs import (
    EvalSurrogateConfig,
    TrainSurrogateConfig,
    file_input,
    load_config,
    read_json,
    require_regular_file,
    resolve_model_version,
    verify_input,
    verify_program,
)
from medlang.evidence.discovery import LoadedProgram, sha256_of
from medlang.evidence.errors import EvidenceError
from medlang.evidence.recording import Recording


def load_surrogate(path: Path, loaded: LoadedProgram):
    """Read a surrogate model file and check it was trained for this program."""
    from medlang.sim.surrogate import Surrogate, SurrogateFormatError

    require_regular_file(path.expanduser(), "surrogate model")
    path = path.expanduser().resolve()
    try:
        surrogate = Surrogate.from_json(read_json(path, "surrogate model"))
    except SurrogateFormatError as error:
        raise EvidenceError(f"{path}: {error}") from None
    if surrogate.program_fingerprint != loaded.program.fingerprint():
        raise EvidenceError(
            f"{path}: field 'program_fingerprint': the surrogate was trained for evidence "
            f"program '{surrogate.program_name}' with other model parameters than "
            f"'{loaded.function}' ({loaded.module_path.name})"
        )
    return surrogate, path, sha256_of(path)


def check_surrogate_version(surrogate, path: Path, model_version: int) -> None:
    if surrogate.model_version != model_version:
        raise EvidenceError(
            f"{path}: field 'model_version': the surrogate learned model version "
            f"{surrogate.model_version}, the run uses model version {model_version} (set "
            "model_version in the config, or train a surrogate for this version)"
        )


def train_surrogate(request: Request, train_config: Path | None, out_model: Path | str) -> Produced:
    from medlang.sim.mlp import AdamSettings
    from medlang.sim.surrogate_fit import SurrogateTraining, TrainingDataError, fit_surrogate

    loaded = request.load_program(train_config)
    config = load_config(
        train_config, TrainSurrogateConfig, "train-surrogate", overrides=request.overrides
    )
    verify_program(config, loaded)
    out_model = check_output_path(
        out_model, request.option("--out"), (loaded.module_path, config.path), request.registry_root
    )
    cfg: TrainSurrogateConfig = config.model
    model_version = resolve_model_version(config)
    doses = [arm.dose_mg for arm in loaded.program.arms]
    dose_range = cfg.dose_range_mg or (0.5 * min(doses), 1.25 * max(doses))
    resolved = cfg.model_copy(
        update={"dose_range_mg": tuple(dose_range), "model_version": model_version}
    )
    settings = SurrogateTraining(
        n_patients=cfg.n_patients,
        dose_min_mg=dose_range[0],
        dose_max_mg=dose_range[1],
        hidden_layers=tuple(cfg.hidden_layers),
        adam=AdamSettings(cfg.learning_rate, cfg.epochs, cfg.batch_size),
        val_fraction=cfg.val_fraction,
        seed=cfg.seed,
    )
    recorded = {
        "command": "train-surrogate",
        **resolved.model_dump(mode="json"),
        "inputs": _inputs(loaded, config.path),
    }
    recording = Recording.begin(request, loaded, "SurrogateTrain", recorded)
    started = time.perf_counter()
    with recording.failures():
        spec = loaded.program.to_spec(model_version=model_version)
        with progress_bar(spec.cycles, "simulating training set", request.quiet) as step:
            try:
                surrogate, metrics = fit_surrogate(
                    spec,
                    settings,
                    loaded.function,
                    loaded.program.fingerprint(),
                    progress=step,
                )
            except TrainingDataError as error:
                where = config.path or "(no config file given)"
                raise EvidenceError(f"{where}: {error}") from None
        metrics["training_time_s"] = time.perf_counter() - started
        document = surrogate.to_json()
    return recording.commit(metrics, [("SurrogateModel", out_model, document)])


def surrogate_eval(
    request: Request, surrogate_file: Path, eval_config: Path | None, out_report: Path | str
) -> Produced:
    import numpy as np

    from medlang.sim.population import Population, sample_patients
    from medlang.sim.surrogate_fit import Qualification, evaluate_surrogate

    loaded = request.load_program(eval_config)
    config = load_config(
        eval_config, EvalSurrogateConfig, "surrogate-eval", overrides=request.overrides
    )
    verify_program(config, loaded)
    surrogate, surrogate_path, surrogate_sha = load_surrogate(surrogate_file, loaded)
    verify_input(config, "surrogate", surrogate_sha, surrogate_path)
    inputs = (loaded.module_path, config.path, surrogate_path)
    out_report = check_output_path(
        out_report, request.option("--out"), inputs, request.registry_root
    )
    cfg: EvalSurrogateConfig = config.model
    written = cfg.model_version
    model_version = (
        written if written is not None else (1 if config.recorded else surrogate.model_version)
    )
    check_surrogate_version(surrogate, surrogate_path, model_version)
    if cfg.seed == surrogate.seed:  # the same seed would draw the training patients again
        raise EvidenceError(
            f"{config.path or 'default config'}: field 'seed': {cfg.seed} is the surrogate's "
            "training seed; evaluation needs fresh patients (choose another seed)"
        )
    spec = loaded.program.to_spec(model_version=model_version)
    rng = np.random.default_rng(cfg.seed)
    n_patients = cfg.n_patients or (300 if model_version < 2 else 1000)
    patients = sample_patients(spec, n_patients, rng)
    if model_version >= 2 and cfg.doses_mg is None:
        # qualification samples the whole training dose range, not only the arms
        low, high = surrogate.dose_range_mg
        doses: list[float] | None = None
        patient_doses = rng.uniform(low, high, n_patients)
    else:
        doses = cfg.doses_mg or [arm.dose_mg for arm in loaded.program.arms]
        patient_doses = np.resize(np.asarray(doses, dtype=float), n_patients)
    update = {"doses_mg": list(doses) if doses else None, "n_patients": n_patients}
    update["model_version"] = model_version
    resolved = cfg.model_copy(update=update)
    population = Population(patients, patient_doses, np.zeros(n_patients, dtype=int))
    inputs = _inputs(loaded, config.path)
    inputs["surrogate"] = file_input(surrogate_path, surrogate_sha)
    recorded = {"command": "surrogate-eval", **resolved.model_dump(mode="json"), "inputs": inputs}
    recording = Recording.begin(request, loaded, "SurrogateEval", recorded)
    started = time.perf_counter()
    with recording.failures():
        # Version 2's report also holds each patient's endpoints from both models (for
        # parity plots); version 1's reports stay byte-identical.
        pairs: list[dict] | None = [] if model_version >= 2 else None
        with progress_bar(spec.cycles, "simulating evaluation set", request.quiet) as step:
            metrics = evaluate_surrogate(
                spec,
                surrogate,
                population,
                Qualification(cfg.max_rmse, cfg.min_r_squared),
                progress=step,
                pairs=pairs,
            )
        report = {
            "evidence_program": loaded.function,
            "surrogate": request.shown_path(surrogate_path),
            "config": _report_config(resolved, model_version),
            "metrics": dict(metrics),
            "note": "errors are on log(best relative tumour size) and log(cycle-1 ANC nadir)",
        }
        if pairs is not None:
            report["endpoints"] = ["log_best_rts", "log_anc_nadir"]
            report["patients"] = pairs
        metrics["evaluation_time_s"] = time.perf_counter() - started
    return recording.commit(metrics, [("SurrogateEvalReport", out_report, report)])


def _inputs(loaded: LoadedProgram, config_path: Path | None) -> dict:
    inputs = {"evidence_program": loaded.record()}
    if config_path is not None:
        inputs["config_file"] = file_input(config_path, sha256_of(config_path))
    return inputs


def _report_config(resolved, model_version: int) -> dict:
    """The config as the report shows it; model version 1's reports stay byte-identical."""
    config = resolved.model_dump(mode="json")
    if model_version < 2:
        config.pop("model_version", None)
    return config
