"""``mlc config-schema COMMAND``: the JSON Schema of a producer's ``--config``.

Generated from the pydantic models the producer validates with, so it cannot drift
from what the command accepts.
"""

from __future__ import annotations

import json

import click

from medlang.evidence import PRODUCERS


def _complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [name for name in PRODUCERS if name.startswith(incomplete)]


@click.command("config-schema")
@click.argument("command", metavar="COMMAND", shell_complete=_complete)
def config_schema(command: str) -> None:
    """Print the JSON Schema of COMMAND's --config (keys, types, defaults, bounds).

    Every key may also be set with `--set KEY=VALUE` (dotted into sections, e.g.
    `train.episodes`). A config exported with `mlc runs export-config` holds the same
    keys plus `command` and `inputs`, which are checked when it is read back.

    \b
    Examples:
      mlc config-schema train-surrogate
      mlc config-schema train-policy-rl | jq '.properties.train.properties | keys'
    """
    if command not in PRODUCERS:
        from medlang.suggest import did_you_mean

        hint = did_you_mean(command, PRODUCERS)
        raise click.UsageError(
            f"no producer named {command!r}{hint} (producers: {', '.join(PRODUCERS)})"
        )
    from medlang.evidence.configs import CONFIG_MODELS

    schema = CONFIG_MODELS[command].model_json_schema()
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"mlc {command} --config",
        **{key: value for key, value in schema.items() if key != "title"},
    }
    click.echo(json.dumps(document, indent=2))
