"""Root of the ``mlc`` command.

Subcommands are imported only when invoked: ``mlc runs show`` must start fast,
so it must not pay for the parser (lark) or the simulator (numpy).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from medlang import __version__
from medlang.registry.paths import default_registry_root

# command name -> "module:attribute"; each module owns its commands.
_LAZY_COMMANDS: dict[str, str] = {
    "runs": "medlang.cli.runs:runs",
    "artifacts": "medlang.cli.runs:artifacts",
    "run": "medlang.cli.lang:run_command",
    "check": "medlang.cli.lang:check_command",
    "demo": "medlang.cli.demo:demo",
    "run-evidence": "medlang.cli.produce:run_evidence",
    "run-evidence-hybrid": "medlang.cli.produce:run_evidence_hybrid",
    "train-surrogate": "medlang.cli.produce:train_surrogate",
    "surrogate-eval": "medlang.cli.produce:surrogate_eval",
    "train-policy-rl": "medlang.cli.produce:train_policy_rl",
    "eval-policy-rl": "medlang.cli.produce:eval_policy_rl",
    "ui": "medlang.cli.web:ui",
}


@dataclass(frozen=True)
class App:
    """What every subcommand receives in ``ctx.obj``."""

    registry_root: Path

    def registry(self):  # -> medlang.registry.store.Registry (imported lazily)
        from medlang.registry.store import Registry

        return Registry(self.registry_root)


class LazyGroup(click.Group):
    """A group whose subcommands are imported when invoked (``lazy_commands``:
    name -> "module:attribute"; the root's by default)."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = _LAZY_COMMANDS if lazy_commands is None else lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | self._available())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        target = self.lazy_commands.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                return None  # command not built yet in this checkout
            raise
        return getattr(module, attribute, None)

    def _available(self) -> set[str]:
        names = set()
        for name, target in self.lazy_commands.items():
            module_name = target.split(":")[0]
            if importlib.util.find_spec(module_name) is not None:
                names.add(name)
        return names


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--registry",
    "registry_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Registry directory (default: $MEDLANG_REGISTRY or ~/.medlang/registry).",
)
@click.version_option(version=__version__, prog_name="mlc")
@click.pass_context
def cli(ctx: click.Context, registry_root: Path | None) -> None:
    """MedLang toolchain: run MedLang programs, produce runs, query the run registry."""
    ctx.obj = App(registry_root=(registry_root or default_registry_root()).expanduser())


def main(argv: list[str] | None = None) -> None:
    """Console entry point; turns any unexpected failure into one readable line."""
    try:
        cli.main(args=argv, prog_name="mlc", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("Error: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug of ours: still one line, never a traceback
        if os.environ.get("MEDLANG_DEBUG"):
            raise
        click.echo(
            f"Error: internal error: {type(error).__name__}: {error} "
            "(set MEDLANG_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(70)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again.

    For a command whose reader left (``mlc runs list | head``) before exiting 0.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
