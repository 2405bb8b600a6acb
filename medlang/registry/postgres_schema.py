"""The PostgreSQL registry's schema, versioned: created and upgraded only by
``mlc registry migrate``, never silently by a command that merely reads or logs.

Each record is kept twice: ``line``, the exact JSON text that was logged (so
``mlc runs show`` prints the logged bytes), and ``doc``, the same as jsonb (for
ad-hoc SQL by the team). The query tables (``{t}_cols``, ``{t}_keys``,
``{t}_values``, ``run_tags``, ``run_hidden``) have the shape
``medlang.query.sql`` translates ``--where`` to, for SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from medlang.registry import facts
from medlang.registry.storage import Table

# Bump with a new entry in MIGRATIONS; a database newer than this is refused.
SCHEMA_VERSION = 2
VERSION_TABLE = "medlang_schema"
SETTINGS_TABLE = "medlang_settings"

_COLUMN_TYPES = {"text": "text", "time": "bigint", "number": "double precision", "bool": "integer"}


def _record_table(table: Table, extra: str = "") -> str:
    columns = ", ".join(
        f"{name} {_COLUMN_TYPES[kind]}" for name, kind in facts.COLUMNS[table].items()
    )
    return f"""
CREATE TABLE {table} (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    kind text NOT NULL,
    t bigint NOT NULL,{extra}
    line text NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX {table}_kind_t ON {table} (kind, t);
CREATE INDEX {table}_t ON {table} (t, seq);
CREATE INDEX {table}_id_c ON {table} (id COLLATE "C");
CREATE TABLE {table}_cols (seq bigint PRIMARY KEY REFERENCES {table}, {columns});
CREATE TABLE {table}_keys (
    kid serial PRIMARY KEY, key text NOT NULL UNIQUE, types integer NOT NULL
);
CREATE TABLE {table}_values (
    kid integer NOT NULL, seq bigint NOT NULL, num double precision, txt text,
    PRIMARY KEY (kid, seq)
);
CREATE INDEX {table}_values_num ON {table}_values (kid, num) WHERE num IS NOT NULL;
CREATE INDEX {table}_values_txt ON {table}_values (kid, txt COLLATE "C") WHERE txt IS NOT NULL;
"""


_VERSION_1 = (
    f"CREATE TABLE {VERSION_TABLE} (version integer NOT NULL);"
    + _record_table(Table.RUNS)
    + _record_table(Table.ARTIFACTS, "\n    sha256 text,")
    + """
CREATE INDEX artifacts_sha256 ON artifacts (sha256);
CREATE TABLE run_artifacts (run_id text NOT NULL, artifact_id text NOT NULL);
CREATE INDEX run_artifacts_artifact ON run_artifacts (artifact_id);
CREATE TABLE run_inputs (run_id text NOT NULL, role text NOT NULL, sha256 text NOT NULL);
CREATE INDEX run_inputs_sha256 ON run_inputs (sha256);
CREATE TABLE annotations (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    run_id text NOT NULL,
    line text NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX annotations_run ON annotations (run_id, seq);
CREATE TABLE run_tags (
    run_id text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (run_id, key)
);
CREATE TABLE run_hidden (run_id text PRIMARY KEY, reason text NOT NULL);
CREATE TABLE objects (sha256 text PRIMARY KEY, size bigint NOT NULL, data bytea NOT NULL);
"""
)

# 2: the registry's settings (where its objects live: medlang.registry.object_location),
# and when each object in the database was last stored (``mlc gc``'s grace period).
# The 'objects' row always exists, so a writer can lock it while a run commits.
_VERSION_2 = f"""
CREATE TABLE {SETTINGS_TABLE} (name text PRIMARY KEY, value text NOT NULL);
INSERT INTO {SETTINGS_TABLE} VALUES ('objects', 'database');
ALTER TABLE objects ADD COLUMN stored_at timestamptz NOT NULL DEFAULT now();
"""

# version reached -> the SQL that reaches it from the one before
MIGRATIONS: dict[int, str] = {1: _VERSION_1, 2: _VERSION_2}
