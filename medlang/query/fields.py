"""The fields a query can name, where each is stored and what type it holds.

A field is one of:
- ``id``, ``kind`` and the table's time (``started_at`` / ``created_at``): the
  index's main table;
- a column of ``medlang.registry.facts.COLUMNS`` (``status``, ``finished_at`` ...);
- a keyed value under a namespace (``metrics.rmse``, ``config.a.b``, ``env.python``,
  ``metadata.n``), typed by what the registry holds under that key;
- ``tags.NAME`` (runs only): the run's tags, text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from medlang.registry import facts
from medlang.registry.storage import Table

# How a field is stored: decides the SQL and the in-memory lookup.
ID, KIND, TIME, COLUMN, KEYED, TAG = "id", "kind", "time", "column", "keyed", "tag"


@dataclass(frozen=True, slots=True)
class FieldRef:
    name: str  # as the user spells it: "metrics.rmse"
    source: str  # ID, KIND, TIME, COLUMN, KEYED or TAG
    type: str  # "text", "number", "bool", "time", "kind" or "any" (keyed: see types)
    key: str | None = None  # the column name, the keyed path or the tag name
    types: int = 0  # keyed: the facts type bits seen in the registry (0: unknown)


@dataclass(frozen=True)
class Catalog:
    """The fields of one table. ``keys``/``tags`` are what the registry holds (for
    did-you-mean and type checks); ``None`` means unknown: any key is accepted."""

    table: Table
    keys: Mapping[str, int] | None = None
    tags: frozenset[str] | None = None

    @property
    def time_field(self) -> str:
        return self.table.time_field

    def fixed_fields(self) -> dict[str, FieldRef]:
        fields = {
            "id": FieldRef("id", ID, "text"),
            "kind": FieldRef("kind", KIND, "kind"),
            self.time_field: FieldRef(self.time_field, TIME, "time"),
        }
        for name, kind in facts.COLUMNS[self.table].items():
            fields[name] = FieldRef(name, COLUMN, kind, key=name)
        return fields

    @property
    def namespaces(self) -> tuple[str, ...]:
        extra = ("tags",) if self.table is Table.RUNS else ()
        return facts.NAMESPACES[self.table] + extra

    def known_names(self) -> list[str]:
        """Every field name a user could mean, for did-you-mean."""
        names = list(self.fixed_fields())
        names += [key for key, bits in (self.keys or {}).items()]
        names += [f"tags.{tag}" for tag in sorted(self.tags or ())]
        return names
