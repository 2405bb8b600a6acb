"""``mlc run FILE --log [--backend ...]``: run an entry function that returns an
evidence program, simulate the program and log it (run kind from the backend).

The entry function is ``--fn NAME``, else ``main``, else the file's only
zero-argument function returning ``EvidenceProgram``. Its declared return type
must be ``EvidenceProgram``; anything else is a clear error (nothing is run).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from medlang.evidence.common import Request
from medlang.evidence.configs import EvidenceRunConfig, load_config
from medlang.evidence.discovery import RETURN_TYPE, find_program, load_evidence_program
from medlang.evidence.errors import EvidenceError, is_file
from medlang.evidence.trials import choose_backend, run_evidence


def entry_function(file: Path, fn_name: str | None) -> str:
    from medlang.lang.api import MedLangError, list_functions

    try:
        functions = {f.name: f for f in list_functions(file)}
    except MedLangError as error:
        raise EvidenceError(str(error)) from None
    if fn_name is None and "main" not in functions:
        return find_program(None, file, file.parent)[1]
    name = fn_name or "main"
    info = functions.get(name)
    if info is None:
        raise EvidenceError(f"{file}: no function '{name}'")
    if info.params or info.return_type != RETURN_TYPE:
        raise EvidenceError(
            f"{file}: --log needs an entry function returning {RETURN_TYPE} without "
            f"parameters; '{name}' returns {info.return_type}"
        )
    return name


def default_output(function: str, backend: str) -> Path:
    return Path.cwd() / "results" / f"{function}_{backend.lower()}.json"


def run_and_log(
    registry_root: Path | str,
    file: Path,
    fn_name: str | None,
    backend: str | None,
    config: Path | None,
    out: Path | str | None,
    log: bool,
    quiet: bool = False,
    store: bool = True,
    overrides: dict[str, str] | None = None,
    max_steps: int | None = None,
) -> None:
    """The work behind ``mlc run --log``; prints like the producing commands."""
    from medlang.cli.produce import report
    from medlang.registry import Registry, RegistryError

    try:
        if log:
            Registry(registry_root).check_writable()  # before any work
    except RegistryError as error:
        raise click.ClickException(f"run not logged: {error}") from None
    try:
        if not is_file(file):
            raise EvidenceError(f"{file}: no such file")
        function = entry_function(file, fn_name)
        request = Request(
            function,
            file,
            Path.cwd(),
            registry_root,
            log=log,
            quiet=quiet,
            store=store,
            overrides=overrides or {},
        )
        if max_steps is not None:
            request = replace(request, max_steps=max_steps)
        loaded = load_evidence_program(
            function, file, Path.cwd(), registry_root, max_steps=request.max_steps
        )
        if out is None:
            evidence_config = load_config(config, EvidenceRunConfig, "run-evidence")
            out = default_output(function, choose_backend(backend, evidence_config, loaded))
        produced = run_evidence(request, backend, config, out, loaded=loaded)
    except EvidenceError as error:
        raise click.ClickException(str(error)) from None
    except RegistryError as error:  # outputs are written; only logging failed
        raise click.ClickException(f"run not logged: {error}") from None
    report(produced, quiet, to_stderr=str(out) == "-")
