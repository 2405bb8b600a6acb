"""``mlc run`` and ``mlc check``: MedLang programs from the command line.

Both commands print MedLang problems exactly as the language renders them
(``path:line:col: error: ...``, the source line, a caret) on stderr and exit 1;
they never show a Python traceback. The language (and lark) is imported inside
the commands so the rest of ``mlc`` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from medlang.cli.params import NumberRange


@click.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--fn",
    "fn_name",
    metavar="NAME",
    default=None,
    help="Zero-argument function to run (default: main).",
)
@click.option("--log", is_flag=True, help="Simulate the returned evidence program and log it.")
@click.option(
    "--no-store",
    "no_store",
    is_flag=True,
    help="With --log: record paths and sha256 only, copy no file into the registry.",
)
@click.option(
    "--backend",
    type=click.Choice(["mechanistic", "surrogate", "hybrid"], case_sensitive=False),
    help="Evidence backend (default: an exported --config's, else the program's).",
)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Evidence config.")
# --out stays text: a trailing "/" must reach the output check
@click.option("--out", type=click.Path(), help="Evidence result (-: stdout).")
@click.option(
    "--seed", type=click.IntRange(min=0), help="Seed of the virtual population (recorded)."
)
@click.option(
    "--set",
    "settings",
    metavar="KEY=VALUE",
    multiple=True,
    help="Override one evidence config value (see `mlc config-schema run-evidence`).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="With --log: no progress bar and no summary (the `Logged run:` line stays).",
)
@click.option(
    "--timeout",
    type=NumberRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop the program with a runtime error after this long (checked between steps).",
)
@click.option(
    "--max-steps",
    "max_steps",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Stop the program with a runtime error after N steps (a step is a statement, "
    "a loop iteration or a call); default: no limit, 10,000,000 for an evidence program.",
)
@click.pass_obj
def run_command(
    app: Any,
    file: Path,
    fn_name: str | None,
    log: bool,
    no_store: bool,
    backend,
    config,
    out,
    seed: int | None,
    settings: tuple[str, ...],
    quiet: bool,
    timeout: float | None,
    max_steps: int | None,
) -> None:
    """Check FILE, then run its `main` function (or --fn NAME).

    The program's registry functions (med.registry) read the registry given by
    --registry, $MEDLANG_REGISTRY or the default. A function that returns a
    value other than Unit has it printed.

    \b
    Examples:
      mlc run examples/best_surrogate.medlang
      mlc run examples/compare_hybrid_runs.medlang --fn compare_hybrid_runs
    """
    evidence = log or backend or config or out or seed is not None or settings
    if evidence:  # an evidence program: see medlang.evidence.run_entry
        from medlang.cli.produce import evidence_overrides
        from medlang.evidence.run_entry import run_and_log

        overrides = evidence_overrides("run-evidence", settings, seed, out=out, log=log)
        return run_and_log(
            app.registry_root,
            file,
            fn_name,
            backend,
            config,
            out,
            log,
            quiet,
            store=not no_store,
            overrides=overrides,
            max_steps=max_steps,
        )
    try:
        value = run_program(
            file, fn_name, registry_root=app.registry_root, timeout=timeout, max_steps=max_steps
        )
        if value is not None:
            click.echo(display(value, fn_name or "main"))
    except BrokenPipeError:  # `mlc run prog.medlang | head`: the reader has all it wants
        from medlang.cli.main import quiet_stdout

        quiet_stdout()


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check_command(files: tuple[Path, ...]) -> None:
    """Check MedLang FILES (syntax, imports, names, types) without running them.

    Prints every problem found in every file; exits 1 if there is any error.

    \b
    Example:
      mlc check examples/*.medlang
    """
    diagnostics = check_programs(files)
    for diagnostic in diagnostics:
        click.echo(diagnostic.render() + "\n", err=True)
    errors = sum(1 for diagnostic in diagnostics if diagnostic.severity == "error")
    if errors:
        fail(f"{_count(errors, 'error')} in {_count(len(files), 'file')} checked")
    click.echo(f"ok: {_count(len(files), 'file')} checked")


# --- the work behind the commands (kept separate so options can be added) ---


def run_program(
    file: Path,
    fn_name: str | None = None,
    *,
    registry_root: Path | str | None = None,
    timeout: float | None = None,
    max_steps: int | None = None,
) -> Any:
    """Check and run ``fn_name`` (default ``main``) of ``file``; return its value.

    On a static error or a runtime error (including running out of --timeout or
    --max-steps), prints it on stderr and exits 1.
    """
    from medlang.lang.api import MedLangError, MedLangRuntimeError, run_file
    from medlang.lang.interpret import Limits

    _require_file(file)
    limits = Limits(
        max_steps=max_steps,
        timeout=timeout,
        steps_advice="--max-steps",
        time_advice="--timeout",
    )
    try:
        return run_file(
            file, fn_name, registry_root=registry_root, stdout=sys.stdout, limits=limits
        )
    except MedLangError as error:
        fail(str(error))
    except MedLangRuntimeError as error:
        fail(error.render())


def check_programs(files: Sequence[Path]) -> list[Any]:
    """Diagnostics of all ``files``, each reported once even if shared by imports."""
    from medlang.lang.api import check_file

    seen: set[tuple[Any, ...]] = set()
    diagnostics = []
    for file in files:
        for diagnostic in check_file(file):
            key = (diagnostic.path, diagnostic.line, diagnostic.col, diagnostic.message)
            if key not in seen:
                seen.add(key)
                diagnostics.append(diagnostic)
    return diagnostics


def display(value: Any, fn_name: str = "main") -> str:
    """A MedLang value as ``println`` would show it."""
    from medlang.lang.api import show_value
    from medlang.lang.builtins import BuiltinFailure

    try:
        return show_value(value)
    except BuiltinFailure as failure:
        raise click.ClickException(f"cannot show the value {fn_name} returned: {failure}") from None


def fail(message: str) -> NoReturn:
    """Print ``message`` on stderr and exit 1 (MedLang's own text: no ``Error:`` prefix)."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def _require_file(file: Path) -> None:
    try:
        if file.is_file():
            return
        what = "is a directory" if file.is_dir() else "does not exist"
    except OSError as error:  # a name too long to look up ...
        what = error.strerror or str(error)
    raise click.ClickException(f"cannot run {file}: {what}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
