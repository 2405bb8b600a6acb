"""Config files of the run-producing commands: models with defaults, validation and
unknown-key rejection, and the reader that names file and field on every error.

A config file is either written by hand (only the keys you want; the rest take
their defaults) or exported from a logged run (``mlc runs export-config``). An
exported config is the run's *recorded* config: every resolved default plus
``command`` (which command recorded it) and ``inputs`` (the files the run read, as
absolute paths with sha256). Reading one back, ``command`` must name the same
command, and each recorded input the command uses again is verified: a changed
file, or a program that evaluates to something else (``program_sha256``, which
also covers the modules it imports), is an error, because the run would not be
reproduced. Commands with two config files (``train-policy-rl``: env + train)
record both as sections; the exported file given to either option serves both.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    ValidationError,
    model_validator,
)

from medlang.evidence.errors import EvidenceError, describe_validation_error, printable
from medlang.evidence.overrides import Overrides
from medlang.evidence.overrides import apply as apply_overrides
from medlang.evidence.overrides import for_section as overrides_for_section

if TYPE_CHECKING:
    from medlang.evidence.discovery import LoadedProgram

# strict: "1" or true is not a seed (lax pydantic would record 1, which nobody wrote);
# json.loads accepts NaN and Infinity, and no simulation setting may be one
_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)
MAX_SEED = 2**64 - 1  # seeds are u64, as in the Rust toolchain
MAX_LAYER_WIDTH, MAX_LAYERS = 1024, 8  # the surrogate's MLP stays well under 100 MB

# Model versions (medlang.sim.params.TrialSpec.model_version): 1 is the model of
# every run logged before versions existed, so a recorded config without the field
# means 1; a hand-written config without it gets the current model.
CURRENT_MODEL_VERSION = 2
ModelVersion = Field(None, ge=1, le=CURRENT_MODEL_VERSION)
DltDefinition = Literal["grade4_any", "grade4_7days_or_fn"]
ResponseDefinition = Literal["unconfirmed", "confirmed"]
# keys that model version 1 never had: left out of its outputs so they stay byte-identical
VERSION_2_KEYS = ("model_version", "dlt_definition", "response_definition")


class TrainSurrogateConfig(BaseModel):
    model_config = _STRICT
    model_version: int | None = ModelVersion
    seed: int = Field(0, ge=0, le=MAX_SEED)
    n_patients: int = Field(1200, ge=20, le=200_000)
    # default: 0.5 x lowest, 1.25 x highest arm; not strict: JSON gives a list, not a tuple
    dose_range_mg: tuple[StrictFloat, StrictFloat] | None = Field(None, strict=False)
    # bounded: a typo like 100000000 would exhaust memory instead of failing
    hidden_layers: list[Annotated[int, Field(le=MAX_LAYER_WIDTH)]] = Field(
        default_factory=lambda: [32, 32], min_length=1, max_length=MAX_LAYERS
    )
    epochs: int = Field(200, ge=1, le=100_000)
    learning_rate: float = Field(3e-3, gt=0, le=1)
    batch_size: int = Field(64, ge=1, le=1_000_000)
    val_fraction: float = Field(0.2, ge=0, lt=1)

    @model_validator(mode="after")
    def _check(self) -> TrainSurrogateConfig:
        if self.dose_range_mg is not None:
            low, high = self.dose_range_mg
            if low < 0 or high <= low:
                raise ValueError("dose_range_mg must be [low, high] with 0 <= low < high")
        if any(width < 1 for width in self.hidden_layers):
            raise ValueError("hidden_layers must be positive widths")
        return self


class EvalSurrogateConfig(BaseModel):
    model_config = _STRICT
    model_version: int | None = ModelVersion
    seed: int = Field(1, ge=0, le=MAX_SEED)
    # default: 300 (model version 1), 1000 (version 2)
    n_patients: int | None = Field(None, ge=1, le=200_000)
    doses_mg: list[float] | None = None  # default: the program's arm doses, in turn
    max_rmse: float = Field(0.1, gt=0)
    min_r_squared: float = Field(0.95, le=1)

    @model_validator(mode="after")
    def _check(self) -> EvalSurrogateConfig:
        if self.doses_mg is not None and (not self.doses_mg or min(self.doses_mg) < 0):
            raise ValueError("doses_mg must be a non-empty list of doses >= 0")
        return self


Strategy = Literal["adaptive", "surrogate", "mechanistic"]
BACKEND_STRATEGY: dict[str, Strategy] = {
    "Mechanistic": "mechanistic",
    "Surrogate": "surrogate",
    "Hybrid": "adaptive",
}


class EvidenceRunConfig(BaseModel):
    """Config of ``run-evidence`` / ``run-evidence-hybrid`` (the "hybrid config")."""

    model_config = _STRICT
    surrogate: str | None = None  # path, relative to the config file
    strategy: Strategy | None = None  # default: the backend's (Hybrid -> adaptive)
    mech_threshold: float = Field(0.07, ge=0)
    audit_fraction: float = Field(0.03, ge=0, le=1)
    seed: int | None = Field(
        None, ge=0, le=MAX_SEED
    )  # virtual population; default: the program's seed
    audit_seed: int = Field(0, ge=0, le=MAX_SEED)
    backend: str | None = None  # recorded by a logged run; must match when present
    model_version: int | None = ModelVersion
    dlt_definition: DltDefinition = "grade4_any"
    response_definition: ResponseDefinition = "unconfirmed"
    # the surrogate backend refuses patients outside its training domain unless this
    allow_extrapolation: bool = False


class EnvConfig(BaseModel):
    model_config = _STRICT
    model_version: int | None = ModelVersion
    dlt_definition: DltDefinition = "grade4_any"
    response_definition: ResponseDefinition = "unconfirmed"
    dose_levels_mg: list[float] = Field(
        default_factory=lambda: [75.0, 125.0, 175.0, 225.0], min_length=1
    )
    cycles: int | None = Field(None, ge=1, le=52)  # default: the program's cycles
    anc_bin_edges: list[float] = Field(default_factory=lambda: [0.5, 1.0, 1.5])
    rts_bin_edges: list[float] = Field(default_factory=lambda: [0.7, 0.9, 1.1])
    tumour_weight: float = 1.0
    response_bonus: float = 2.0
    grade3_penalty: float = Field(0.2, ge=0)
    grade4_penalty: float = Field(1.0, ge=0)
    violation_penalty: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> EnvConfig:
        if min(self.dose_levels_mg) < 0:
            raise ValueError("dose_levels_mg must be >= 0")
        for name in ("anc_bin_edges", "rts_bin_edges"):
            edges = getattr(self, name)
            if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                raise ValueError(f"{name} must be strictly increasing")
        return self


MAX_EPISODES = 1_000_000


class RLTrainConfig(BaseModel):
    model_config = _STRICT
    episodes: int = Field(2000, ge=1, le=MAX_EPISODES)
    batch_size: int = Field(50, ge=1, le=10_000)
    learning_rate: float = Field(0.1, gt=0, le=1)
    discount: float = Field(0.95, ge=0, le=1)
    epsilon_start: float = Field(1.0, ge=0, le=1)
    epsilon_min: float = Field(0.05, ge=0, le=1)
    epsilon_decay: float = Field(0.998, gt=0, le=1)
    convergence_window: int = Field(200, ge=1, le=MAX_EPISODES)
    convergence_tolerance: float = Field(0.1, gt=0)
    seed: int = Field(0, ge=0, le=MAX_SEED)


class RLEvalRecorded(BaseModel):
    """What ``eval-policy-rl`` records beside its env section (checked when read back)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    n_episodes: int = Field(200, ge=1, le=MAX_EPISODES)
    seed: int = Field(2026, ge=0, le=MAX_SEED)


class RLTrainFile(BaseModel):
    """The ``--config`` of ``train-policy-rl``: both sections in one file (each optional)."""

    model_config = _STRICT
    env: EnvConfig = Field(default_factory=EnvConfig)
    train: RLTrainConfig = Field(default_factory=RLTrainConfig)


class RLEvalFile(BaseModel):
    """The ``--config`` of ``eval-policy-rl``: the env section and the evaluation settings."""

    model_config = _STRICT
    env: EnvConfig = Field(default_factory=EnvConfig)
    n_episodes: int = Field(200, ge=1, le=MAX_EPISODES)
    seed: int = Field(2026, ge=0, le=MAX_SEED)


# What each producer's --config holds (`mlc config-schema COMMAND` prints its JSON
# Schema) and the key --seed sets in it.
CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "run-evidence": EvidenceRunConfig,
    "run-evidence-hybrid": EvidenceRunConfig,
    "train-surrogate": TrainSurrogateConfig,
    "surrogate-eval": EvalSurrogateConfig,
    "train-policy-rl": RLTrainFile,
    "eval-policy-rl": RLEvalFile,
}
SEED_KEYS = {command: "seed" for command in CONFIG_MODELS} | {"train-policy-rl": "train.seed"}
_SECTIONS = ("env", "train")


@dataclass(frozen=True)
class ConfigFile:
    """A validated config, where it came from, and what an exported one recorded."""

    model: Any
    path: Path | None  # absolute; None: no file given, all defaults
    recorded: dict  # the whole exported record ({} for a hand-written config)

    @property
    def directory(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve_path(self, value: str) -> Path:
        """A path inside the config, relative to the config file."""
        return (self.directory / Path(value).expanduser()).resolve()

    @property
    def inputs(self) -> dict:
        inputs = self.recorded.get("inputs")
        return inputs if isinstance(inputs, dict) else {}


def require_regular_file(path: Path, what: str) -> None:
    """Refuse a pipe or device (``/dev/stdin``, a FIFO) before it is opened: reading
    it may block for ever, and its sha256 could not be recorded or checked again."""
    try:
        special = path.exists() and not path.is_file()
    except OSError:
        return  # reading it reports the problem
    if special:
        raise EvidenceError(f"{path}: {what} is not a regular file (a pipe or a device)")


def read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvidenceError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvidenceError(f"{path}: cannot read {what}: {error}") from None
    return parse_json(text, path, what)


MAX_NESTING = 64  # deeper than any config, surrogate or policy file we write
_INT_RANGE = (-(2**63), 2**64 - 1)  # what an i64 or a u64 can hold


class _OutOfRange:
    """A number JSON can spell but no config field can hold; reported with its path."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _parse_int(text: str) -> int | _OutOfRange:
    if len(text) > 21 or not _INT_RANGE[0] <= (value := int(text)) <= _INT_RANGE[1]:
        return _OutOfRange(f"integer {_abbreviated(text)} does not fit in 64 bits")
    return value


def _parse_float(text: str) -> float | _OutOfRange:
    value = float(text)
    if math.isinf(value):
        return _OutOfRange(f"number {_abbreviated(text)} is outside the float range")
    return value


def _parse_constant(text: str) -> _OutOfRange:
    return _OutOfRange(f"{text} is not a number a config may hold")


def _abbreviated(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]} ({len(text)} characters)"


def parse_json(text: str, path: Path | str, what: str) -> Any:
    """JSON as config files may hold it: numbers within 64-bit integers and floats,
    nesting at most ``MAX_NESTING`` deep. Anything else is one ``EvidenceError`` line
    naming the file and the field (never a RecursionError or a ValueError)."""
    try:
        data = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as error:
        raise EvidenceError(
            f"{path}:{error.lineno}:{error.colno}: malformed JSON in {what}: {error.msg}"
        ) from None
    except RecursionError:
        raise EvidenceError(f"{path}: {what} is nested deeper than {MAX_NESTING} levels") from None
    problem = _first_problem(data)
    if problem is not None:
        field, message = problem
        if len(field) > 60:  # a path 64 levels deep: its start says where
            field = f"{field[:40]}..."
        where = f"field '{field}': " if field else ""
        raise EvidenceError(f"{path}: {where}{message}")
    return data


def _first_problem(data: Any) -> tuple[str, str] | None:
    """(field path, problem) of the first out-of-range number or too deep nesting."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, field, depth = stack.pop()
        if isinstance(value, _OutOfRange):
            return field, value.problem
        if isinstance(value, dict | list):
            if depth >= MAX_NESTING:
                return field, f"nested deeper than {MAX_NESTING} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, item in items:
                if isinstance(key, int):
                    child = f"{field}[{key}]"
                else:
                    child = f"{field}.{printable(key)}" if field else printable(key)
                children.append((item, child, depth + 1))
            stack.extend(reversed(children))  # report the first problem in file order
    return None


# Commands that share one producer accept each other's recorded configs.
SAME_PRODUCER = {"run-evidence": "evidence", "run-evidence-hybrid": "evidence"}


def load_config(
    path: Path | None,
    model: type[BaseModel],
    command: str,
    section: str | None = None,
    overrides: Overrides | None = None,
) -> ConfigFile:
    """Read and validate a config file (``None``: all defaults), then apply the
    ``--set`` overrides of this section (``overrides.for_section``)."""
    changes = overrides_for_section(overrides or {}, section)
    if path is None:
        data = apply_overrides({}, model, changes, command)
        return ConfigFile(_validated(model, data, None, section, {}), None, {})
    require_regular_file(path.expanduser(), "config file")
    path = path.expanduser().resolve()
    data = read_json(path, "config file")
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: config must be a JSON object")
    recorded: dict = {}
    if "command" in data or "inputs" in data:
        recorded = data
        recorded_by = data.get("command")
        if not isinstance(recorded_by, str):
            raise EvidenceError(f"{path}: field 'command': expected the name of a command")
        if SAME_PRODUCER.get(recorded_by, recorded_by) != SAME_PRODUCER.get(command, command):
            raise EvidenceError(
                f"{path}: field 'command': this config was recorded by "
                f"{recorded_by!r}, not {command!r}"
            )
        data = dict(data[section]) if section and isinstance(data.get(section), dict) else data
        data = {k: v for k, v in data.items() if k not in ("command", "inputs")}
        if section is not None and section not in recorded:
            raise EvidenceError(f"{path}: field '{section}': missing in the recorded config")
    elif section is not None and any(name in data for name in _SECTIONS):
        # a hand-written --config with sections ({"env": {...}, "train": {...}})
        unknown = sorted(set(data) - set(_SECTIONS) - {"n_episodes", "seed"})
        if unknown:
            raise EvidenceError(f"{path}: field '{unknown[0]}': not a section (env, train)")
        settings = {key: data[key] for key in ("n_episodes", "seed") if key in data}
        data = data.get(section) or {}
        if not isinstance(data, dict):
            raise EvidenceError(f"{path}: field '{section}': expected an object")
        recorded = settings  # eval-policy-rl's settings beside its env section
    data = apply_overrides(data, model, changes, str(path))
    return ConfigFile(_validated(model, data, path, section, recorded), path, recorded)


def _validated(
    model: type[BaseModel], data: dict, path: Path | None, section: str | None, recorded: dict
) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        prefix = f"{section}." if section and (recorded or path is None) else ""
        message = describe_validation_error(error).replace("field '", f"field '{prefix}", 1)
        where = path if path is not None else "--set"
        raise EvidenceError(f"{where}: {message}") from None


def resolve_model_version(config: ConfigFile) -> int:
    """The config's model version: as written, else 1 for a config recorded by a run
    (it predates versions), else the current one."""
    written = getattr(config.model, "model_version", None)
    if written is not None:
        return written
    return 1 if config.recorded else CURRENT_MODEL_VERSION


def check_protocol(config: ConfigFile, model_version: int) -> None:
    """Model version 1 has no ANC time course: only the definitions it always used."""
    cfg = config.model
    where = config.path or "(no config file given)"
    if model_version < 2:
        for key, default in (
            ("dlt_definition", "grade4_any"),
            ("response_definition", "unconfirmed"),
        ):
            if getattr(cfg, key, default) != default:
                raise EvidenceError(
                    f"{where}: field '{key}': {getattr(cfg, key)!r} needs model_version 2 "
                    "(model version 1 has no grade-4 duration or per-visit tumour sizes)"
                )


def protocol_of(cfg: Any):
    from medlang.sim.params import Protocol

    return Protocol(dlt=cfg.dlt_definition, response=cfg.response_definition)


def recorded_settings(config: ConfigFile, model: type[BaseModel]) -> Any:
    """Settings an exported config records outside its sections, validated."""
    try:
        return model.model_validate(config.recorded)
    except ValidationError as error:
        raise EvidenceError(f"{config.path}: {describe_validation_error(error)}") from None


def verify_input(config: ConfigFile, key: str, sha256: str, actual_path: Path) -> None:
    """An exported config names the exact files its run read: refuse a changed one."""
    recorded = config.inputs.get(key)
    if isinstance(recorded, dict) and recorded.get("sha256") not in (None, sha256):
        raise EvidenceError(
            f"{config.path}: field 'inputs.{key}.sha256': {actual_path} has changed since "
            f"the run was recorded (recorded {str(recorded['sha256'])[:12]}, now {sha256[:12]})"
        )


def verify_program(config: ConfigFile, loaded: LoadedProgram) -> None:
    """The program must be the one the run read: its module's bytes, and what it
    evaluates to (which also depends on the modules it imports)."""
    verify_input(config, "evidence_program", loaded.module_sha256, loaded.module_path)
    recorded = config.inputs.get("evidence_program")
    if not isinstance(recorded, dict):
        return
    for key, actual in (
        ("program_sha256", loaded.program.value_sha256()),
        ("fingerprint", loaded.program.fingerprint()),
    ):
        if recorded.get(key) not in (None, actual):
            raise EvidenceError(
                f"{config.path}: field 'inputs.evidence_program.{key}': evidence program "
                f"'{loaded.function}' ({loaded.module_path}) no longer evaluates to what the "
                "run read (has a module it imports changed?)"
            )


def file_input(path: Path, sha256: str) -> dict:
    return {"path": str(path), "sha256": sha256}
