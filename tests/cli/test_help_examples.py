"""Every command's --help ends with at least one example (and never a traceback)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from medlang.cli.main import cli


def _commands(group: click.Group, path: list[str]) -> list[list[str]]:
    found = []
    ctx = click.Context(group, info_name=path[-1] if path else "mlc")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        found.append([*path, name])
        if isinstance(command, click.Group):
            found += _commands(command, [*path, name])
    return found


def test_every_command_has_an_example_in_its_help():
    commands = [[]] + _commands(cli, [])
    assert len(commands) > 25
    missing = []
    for words in commands:
        result = CliRunner().invoke(cli, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)
        if "Example" not in result.stdout:
            missing.append(" ".join(words) or "mlc")
    assert missing == []
