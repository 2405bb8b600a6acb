"""Root of the ``mlc`` command.

Subcommands are imported only when invoked: ``mlc runs show`` must start fast,
so it must not pay for the parser (lark) or the simulator (numpy).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from medlang import __version__
from medlang.registry.paths import default_registry_root
from medlang.registry.safe_files import set_insecure_ok

# command name -> "module:attribute"; each module owns its commands.
_LAZY_COMMANDS: dict[str, str] = {
    "runs": "medlang.cli.runs:runs",
    "artifacts": "medlang.cli.runs:artifacts",
    "run": "medlang.cli.lang:run_command",
    "check": "medlang.cli.lang:check_command",
    "demo": "medlang.cli.demo:demo",
    "gc": "medlang.cli.replay:gc",
    "run-evidence": "medlang.cli.produce:run_evidence",
    "run-evidence-hybrid": "medlang.cli.produce:run_evidence_hybrid",
    "train-surrogate": "medlang.cli.produce:train_surrogate",
    "surrogate-eval": "medlang.cli.produce:surrogate_eval",
    "train-policy-rl": "medlang.cli.produce:train_policy_rl",
    "eval-policy-rl": "medlang.cli.produce:eval_policy_rl",
    "ui": "medlang.cli.web:ui",
    "report": "medlang.cli.web:report",
    "config-schema": "medlang.cli.schema:config_schema",
    "registry": "medlang.cli.registry:registry",
}


@dataclass(frozen=True)
class App:
    """What every subcommand receives in ``ctx.obj``."""

    registry_root: Path | str  # a directory or archive, or a postgresql:// URL

    def registry(self):  # -> medlang.registry.store.Registry (imported lazily)
        from medlang.registry.store import Registry

        return Registry.open(self.registry_root)  # a directory, or an archive (read-only)


class LazyGroup(click.Group):
    """A group whose commands are imported only when invoked (``lazy_commands``:
    name -> "module:attribute"); unknown names get a did-you-mean."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = _LAZY_COMMANDS if lazy_commands is None else lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | self._available())

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = click.utils.make_str(args[0]) if args else ""
        if args and self.get_command(ctx, name) is None and not name.startswith("-"):
            from medlang.suggest import closest

            match = closest(name, self.list_commands(ctx))
            hint = f" Did you mean {match!r}?" if match else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

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
    metavar="DIR",
    default=None,
    help="Registry directory, or an archive file to read (default: $MEDLANG_REGISTRY "
    "or ~/.medlang/registry).",
)
@click.option(
    "--registry-insecure-ok",
    "insecure_ok",
    is_flag=True,
    help="Write even into a registry directory other users can change "
    "(also $MEDLANG_REGISTRY_INSECURE_OK=1).",
)
@click.version_option(version=__version__, prog_name="mlc")
@click.pass_context
def cli(ctx: click.Context, registry_root: str | None, insecure_ok: bool) -> None:
    """MedLang toolchain: run MedLang programs, produce runs, query the run registry.

    \b
    Examples:
      mlc demo                                   # a few seconds, in a registry of its own
      mlc runs list -n 5
      mlc --registry ./reg runs show 6a14c8a2
      mlc run-evidence --file trial.medlang --out result.json --seed 7 --log

    Shell completion (bash; zsh and fish alike, see the README):
      eval "$(_MLC_COMPLETE=bash_source mlc)"
    """
    ctx.obj = App(registry_root=_registry_root(registry_root))
    if insecure_ok:  # for every registry this command opens, until it ends
        previous = set_insecure_ok(True)
        ctx.call_on_close(lambda: set_insecure_ok(previous))


def _registry_root(option: str | None) -> Path | str:
    """The registry the user means; an empty name, or a path that is neither a
    directory nor an archive file, is an error naming where it came from. A
    ``postgresql://`` URL names a team registry on a server (kept as text)."""
    from medlang.registry.paths import ENV_VARIABLE

    if option is not None:
        source, text = "--registry", option
    else:
        source, text = f"${ENV_VARIABLE}", os.environ.get(ENV_VARIABLE)
        if text is None:
            return default_registry_root()
    return registry_location(text, source, from_environment=option is None)


def registry_location(text: str, source: str, *, from_environment: bool = False) -> Path | str:
    """A registry named on the command line (``source`` says where, for messages): a
    directory or archive path, or a ``postgresql://`` URL without a password."""
    from medlang.registry.paths import ENV_VARIABLE, is_archive_file
    from medlang.registry.pg_url import display, is_postgres_url, password_in

    if not text.strip():
        raise click.UsageError(
            f"{source} is empty; name a registry directory"
            + (f" (or unset {ENV_VARIABLE} for ~/.medlang/registry)" if from_environment else "")
        )
    if is_postgres_url(text):
        try:
            has_password = password_in(text)
        except ValueError as error:  # e.g. an unclosed '[' of an IPv6 host
            # not echoed: what cannot be parsed cannot be stripped of a password either
            raise click.UsageError(
                f"{source} is not a readable PostgreSQL URL ({error}); "
                "the form is postgresql://user@host:port/dbname"
            ) from None
        if has_password:
            raise click.UsageError(
                f"{source} {display(text)}: a password in the URL is refused (it would show "
                "in process lists and shell history); use PGPASSWORD, ~/.pgpass or a libpq "
                "service file"
            )
        return text
    root = Path(text).expanduser()
    try:
        usable = not root.exists() or root.is_dir() or is_archive_file(root)
    except OSError as error:
        raise click.UsageError(f"{source} {root}: {error.strerror or error}") from None
    if not usable:
        raise click.UsageError(f"{source} {root} is not a directory (nor a registry archive)")
    return root


def main(argv: list[str] | None = None) -> None:
    """Console entry point; turns any unexpected failure into one readable line."""
    from medlang import interrupts

    try:
        interrupts.install()  # inside the try: a Ctrl-C this early is still exit 130
        # not standalone: click would turn Ctrl-C into "Aborted!" and exit 1
        code = cli.main(args=argv, prog_name="mlc", standalone_mode=False)
    except (KeyboardInterrupt, click.Abort):
        interrupted()
    except click.ClickException as error:
        if interrupts.received():  # a library wrapped the KeyboardInterrupt
            interrupted()
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:  # a bug of ours: still one line, never a traceback
        if interrupts.received():
            interrupted()
        if os.environ.get("MEDLANG_DEBUG"):
            raise
        click.echo(
            f"Error: internal error: {type(error).__name__}: {error} "
            "(set MEDLANG_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


def interrupted() -> None:
    """Ctrl-C: one line and exit 130 (128 + SIGINT), as shells expect; a second
    Ctrl-C while saying so changes nothing."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, ValueError):
        click.echo("Error: interrupted", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
    # os._exit, not sys.exit: every `finally` has run by now, and an interpreter that
    # saw the KeyboardInterrupt may otherwise kill itself with SIGINT on the way out
    # (exit status -2 instead of 130). Worker threads (MedLang's big stack) end here.
    os._exit(130)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again.

    For a command whose reader left (``mlc runs list | head``) before exiting 0.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
