"""``mlc demo``: the whole MedLang loop on the shipped oncology example, in a scratch directory.

It drives the real ``mlc`` commands (nothing is faked): train and qualify a
surrogate, run the trial on the hybrid backend with ``--log`` and, for comparison,
on the mechanistic one, list and show the hybrid run, export its config and
reproduce it byte for byte, show the hybrid run's lineage (the surrogate's
training and evaluation runs), then analyse the registry with MedLang programs. The
scratch directory holds its own registry, so the demo never touches the user's;
it is kept so the runs can be explored afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from medlang.resources import examples_dir


@click.command("demo")
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to put the demo's files and registry (default: a new temporary directory).",
)
def demo(work_dir: Path | None) -> None:
    """Run a short tour: surrogate, hybrid trial, registry, reproduction, MedLang analysis.

    \b
    Examples:
      mlc demo                      # in a new temporary directory, its own registry
      mlc demo --dir ./tour         # keep the files to look at afterwards
    """
    work_dir = _prepare(work_dir)
    registry = work_dir / "registry"
    project = work_dir / "oncology"

    def mlc(*args: str) -> None:
        click.secho(f"\n$ mlc {' '.join(args)}", bold=True)
        from medlang.cli.main import cli

        try:
            cli.main(["--registry", str(registry), *args], prog_name="mlc", standalone_mode=False)
        except click.ClickException as error:
            raise click.ClickException(
                f"demo step 'mlc {args[0]}' failed: {error.message}"
            ) from None

    program = ["--evidence-program", "OncologyEvidence", "--project", str(project)]
    click.echo(f"MedLang demo in {work_dir} (registry: {registry})")
    mlc(
        "train-surrogate",
        *program,
        "--train-config",
        f"{project}/train_surrogate.json",
        "--out-model",
        f"{project}/surrogate.json",
        "--log",
        "--quiet",
    )
    mlc(
        "surrogate-eval",
        *program,
        "--surrogate",
        f"{project}/surrogate.json",
        "--eval-config",
        f"{project}/eval_surrogate.json",
        "--out-report",
        f"{project}/out/surrogate_eval.json",
        "--log",
    )
    mlc(
        "run-evidence-hybrid",
        *program,
        "--hybrid-config",
        f"{project}/hybrid_config.json",
        "--out",
        f"{project}/out/results.json",
        "--log",
    )
    mlc(
        "run-evidence",
        *program,
        "--backend",
        "mechanistic",
        "--out",
        f"{project}/out/results_mechanistic.json",
        "--log",
    )
    mlc("runs", "list")

    run_id = _latest_run_id(registry, "EvidenceHybrid")
    mlc("runs", "show", run_id[:8])
    mlc("runs", "export-config", "--id", run_id, "--out", f"{project}/out/original_config.json")
    mlc(
        "run-evidence-hybrid",
        *program,
        "--hybrid-config",
        f"{project}/out/original_config.json",
        "--out",
        f"{project}/out/results_reproduced.json",
        "--log",
    )
    _compare(project / "out" / "results.json", project / "out" / "results_reproduced.json")

    mlc("runs", "lineage", run_id[:8])
    mlc("runs", "replay", run_id[:8])  # from the registry's copies alone: certified identical
    mlc("run", str(work_dir / "best_surrogate.medlang"))
    mlc("run", str(work_dir / "compare_hybrid_runs.medlang"))
    mlc("run", str(work_dir / "trace_lineage.medlang"))
    click.echo(f"\nDone. Explore the runs with: mlc --registry {registry} runs list -v")


def _prepare(work_dir: Path | None) -> Path:
    if work_dir is None:
        work_dir = Path(tempfile.mkdtemp(prefix="medlang-demo-"))
    work_dir = work_dir.expanduser().resolve()
    if work_dir.exists() and any(work_dir.iterdir()):
        raise click.ClickException(f"--dir {work_dir} is not empty; give a new or empty directory")
    source = examples_dir()
    try:
        shutil.copytree(source / "oncology", work_dir / "oncology", dirs_exist_ok=True)
        for program in source.glob("*.medlang"):
            shutil.copy2(program, work_dir / program.name)
    except OSError as error:  # --dir under a file, on a read-only disk ...
        reason = error.strerror or str(error)
        raise click.ClickException(f"cannot prepare --dir {work_dir}: {reason}") from None
    return work_dir


def _latest_run_id(registry: Path, kind: str) -> str:
    from medlang.registry import Registry

    return Registry(registry).find_runs_by_kind(kind)[-1].id


def _compare(original: Path, reproduced: Path) -> None:
    same = original.read_bytes() == reproduced.read_bytes()
    verdict = "identical" if same else "DIFFERENT"
    click.secho(f"\nReproduced result vs original: {verdict}", fg="green" if same else "red")
    if not same:
        raise click.ClickException("the reproduced run's result differs from the original")
