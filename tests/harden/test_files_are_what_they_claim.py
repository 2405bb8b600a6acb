"""Registry files are what they claim (issue: symlinked and special log files, unsafe
registry directories, MEDLANG_REGISTRY naming a file, raw OSErrors from the API)."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RegistryError
from tests.harden.unprivileged import run_python
from tests.registry.factories import artifact, run


def _mlc(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def _one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture
def root(isolated_registry: Path) -> Path:
    Registry(isolated_registry).log_run(run(1))
    return isolated_registry


@pytest.mark.parametrize("name", ["runs.jsonl", "artifacts.jsonl"])
def test_a_symlinked_log_is_refused_and_its_target_untouched(root, tmp_path, name):
    victim = tmp_path / "victim.txt"
    victim.write_text("someone's precious file\n")
    (root / name).unlink(missing_ok=True)
    (root / name).symlink_to(victim)
    registry = Registry(root)

    with pytest.raises(RegistryError, match=f"{name}: it is a symbolic link"):
        if name == "runs.jsonl":
            registry.log_run(run(2))
        else:
            registry.log_artifact(artifact(2))
    command = ("runs", "list") if name == "runs.jsonl" else ("artifacts", "list")
    assert "it is a symbolic link" in _one_error_line(_mlc(*command))
    assert victim.read_text() == "someone's precious file\n"


def test_a_fifo_log_is_refused_without_blocking(root):
    log = root / "runs.jsonl"
    log.unlink()
    os.mkfifo(log)
    env = {"MEDLANG_REGISTRY": str(root)}

    listed = run_python(["-m", "medlang", "runs", "list"], env)  # would hang forever
    logged = run_python(
        [
            "-c",
            "from medlang.registry import *; from tests.registry.factories import run\n"
            "try:\n    Registry.default().log_run(run(3))\n"
            "except RegistryError as error:\n    print(error)",
        ],
        env,
    )

    assert listed.returncode == 1 and listed.stderr.count("\n") == 1
    assert "runs.jsonl: it is a named pipe, not a file" in listed.stderr
    assert "runs.jsonl: it is a named pipe" in logged.stdout
    assert stat.S_ISFIFO(log.lstat().st_mode)


def test_a_directory_in_place_of_the_log_is_a_registry_error_from_the_api(root):
    log = root / "runs.jsonl"
    log.unlink()
    log.mkdir()
    registry = Registry(root)
    for call in (registry.load_runs, registry.count_runs, lambda: registry.log_run(run(4))):
        with pytest.raises(RegistryError, match="runs.jsonl: it is a directory"):
            call()


def test_an_unreadable_log_is_a_registry_error_from_the_api(root):
    os.chmod(root / "runs.jsonl", 0)
    code = textwrap.dedent(
        """
        from medlang.registry import Registry, RegistryError
        try:
            Registry.default().load_runs()
        except RegistryError as error:
            print("RegistryError:", error)
        """
    )
    result = run_python(["-c", code], {"MEDLANG_REGISTRY": str(root)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("RegistryError: cannot read ")
    assert "runs.jsonl: Permission denied" in result.stdout


def test_medlang_registry_naming_a_regular_file_is_an_error_not_an_empty_registry(tmp_path):
    not_a_dir = tmp_path / "registry.txt"
    not_a_dir.write_text("")
    result = _mlc("runs", "list", env={"MEDLANG_REGISTRY": str(not_a_dir)})
    assert result.exit_code == 2 and "Showing" not in result.stdout
    assert "is not a directory" in result.stderr
    with pytest.raises(RegistryError, match="not a directory"):
        Registry(not_a_dir).count_runs()


def test_a_directory_others_can_write_is_warned_about_and_not_written(root, monkeypatch):
    os.chmod(root, 0o777)
    listed = _mlc("runs", "list")
    assert listed.exit_code == 0 and "Showing 1 of 1 runs" in listed.stdout
    assert listed.stderr.count("warning") == 1 and "is writable by other users" in listed.stderr

    with pytest.raises(RegistryError, match="refusing to write there"):
        Registry(root).log_run(run(5))
    assert Registry(root).count_runs() == 1
    assert not (root / "index.sqlite").exists()  # not even the index is written there

    Registry(root, insecure_ok=True).log_run(run(6))
    monkeypatch.setenv("MEDLANG_REGISTRY_INSECURE_OK", "1")
    Registry(root).log_run(run(7))
    assert Registry(root).count_runs() == 3


def test_mlc_registry_insecure_ok_allows_the_write_for_that_command_only(
    root, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # `mlc run --log` writes results/ here
    os.chmod(root, 0o777)
    program = str(Path(__file__).parents[1] / "science" / "programs" / "small_evidence.medlang")
    log = ("run", program, "--log")

    refused = _mlc(*log)
    allowed = _mlc("--registry-insecure-ok", *log)
    again = _mlc(*log)

    assert "refusing to write there" in refused.stderr and refused.exit_code != 0
    assert allowed.exit_code == 0, allowed.output
    assert again.exit_code != 0
    assert Registry(root, insecure_ok=True).count_runs() == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_a_directory_of_another_user_is_warned_about_and_not_written(root):
    os.chown(root, 65534, 65534)
    listed = _mlc("runs", "list")
    assert listed.exit_code == 0 and "is owned by another user (uid 65534)" in listed.stderr
    with pytest.raises(RegistryError, match="owned by another user.*refusing to write"):
        Registry(root).log_run(run(8))


def _private_group() -> bool:
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid())
    return group.gr_name == user and not set(group.gr_mem) - {user}


@pytest.mark.skipif(not _private_group(), reason="the user's group is shared on this machine")
def test_a_directory_writable_by_the_users_private_group_is_fine(root):
    os.chown(root, os.geteuid(), os.getegid())
    os.chmod(root, 0o775)  # umask 002, the usual with user private groups
    listed = _mlc("runs", "list")
    assert listed.exit_code == 0 and "warning" not in listed.stderr
    Registry(root).log_run(run(9))


def test_a_symlinked_registry_directory_is_followed_deliberately(root, tmp_path):
    """The documented decision: one link to the registry directory, chosen by the user,
    is followed without comment; the checks apply to the directory it leads to."""
    link = tmp_path / "registry-link"
    link.symlink_to(root)
    result = _mlc("--registry", str(link), "runs", "list")
    assert result.exit_code == 0 and "Showing 1 of 1 runs" in result.stdout
    assert "warning" not in result.stderr
    Registry(link).log_run(run(10))
    assert Registry(root).count_runs() == 2
    os.chmod(root, 0o777)  # the target's permissions are what count
    with pytest.raises(RegistryError, match="writable by other users"):
        Registry(link).log_run(run(11))
