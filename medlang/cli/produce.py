"""Run-producing commands: evidence runs, surrogate training/evaluation, RL policies.

Each command is thin: it turns options into a ``Request`` and calls a producer in
``medlang.evidence``; bad input is one ``Error: ...`` line and exit 1, with
nothing written and nothing logged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

_FILE = click.Path(dir_okay=False, path_type=Path)
_DIR = click.Path(file_okay=False, path_type=Path)
# Outputs stay text: a trailing "/" (a directory) must reach check_output_path, which
# also reports an existing directory as one line rather than click's usage error.
_OUT = click.Path()


def program_options(command: Callable) -> Callable:
    """Options shared by every producer: which program, logging, quietness."""
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
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def producer(command: Callable) -> Callable:
    """Build the Request, run the producer, report errors and the logged run id."""

    @wraps(command)
    @click.pass_context
    def wrapper(
        ctx: click.Context, evidence_program, file, project, log, no_store, quiet, **options
    ):
        from medlang.evidence.common import Request
        from medlang.evidence.errors import EvidenceError
        from medlang.registry import RegistryError

        request = Request(
            evidence_program=evidence_program,
            file=file,
            project=(project or Path.cwd()).expanduser().resolve(),
            registry_root=ctx.obj.registry_root,
            log=log,
            quiet=quiet,
            store=not no_store,
        )
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
        report(produced, quiet)

    return wrapper


def report(produced, quiet: bool) -> None:
    if not quiet:
        for path in produced.outputs:
            click.echo(f"Wrote {path}")
        click.echo(summary_line(produced.metrics))
    if produced.run_id:
        click.echo(f"Logged run: {produced.run_id}")


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
@click.option("--config", "config", type=_FILE, help="Evidence run config (JSON).")
@click.option("--out", required=True, type=_OUT, help="Result file (JSON).")
@click.option(
    "--allow-extrapolation",
    is_flag=True,
    help="Let the surrogate backend predict patients outside its training domain "
    "(the out-of-domain fraction is reported as a metric).",
)
@producer
def run_evidence(request, backend, config, out, allow_extrapolation):
    """Simulate an evidence program's virtual trial on one backend."""
    from medlang.evidence.trials import run_evidence as produce

    return produce(request, backend, config, out, allow_extrapolation=allow_extrapolation)


@click.command("run-evidence-hybrid")
@program_options
@click.option(
    "--hybrid-config",
    "config",
    required=True,
    type=_FILE,
    help="Hybrid config: surrogate file, strategy, thresholds (JSON).",
)
@click.option("--out", required=True, type=_OUT, help="Result file (JSON).")
@producer
def run_evidence_hybrid(request, config, out):
    """Simulate an evidence program with the hybrid (surrogate + mechanistic) backend."""
    from medlang.evidence.trials import run_evidence as produce

    return produce(request, "hybrid", config, out, command="run-evidence-hybrid")


@click.command("train-surrogate")
@program_options
@click.option("--train-config", type=_FILE, help="Training config (JSON; default: defaults).")
@click.option("--out-model", required=True, type=_OUT, help="Surrogate model file (JSON).")
@producer
def train_surrogate(request, train_config, out_model):
    """Simulate a training set mechanistically and fit a surrogate model."""
    from medlang.evidence.surrogates import train_surrogate as produce

    return produce(request, train_config, out_model)


@click.command("surrogate-eval")
@program_options
@click.option("--surrogate", required=True, type=_FILE, help="Surrogate model file (JSON).")
@click.option("--eval-config", type=_FILE, help="Evaluation config (JSON; default: defaults).")
@click.option("--out-report", required=True, type=_OUT, help="Evaluation report (JSON).")
@producer
def surrogate_eval(request, surrogate, eval_config, out_report):
    """Compare a surrogate with the mechanistic model on fresh virtual patients."""
    from medlang.evidence.surrogates import surrogate_eval as produce

    return produce(request, surrogate, eval_config, out_report)


@click.command("train-policy-rl")
@program_options
@click.option(
    "--env-config", type=_FILE, help="Environment config (JSON; an exported config: both)."
)
@click.option(
    "--train-config", type=_FILE, help="Q-learning config (JSON; an exported config: both)."
)
@click.option("--out-policy", required=True, type=_OUT, help="Policy file (JSON).")
@click.option("--out-report", type=_OUT, help="Training report (JSON).")
@producer
def train_policy_rl(request, env_config, train_config, out_policy, out_report):
    """Learn a dose-selection policy with tabular Q-learning."""
    from medlang.evidence.policies import train_policy_rl as produce

    return produce(request, env_config, train_config, out_policy, out_report)


@click.command("eval-policy-rl")
@program_options
@click.option("--env-config", type=_FILE, help="Environment config (JSON).")
@click.option("--policy", required=True, type=_FILE, help="Policy file (JSON).")
@click.option(
    "--n-episodes", type=click.IntRange(min=1, max=1_000_000), help="Episodes (default 200)."
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the fresh patients.")
@click.option("--out-report", required=True, type=_OUT, help="Evaluation report (JSON).")
@producer
def eval_policy_rl(request, env_config, policy, n_episodes, seed, out_report):
    """Play a policy greedily on fresh virtual patients."""
    from medlang.evidence.policies import eval_policy_rl as produce

    return produce(request, env_config, policy, n_episodes, seed, out_report)
