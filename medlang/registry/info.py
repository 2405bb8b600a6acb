"""What ``mlc registry info`` reports: path, counts, file sizes, index state."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from medlang.registry.objects import OBJECTS_DIR
from medlang.registry.paths import ANNOTATIONS_FILE, ARTIFACTS_FILE, INDEX_FILE, RUNS_FILE

if TYPE_CHECKING:
    from medlang.registry.store import Registry

FILES = (RUNS_FILE, ARTIFACTS_FILE, ANNOTATIONS_FILE, INDEX_FILE)


def describe(registry: Registry) -> dict[str, Any]:
    if getattr(registry.store, "remote", False):
        return _describe_server(registry)
    root = registry.root
    archive = root.is_file()
    exists = root.exists()
    index_before = _index_state(root) if exists and not archive else "absent"
    hidden = registry.hidden_runs() if exists else {}
    total = registry.count_runs(include_hidden=True) if exists else 0
    archived = sum(1 for reason in hidden.values() if reason == "archived")
    files = {} if archive else {name: _size(root / name) for name in FILES}
    if not archive:
        for suffix in ("-wal", "-shm"):
            if (root / f"{INDEX_FILE}{suffix}").exists():
                files[f"{INDEX_FILE}{suffix}"] = _size(root / f"{INDEX_FILE}{suffix}")
    deleted = sum(1 for reason in hidden.values() if reason == "deleted")
    return {
        "path": str(root),
        "exists": exists,
        "archive": archive,
        "runs": {
            "total": total,
            "visible": registry.count_runs() if exists else 0,
            "deleted": deleted,
            "archived": archived,
        },
        "artifacts": registry.count_artifacts() if exists else 0,
        "server": False,
        "objects": str(root / OBJECTS_DIR) if not archive else None,
        "files": files,
        "index": {"state": index_before},
    }


def _describe_server(registry: Registry) -> dict[str, Any]:
    """A PostgreSQL registry: its URL without secrets, counts, and the schema version."""
    from medlang.registry.object_location import DATABASE, display
    from medlang.registry.postgres_schema import SCHEMA_VERSION

    store = registry.store
    version = store.schema_version()  # type: ignore[attr-defined]
    hidden = registry.hidden_runs() if version else {}
    location = store.objects_location()  # type: ignore[attr-defined]
    return {
        "path": registry.location,
        "exists": True,
        "archive": False,
        "runs": {
            "total": registry.count_runs(include_hidden=True),
            "visible": registry.count_runs(),
            "deleted": sum(1 for reason in hidden.values() if reason == "deleted"),
            "archived": sum(1 for reason in hidden.values() if reason == "archived"),
        },
        "artifacts": registry.count_artifacts(),
        "server": True,
        "objects": "in the database (table objects)" if location == DATABASE else display(location),
        "files": {},
        "index": {"state": f"PostgreSQL schema {version} (this toolchain: {SCHEMA_VERSION})"},
    }


def _size(path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _index_state(root) -> str:
    """How the index stood before this command looked (reading brings it up to date)."""
    path = root / INDEX_FILE
    if not path.exists():
        return "absent (built on the next read)"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return f"unreadable ({error}; rebuilt on the next read)"
    try:
        rows = dict(conn.execute("SELECT tbl, seen FROM meta").fetchall())
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as error:
        return f"unreadable ({error}; rebuilt on the next read)"
    finally:
        conn.close()
    behind = []
    for table, name in (
        ("runs", RUNS_FILE),
        ("artifacts", ARTIFACTS_FILE),
        ("annotations", ANNOTATIONS_FILE),
    ):
        size = _size(root / name) or 0
        if rows.get(table, 0) != size:
            behind.append(f"{name} {abs(size - rows.get(table, 0))} bytes")
    if behind:
        return f"schema {version}, behind: {', '.join(behind)} (caught up on the next read)"
    return f"schema {version}, up to date"
