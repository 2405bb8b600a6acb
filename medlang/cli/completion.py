"""Shell completion (click's) of the names a registry holds: query fields.

Kinds, run and artifact ids, and ``--set`` keys complete where their options are
defined; this module completes the fields of ``--where``, ``--order-by`` and
``--columns`` from the registry in use. Completion never fails loudly: any problem
completes nothing.
"""

from __future__ import annotations

import re

import click


def complete_field(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """For ``mlc runs list`` and ``mlc artifacts list``: the group names the table."""
    group = ctx.parent.info_name if ctx.parent is not None else "runs"
    return _complete_field(ctx, "artifacts" if group == "artifacts" else "runs", incomplete)


def _complete_field(ctx: click.Context, table_name: str, incomplete: str) -> list[str]:
    """The fields starting with the last word typed (after a comma, a space or a
    parenthesis), with what comes before it kept."""
    try:
        from medlang.registry.paths import default_registry_root
        from medlang.registry.storage import Table
        from medlang.registry.store import Registry

        root = ctx.find_root()
        named = getattr(root.obj, "registry_root", None) or root.params.get("registry_root")
        registry = Registry.open(named or default_registry_root())  # a directory or a URL
        if not registry.exists():
            return []
        names = registry.store.query_catalog(Table(table_name)).known_names()
    except Exception:  # completion must never print a traceback into the shell
        return []
    head, word = re.match(r"(.*?)([\w.]*)$", incomplete, re.S).groups()
    return [head + name for name in names if name.startswith(word)]
