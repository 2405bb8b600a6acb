"""Producer of ``run-evidence`` / ``run-evidence-hybrid`` (and ``mlc run --log``)."""

from __future__ import annotations

from pathlib import Path

from medlang.evidence.common import (
    Produced,
    Request,
    check_output_path,
    progress_bar,
)
from medlang.evidence.configs import (
    BACKEND_STRATEGY,
    ConfigFile,
    EvidenceRunConfig,
    check_protocol,
    file_input,
    load_config,
    protocol_of,
    resolve_model_version,
    verify_input,
    verify_program,
)
from medlang.evidence.discovery import LoadedProgram, sha256_of
from medlang.evidence.errors import EvidenceError
from medlang.evidence.recording import Recording
from medlang.evidence.surrogates import check_surrogate_version, load_surrogate

BACKENDS = ("Mechanistic", "Surrogate", "Hybrid")
COMMAND = {"Hybrid": "run-evidence-hybrid"}


def normalise_backend(name: str) -> str:
    for backend in BACKENDS:
        if backend.lower() == name.strip().lower():
            return backend
    raise EvidenceError(f"unknown backend {name!r}; expected mechanistic, surrogate or hybrid")


def choose_backend(option: str | None, config: ConfigFile, loaded: LoadedProgram) -> str:
    """``--backend``, else the backend an exported config recorded, else the program's."""
    return normalise_backend(option or config.model.backend or loaded.program.backend)


def run_evidence(
    request: Request,
    backend: str | None,
    config_file: Path | None,
    out: Path | str,
    command: str = "run-evidence",
    loaded: LoadedProgram | None = None,
    allow_extrapolation: bool = False,
) -> Produced:
    loaded = loaded or request.load_program(config_file)
    config = load_config(config_file, EvidenceRunConfig, command, overrides=request.overrides)
    backend = choose_backend(backend, config, loaded)
    cfg: EvidenceRunConfig = config.model
    where = config.path or "(no config file given)"
    if cfg.backend is not None and normalise_backend(cfg.backend) != backend:
        raise EvidenceError(
            f"{where}: field 'backend': recorded for backend {cfg.backend}, not {backend}"
        )
    strategy = cfg.strategy or BACKEND_STRATEGY[backend]
    if strategy != BACKEND_STRATEGY[backend]:
        raise EvidenceError(
            f"{where}: field 'strategy': {strategy!r} is not a strategy of backend {backend} "
            f"(use {BACKEND_STRATEGY[backend]!r})"
        )
    verify_program(config, loaded)
    model_version = resolve_model_version(config)
    check_protocol(config, model_version)
    if strategy != "mechanistic" and (
        cfg.dlt_definition != "grade4_any" or cfg.response_definition != "unconfirmed"
    ):
        raise EvidenceError(
            f"{where}: fields 'dlt_definition'/'response_definition': the surrogate predicts "
            "the best tumour size and the ANC nadir only, not a grade-4 duration or a "
            f"confirmation; use --backend mechanistic for {cfg.dlt_definition!r} and "
            f"{cfg.response_definition!r}"
        )
    inputs: dict = {"evidence_program": loaded.record()}
    surrogate = surrogate_path = None
    if strategy != "mechanistic":
        if cfg.surrogate is None:
            raise EvidenceError(f"{where}: field 'surrogate': required for backend {backend}")
        surrogate, surrogate_path, sha = load_surrogate(config.resolve_path(cfg.surrogate), loaded)
        verify_input(config, "surrogate", sha, surrogate_path)
        check_surrogate_version(surrogate, surrogate_path, model_version)
        inputs["surrogate"] = file_input(surrogate_path, sha)
    if config.path is not None:
        inputs["config_file"] = file_input(config.path, sha256_of(config.path))
    out = check_output_path(
        out, "--out", (loaded.module_path, config.path, surrogate_path), request.registry_root
    )
    seed = loaded.program.seed if cfg.seed is None else cfg.seed
    resolved = cfg.model_copy(
        update={
            "surrogate": str(surrogate_path) if surrogate_path else None,
            "strategy": strategy,
            "seed": seed,
            "backend": backend,
            "model_version": model_version,
            "allow_extrapolation": cfg.allow_extrapolation or allow_extrapolation,
        }
    )
    return _simulate_and_log(request, loaded, backend, resolved, surrogate, inputs, out, command)


def _simulate_and_log(request, loaded, backend, cfg, surrogate, inputs, out, command) -> Produced:
    from medlang.sim.hybrid import OutOfDomain, Routing
    from medlang.sim.hybrid import run_evidence as simulate_evidence
    from medlang.sim.population import trial_population

    recorded = {"command": command, **cfg.model_dump(mode="json"), "inputs": inputs}
    recording = Recording.begin(request, loaded, f"Evidence{backend}", recorded)
    with recording.failures():
        spec = loaded.program.to_spec(cfg.seed, cfg.model_version, protocol_of(cfg))
        population = trial_population(spec)
        routing = Routing(
            cfg.strategy,
            cfg.mech_threshold,
            cfg.audit_fraction,
            cfg.audit_seed,
            allow_extrapolation=cfg.allow_extrapolation,
            version2=cfg.model_version >= 2,
        )
        with progress_bar(spec.cycles, f"simulating ({backend.lower()})", request.quiet) as step:
            try:
                outcome = simulate_evidence(spec, population, routing, surrogate, progress=step)
            except OutOfDomain as error:
                raise EvidenceError(f"{cfg.surrogate}: {error}") from None
        metrics = dict(outcome.metrics)
        if backend == "Mechanistic":  # no surrogate, no audit: errors are not applicable
            metrics["rmse"] = metrics["mae"] = None
        metrics["ORR_by_arm"] = outcome.summary.orr_by_arm
        metrics["DLT_rate_by_arm"] = outcome.summary.dlt_rate_by_arm
        recording.metrics = metrics
        document = _result_document(loaded, backend, cfg, spec, population, outcome, metrics)
    return recording.commit(metrics, [("EvidenceResult", out, document)])


def _result_document(loaded, backend, cfg, spec, population, outcome, metrics) -> dict:
    from medlang.sim.trial import dlts, responders

    response = responders(spec, outcome.endpoints)
    toxicity = dlts(spec, outcome.endpoints)
    endpoints = outcome.endpoints
    patients = [
        {
            "arm": spec.arms[int(population.arm_index[i])].label,
            "dose_mg": float(population.dose_mg[i]),
            "source": str(outcome.source[i]),
            "best_rts": float(endpoints.best_rts[i]),
            "anc_nadir_cycle1": float(endpoints.anc_nadir[i]),
            "responder": bool(response[i]),
            "dlt": bool(toxicity[i]),
        }
        for i in range(population.n)
    ]
    if spec.model_version >= 2:  # model version 1's files stay byte-identical
        for i, patient in enumerate(patients):
            patient["nadir_day_cycle1"] = float(endpoints.nadir_day[i])
            patient["grade4_days_cycle1"] = float(endpoints.grade4_days[i])
    timing_free = {k: v for k, v in metrics.items() if k != "execution_time_ms"}
    document = {
        "evidence_program": loaded.function,
        "backend": backend,
        "strategy": cfg.strategy,
        "seed": cfg.seed,
        "summary": timing_free,
        "patients": patients,
    }
    if spec.model_version >= 2:
        document["model_version"] = spec.model_version
        document["protocol"] = {"dlt": spec.protocol.dlt, "response": spec.protocol.response}
    return document
