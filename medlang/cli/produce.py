"""Run-producing commands: evidence runs, surrogate training/evaluation, RL policies.

Each command is thin: it turns options into a ``Request`` and calls a producer in
``medlang.evidence``; bad input is one ``Error: ...`` line and exit 1, with
nothing written and nothing logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path

import click

_FILE = click.Path(dir_okay=False, path_type=Path)
_DIR = click.Path(file_okay=False, path_type=Path)
# Outputs stay text: a trailing "/" (a directory) must reach check_output_path, which
# also reports an existing directory as one line rather than click's usage error.
_OUT = click.Path()


def program_options(command: Callable) -> Callable:
    """Options shared by every producer: which program, --seed/--set, logging, quietness."""
    decorators = [
        click.option(
            "--evidence-program", "evidence_program", help="Name of the evidence program function."
        ),
        click.option("--file", "file", type=_FILE, help="The .medlang file defining the program."),
        click.option(
            "--project",
            type=_DIR,
            default=None,
            help="Project root searched for the program (default: current directory).",
        ),
        click.option(
            "--seed",
            type=click.IntRange(min=0),
            default=None,
            help="Seed of the run's randomness (overrides the config's; recorded in the run).",
        ),
        click.option(
            "--set",
            "settings",
            metavar="KEY=VALUE",
            multiple=True,
            shell_complete=_complete_config_key,
            help="Override one config value (repeatable; typed by the config's schema, "
            "see `mlc config-schema COMMAND`; recorded in the run).",
        ),
        click.option("--log", is_flag=True, help="Record the run in the registry."),
        click.option(
            "--no-store",
            "no_store",
            is_flag=True,
            help="With --log: record paths and sha256 only, copy no file into the registry "
            "(the run cannot be replayed).",
        ),
        click.option(
            "--quiet",
            "-q",
            is_flag=True,
            help="No progress bar and no summary (the `Logged run:` line stays).",
        ),
        max_steps_option(
            "Interpreter steps allowed to evaluate the evidence program "
            "(default: 10,000,000; a looping program fails instead of hanging)."
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def max_steps_option(help_text: str) -> Callable:
    return click.option(
        "--max-steps",
        "max_steps",
        type=click.IntRange(min=0),
        default=None,
        metavar="N",
        help=help_text,
    )


def _complete_config_key(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    try:
        from medlang.evidence.configs import CONFIG_MODELS
        from medlang.evidence.overrides import dotted_keys

        keys = dotted_keys(CONFIG_MODELS[ctx.info_name])
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [f"{key}=" for key in keys if key.startswith(incomplete)]


def config_option(help_text: str, *old_names: str) -> Callable:
    """``--config FILE``, and the command's former option names as hidden aliases
    (recorded command lines keep working)."""

    def decorate(command: Callable) -> Callable:
        for name in reversed(old_names):
            command = click.option(name, f"alias_{_param(name)}", type=_FILE, hidden=True)(command)
        return click.option("--config", "config", type=_FILE, help=help_text)(command)

    return decorate


def out_option(help_text: str, *old_names: str) -> Callable:
    """``--out FILE`` (``-``: stdout), and the former names as hidden aliases."""

    def decorate(command: Callable) -> Callable:
        for name in reversed(old_names):
            command = click.option(name, f"alias_{_param(name)}", type=_OUT, hidden=True)(command)
        text = f"{help_text} - writes it to stdout (then the messages go to stderr)."
        return click.option("--out", "out", type=_OUT, help=text)(command)

    return decorate


def _param(option_name: str) -> str:
    return option_name.lstrip("-").replace("-", "_")


def _merge_alias(
    options: dict, name: str, old_names: tuple[str, ...], required: bool, spelled: dict
) -> None:
    """Fold hidden aliases into ``options[name]``; both given differently is an error.
    ``spelled`` learns which name the user typed."""
    given = [(f"--{name}", options.get(name))] if options.get(name) is not None else []
    for old in old_names:
        value = options.pop(f"alias_{_param(old)}", None)
        if value is not None:
            given.append((old, value))
    if len({str(value) for _, value in given}) > 1:
        raise click.UsageError(f"give {given[0][0]} once (also given as {given[1][0]})")
    options[name] = given[0][1] if given else None
    if given:
        spelled[f"--{name}"] = given[0][0]
    if required and options[name] is None:
        raise click.UsageError(f"Missing option '--{name}'.")


def producer(name: str, *, configs: tuple[str, ...] = (), outs: tuple[str, ...] = ()):
    """Build the Request (with --seed/--set), run the producer, report errors and the
    logged run id. ``configs``/``outs``: the command's former option names."""

    def decorate(command: Callable) -> Callable:
        @wraps(command)
        @click.pass_context
        def wrapper(
            ctx: click.Context,
            evidence_program,
            file,
            project,
            seed,
            settings,
            log,
            no_store,
            quiet,
            max_steps,
            **options,
        ):
            from medlang.evidence.common import Request
            from medlang.evidence.errors import EvidenceError
            from medlang.registry import RegistryError

            spelled: dict[str, str] = {}
            _merge_alias(options, "config", configs, required=False, spelled=spelled)
            _merge_alias(options, "out", outs, required=True, spelled=spelled)
            to_stdout = options.get("out") == "-"
            overrides = evidence_overrides(name, settings, seed, out=options.get("out"), log=log)
            request = Request(
                evidence_program=evidence_program,
                file=file,
                project=(project or Path.cwd()).expanduser().resolve(),
                registry_root=ctx.obj.registry_root,
                log=log,
                quiet=quiet,
                store=not no_store,
                overrides=overrides,
                spelled=spelled,
            )
            if max_steps is not None:
                request = replace(request, max_steps=max_steps)
            try:
                if log:
                    from medlang.registry import Registry

                    Registry(request.registry_root).check_writable()  # before any work
            except RegistryError as error:
                raise click.ClickException(f"run not logged: {error}") from None
            try:
                produced = command(request, **options)
            except EvidenceError as error:
                raise click.ClickException(str(error)) from None
            except RegistryError as error:  # outputs are written; only logging failed
                raise click.ClickException(f"run not logged: {error}") from None
            report(produced, quiet, to_stderr=to_stdout)

        return wrapper

    return decorate


def evidence_overrides(
    command: str, settings: tuple[str, ...], seed: int | None, *, out: object, log: bool
) -> dict[str, str]:
    """--set pairs and --seed as one dict of config keys, checked before any work
    (a usage error otherwise); also refuses --out - with --log."""
    from medlang.evidence.configs import CONFIG_MODELS, SEED_KEYS
    from medlang.evidence.errors import EvidenceError
    from medlang.evidence.overrides import check_keys, parse_overrides

    if out == "-" and log:
        raise click.UsageError(
            "--out - cannot be combined with --log: a logged run records its output "
            "file (name a file)"
        )
    try:
        overrides = parse_overrides(settings)
        if seed is not None:
            overrides[SEED_KEYS[command]] = str(seed)
        check_keys(CONFIG_MODELS[command], overrides, command)
    except EvidenceError as error:
        raise click.UsageError(str(error)) from None
    return overrides


def report(produced, quiet: bool, to_stderr: bool = False) -> None:
    if not quiet:
        for path in produced.outputs:
            if str(path) != "-":
                click.echo(f"Wrote {path}", err=to_stderr)
        click.echo(summary_line(produced.metrics), err=to_stderr)
    if produced.run_id:
        click.echo(f"Logged run: {produced.run_id}", err=to_stderr)


def summary_line(metrics: dict) -> str:
    parts = []
    for key, value in metrics.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.4g}")
        elif isinstance(value, bool | int):
            parts.append(f"{key}={value}")
    return "  ".join(parts)


@click.command("run-evidence")
@program_options
@click.option(
    "--backend",
    type=click.Choice(["mechanistic", "surrogate", "hybrid"], case_sensitive=False),
    default=None,
    help="Backend (default: the one an exported --config recorded, else the program's).",
)
@config_option("Evidence run config (JSON; see `mlc config-schema run-evidence`).")
@out_option("Result file (JSON);")
@click.option(
    "--allow-extrapolation",
    is_flag=True,
    help="Let the surrogate backend predict patients outside its training domain "
    "(the out-of-domain fraction is reported as a metric).",
)
@producer("run-evidence")
def run_evidence(request, backend, config, out, allow_extrapolation):
    """Simulate an evidence program's virtual trial on one backend.

    \b
    Examples:
      mlc run-evidence --file trial.medlang --backend mechanistic --out result.json --log
      mlc run-evidence --config hybrid.json --backend hybrid --seed 7 --out -
    """
    from medlang.evidence.trials import run_evidence as produce

    return produce(request, backend, config, out, allow_extrapolation=allow_extrapolation)


@click.command("run-evidence-hybrid")
@program_options
@config_option(
    "Hybrid config: surrogate file, strategy, thresholds (JSON; required; see "
    "`mlc config-schema run-evidence-hybrid`).",
    "--hybrid-config",
)
@out_option("Result file (JSON);")
@producer("run-evidence-hybrid", configs=("--hybrid-config",))
def run_evidence_hybrid(request, config, out):
    """Simulate an evidence program with the hybrid (surrogate + mechanistic) backend.

    \b
    Examples:
      mlc run-evidence-hybrid --config hybrid.json --out out/results.json --log
      mlc run-evidence-hybrid --config hybrid.json --set mech_threshold=0.05 --out -
    """
    from medlang.evidence.trials import run_evidence as produce

    if config is None:
        raise click.UsageError("Missing option '--config' (the hybrid config names the surrogate).")
    return produce(request, "hybrid", config, out, command="run-evidence-hybrid")


@click.command("train-surrogate")
@program_options
@config_option(
    "Training config (JSON; default: defaults; see `mlc config-schema train-surrogate`).",
    "--train-config",
)
@out_option("Surrogate model file (JSON);", "--out-model")
@producer("train-surrogate", configs=("--train-config",), outs=("--out-model",))
def train_surrogate(request, config, out):
    """Simulate a training set mechanistically and fit a surrogate model.

    \b
    Examples:
      mlc train-surrogate --file trial.medlang --out surrogate.json --log
      mlc train-surrogate --config train.json --set epochs=50 --seed 3 --out surrogate.json
    """
    from medlang.evidence.surrogates import train_surrogate as produce

    return produce(request, config, out)


@click.command("surrogate-eval")
@program_options
@click.option("--surrogate", required=True, type=_FILE, help="Surrogate model file (JSON).")
@config_option(
    "Evaluation config (JSON; default: defaults; see `mlc config-schema surrogate-eval`).",
    "--eval-config",
)
@out_option("Evaluation report (JSON);", "--out-report")
@producer("surrogate-eval", configs=("--eval-config",), outs=("--out-report",))
def surrogate_eval(request, surrogate, config, out):
    """Compare a surrogate with the mechanistic model on fresh virtual patients.

    \b
    Examples:
      mlc surrogate-eval --surrogate surrogate.json --out eval.json --log
      mlc surrogate-eval --surrogate surrogate.json --set n_patients=100 --out - | jq .metrics
    """
    from medlang.evidence.surrogates import surrogate_eval as produce

    return produce(request, surrogate, config, out)


@click.command("train-policy-rl")
@program_options
@config_option(
    'Config (JSON) with sections {"env": ..., "train": ...}, each optional; an exported '
    "config works as is (see `mlc config-schema train-policy-rl`).",
)
@click.option("--env-config", "env_config", type=_FILE, hidden=True)
@click.option("--train-config", "train_config", type=_FILE, hidden=True)
@out_option("Policy file (JSON);", "--out-policy")
@click.option("--out-report", type=_OUT, help="Training report (JSON), a second output.")
@producer("train-policy-rl", outs=("--out-policy",))
def train_policy_rl(request, config, env_config, train_config, out, out_report):
    """Learn a dose-selection policy with tabular Q-learning.

    \b
    Examples:
      mlc train-policy-rl --file trial.medlang --out policy.json --log
      mlc train-policy-rl --config rl.json --set train.episodes=500 --seed 4 --out policy.json
    """
    from medlang.evidence.policies import train_policy_rl as produce

    if config is not None:
        if env_config is not None or train_config is not None:
            raise click.UsageError("give --config, or the older --env-config/--train-config")
        env_config = train_config = config
    if out == "-" and out_report == "-":
        raise click.UsageError("--out and --out-report cannot both be stdout")
    return produce(request, env_config, train_config, out, out_report)


@click.command("eval-policy-rl")
@program_options
@config_option(
    'Config (JSON): {"env": ..., "n_episodes": N, "seed": N}; an exported config works '
    "as is (see `mlc config-schema eval-policy-rl`).",
    "--env-config",
)
@click.option("--policy", required=True, type=_FILE, help="Policy file (JSON).")
@click.option(
    "--n-episodes", type=click.IntRange(min=1, max=1_000_000), help="Episodes (default 200)."
)
@out_option("Evaluation report (JSON);", "--out-report")
@producer("eval-policy-rl", configs=("--env-config",), outs=("--out-report",))
def eval_policy_rl(request, config, policy, n_episodes, out):
    """Play a policy greedily on fresh virtual patients.

    \b
    Examples:
      mlc eval-policy-rl --policy policy.json --seed 11 --out eval.json --log
      mlc eval-policy-rl --policy policy.json --n-episodes 50 --out - | jq .metrics
    """
    from medlang.evidence.policies import eval_policy_rl as produce

    return produce(request, config, policy, n_episodes, None, out)
