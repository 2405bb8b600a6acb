"""``Registry``: the run & artifact registry's front door.

Typed methods (``find_run``, ``load_runs`` ...) return pydantic records. The
``*_json`` methods return the stored JSON objects as they are and never import
pydantic: ``mlc runs`` uses them to answer in well under 100 ms.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from medlang.registry.errors import InvalidIdError, RegistryError
from medlang.registry.ids import normalize_prefix, parse_uuid4
from medlang.registry.inputs import normal_sha256
from medlang.registry.kinds import ArtifactKind, RunKind
from medlang.registry.paths import default_registry_root
from medlang.registry.storage import JsonObject, Order, RecordStore, RunAnnotations, Table

if TYPE_CHECKING:
    from medlang.registry.model import ArtifactRecord, RunRecord

_MAX_CANDIDATES = 10


class Registry:
    """A registry rooted at a directory; nothing is created there until the first write."""

    def __init__(
        self,
        root: Path | str,
        *,
        store: RecordStore | None = None,
        max_object_bytes: int | None = None,
        insecure_ok: bool | None = None,
    ) -> None:
        """``insecure_ok``: write even into a registry directory other users can change
        (default: ``$MEDLANG_REGISTRY_INSECURE_OK`` or ``mlc --registry-insecure-ok``).

        ``root`` may be a ``postgresql://user@host/db`` URL: a team registry on a
        PostgreSQL server (``medlang.registry.postgres_store``). ``root`` then stays
        that URL as text (without any secret), never a ``Path``: there is no registry
        directory, and ``Registry(registry.root)`` opens the same server again."""
        from medlang.registry.pg_url import display, is_postgres_url

        if is_postgres_url(root) and store is None:
            from medlang.registry.postgres_store import PostgresStore

            store = PostgresStore(str(root))
        self.root: Path | str
        if is_postgres_url(root):
            self.root = self.location = display(str(root))
        else:
            self.root = Path(root).expanduser().absolute()
            self.location = str(self.root)
        if store is None:
            from medlang.registry.jsonl_store import JsonlStore

            store = JsonlStore(self.root, insecure_ok=insecure_ok)
        self.store = store
        self._max_object_bytes = max_object_bytes

    @classmethod
    def open(cls, root: Path | str) -> Registry:
        """The registry at ``root``: a directory, or an archive file (read-only)."""
        from medlang.registry.paths import is_archive_file
        from medlang.registry.pg_url import is_postgres_url

        if is_postgres_url(root):
            return cls(root)
        path = Path(root).expanduser()
        if is_archive_file(path):
            from medlang.registry.archive import ArchiveStore

            return cls(path, store=ArchiveStore(path))
        return cls(path)

    @classmethod
    def default(cls) -> Registry:
        """The registry at ``$MEDLANG_REGISTRY``, else ``~/.medlang/registry``."""
        return cls(default_registry_root())

    @property
    def directory(self) -> Path | None:
        """The registry's directory (or archive file); ``None`` for one on a server."""
        return None if isinstance(self.root, str) else self.root

    def exists(self) -> bool:
        """Whether there is a registry to read: a server's always is (it says if it is
        not migrated); a directory's once something was written."""
        return self.directory is None or self.directory.exists()

    def __repr__(self) -> str:
        return f"Registry({self.location!r})"

    @property
    def address(self) -> Path | str:
        """What opens this registry again (a replay logs into it): its directory, or
        its server's URL (which holds no password: one is refused there)."""
        return getattr(self.store, "url", None) or self.root

    # --- writing -------------------------------------------------------------

    def log_run(self, record: RunRecord) -> str:
        """Append a run; it is on stable storage when this returns. Returns its id."""
        return self._log(Table.RUNS, record, "RunRecord")

    def log_artifact(self, record: ArtifactRecord) -> str:
        """Append an artifact (log it before the run that references it). Returns its id."""
        return self._log(Table.ARTIFACTS, record, "ArtifactRecord")

    def _log(self, table: Table, record: object, expected: str) -> str:
        from medlang.registry import codec
        from medlang.registry.redact import redact_record

        model = codec.model_for(table)
        if not isinstance(record, model):
            raise TypeError(f"expected a {expected}, got {type(record).__name__}")
        # Secrets are hidden here, where every record passes: no caller can skip it.
        self.store.append(table, codec.encode(redact_record(record)))
        return record.id

    def check_writable(self) -> None:
        """``RegistryError`` now if runs could not be logged here (a read-only
        directory or log, a file where the directory should be): producers call this
        before any work, so a doomed run fails in milliseconds. The store is asked
        first (e.g. an unsafe directory the JSONL store refuses to write)."""
        from medlang.registry.logfile import make_private_dir
        from medlang.registry.paths import ARTIFACTS_FILE, RUNS_FILE
        from medlang.registry.safe_files import open_registry_file

        check = getattr(self.store, "check_writable", None)
        if check is not None:  # the backend's own checks (an unsafe directory ...)
            check()
        if not hasattr(self.store, "logs"):
            return  # not a JSONL registry: nothing on disk to check here
        try:
            make_private_dir(self.root)
            if not self.root.is_dir():
                raise NotADirectoryError(20, "not a directory", str(self.root))
            for name in (RUNS_FILE, ARTIFACTS_FILE):
                path = self.root / name
                if os.path.lexists(path):  # never through a link, never blocking on a FIFO
                    os.close(open_registry_file(path, os.O_WRONLY | os.O_APPEND))
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise PermissionError(13, "permission denied", str(self.root))
        except OSError as error:
            where = error.filename or self.root
            raise RegistryError(
                f"registry {self.root} is not writable ({where}: {error.strerror or error}); "
                "nothing was run"
            ) from None

    # --- the object store ----------------------------------------------------

    def store_file(self, path: Path | str | os.PathLike[str]) -> str:
        """Copy a file's bytes into the object store; returns their sha256.

        Durable when this returns; storing the same bytes again adds nothing. Files
        larger than the limit (``$MEDLANG_MAX_OBJECT_BYTES``, default 2 GiB) are
        refused with a ``RegistryError`` that says how to proceed.
        """
        return self.store_file_counted(path).sha256

    def store_file_counted(self, path: Path | str | os.PathLike[str]):  # -> StoredObject
        """Like ``store_file``, also saying the size and whether the bytes were new."""
        from medlang.registry.objects import max_object_bytes

        limit = self._max_object_bytes
        return self.store.store_object(Path(path), max_object_bytes() if limit is None else limit)

    def open_object(self, sha256: str) -> BinaryIO:
        """The stored bytes with this sha256, opened for reading (close it)."""
        from medlang.registry.objects import require_sha256

        return self.store.open_object(require_sha256(sha256))

    def has_object(self, sha256: str) -> bool:
        from medlang.registry.objects import is_sha256

        return is_sha256(sha256) and self.store.has_object(sha256)

    # --- annotations: tags, notes, delete/restore ------------------------------

    def tag_run(
        self, run_id: str, tags: dict[str, str], remove: list[str] | tuple[str, ...] = ()
    ) -> None:
        """Set ``tags`` on a run after removing the keys in ``remove`` (one durable line)."""
        self._annotate(run_id, "tag", tags=dict(tags), remove=list(remove))

    def note_run(self, run_id: str, text: str) -> None:
        """Append a free-text note to a run."""
        self._annotate(run_id, "note", text=text)

    def delete_run(self, run_id: str) -> None:
        """Hide a run from default views (a tombstone: ``restore_run`` undoes it)."""
        self._annotate(run_id, "delete")

    def restore_run(self, run_id: str) -> None:
        self._annotate(run_id, "restore")

    def mark_archived(self, run_id: str, archive: Path) -> None:
        """Hide a run copied into ``archive`` (see ``archive.archive_runs``)."""
        self._annotate(run_id, "archive", archive=str(archive))

    def mark_unarchived(self, run_id: str) -> None:
        self._annotate(run_id, "unarchive")

    def _annotate(self, run_id: str, op: str, **fields: object) -> None:
        from medlang.registry import codec
        from medlang.registry.ids import new_id
        from medlang.registry.model import AnnotationRecord
        from medlang.registry.redact import redact_record
        from medlang.registry.timestamps import utc_now

        run_id = parse_uuid4(run_id, "run id")
        if self.run_json(run_id) is None:
            raise RegistryError(f"no run with id {run_id!r} in {self.location}")
        record = AnnotationRecord(id=new_id(), run_id=run_id, at=utc_now(), op=op, **fields)
        self.store.annotate(codec.encode(redact_record(record)))

    def annotations_json(self, run_ids: list[str]) -> dict[str, RunAnnotations]:
        """Each run's folded tags, notes and hidden mark (a run without any: empty)."""
        found = self.store.annotations(list(run_ids))
        folded = {run_id: found.get(run_id) or RunAnnotations.empty() for run_id in run_ids}
        for state in folded.values():  # one order whatever the backend: by key
            state.tags = dict(sorted(state.tags.items()))
        return folded

    def get_tags(self, run_id: str) -> dict[str, str]:
        return self.annotations_json([parse_uuid4(run_id, "run id")])[run_id].tags

    def hidden_runs(self, kind: RunKind | str | None = None) -> dict[str, str]:
        """Deleted or archived runs: run id -> ``"deleted"`` or ``"archived"``."""
        return self.store.hidden(_kind_name(RunKind, kind))

    # --- typed reads ---------------------------------------------------------

    def load_runs(self) -> list[RunRecord]:
        """Every valid run in log order, hidden ones included (bad lines are skipped
        with a warning)."""
        return self._records(Table.RUNS, self.store.select(Table.RUNS))

    def load_artifacts(self) -> list[ArtifactRecord]:
        return self._records(Table.ARTIFACTS, self.store.select(Table.ARTIFACTS))

    def find_run(self, run_id: str) -> RunRecord | None:
        """The run with this full id; a malformed id raises ``InvalidIdError``."""
        found = self.run_json(parse_uuid4(run_id, "run id"))
        return self._records(Table.RUNS, [found])[0] if found else None

    def find_artifact(self, artifact_id: str) -> ArtifactRecord | None:
        found = self.artifact_json(parse_uuid4(artifact_id, "artifact id"))
        return self._records(Table.ARTIFACTS, [found])[0] if found else None

    def find_runs_by_kind(self, kind: RunKind | str) -> list[RunRecord]:
        """Runs of one kind in log order; an unknown kind raises ``UnknownKindError``."""
        return self._records(Table.RUNS, self.runs_json(kind=kind))

    def find_artifacts_by_kind(self, kind: ArtifactKind | str) -> list[ArtifactRecord]:
        return self._records(Table.ARTIFACTS, self.artifacts_json(kind=kind))

    def recent_runs(self, n: int) -> list[RunRecord]:
        """The ``n`` newest runs by ``started_at``, newest first, ties in log order."""
        return self._records(Table.RUNS, self.runs_json(order=Order.NEWEST, limit=n))

    def runs_by_start(self, kind: RunKind | str | None = None) -> list[RunRecord]:
        """All runs (of one kind, if given), oldest ``started_at`` first, ties in log order."""
        return self._records(Table.RUNS, self.runs_json(kind=kind, order=Order.OLDEST))

    def runs_with_artifact(self, artifact_id: str) -> list[RunRecord]:
        """The runs that reference this artifact (normally the one that produced it)."""
        return self._records(Table.RUNS, self.runs_with_artifact_json(artifact_id))

    def count_runs(self, kind: RunKind | str | None = None, include_hidden: bool = False) -> int:
        """How many runs (of one kind); deleted and archived ones only if ``include_hidden``."""
        return self.store.count(
            Table.RUNS, _kind_name(RunKind, kind), visible_only=not include_hidden
        )

    def count_artifacts(self, kind: ArtifactKind | str | None = None) -> int:
        """Committed artifacts (of one kind, if given)."""
        return len(self.artifacts_json(kind))

    # --- ids -----------------------------------------------------------------

    def resolve_run_id(self, prefix: str) -> str:
        """The full id of the one run whose id starts with ``prefix`` (>= 4 characters)."""
        return self._resolve(Table.RUNS, prefix)

    def resolve_artifact_id(self, prefix: str) -> str:
        return self._resolve(Table.ARTIFACTS, prefix)

    def _resolve(self, table: Table, prefix: str) -> str:
        what = "run" if table is Table.RUNS else "artifact"
        try:  # a whole id in any spelling uuid accepts (no hyphens, braces, urn:uuid:)
            cleaned = parse_uuid4(prefix, f"{what} id")
        except InvalidIdError:
            cleaned = normalize_prefix(prefix, f"{what} id")
        matches = self.store.ids_with_prefix(table, cleaned, _MAX_CANDIDATES + 1)
        if table is Table.ARTIFACTS:
            matches = [m for m in matches if self.artifact_json(m) is not None]
        if not matches:
            raise RegistryError(f"no {what} with id {prefix!r} in {self.location}")
        if len(matches) > 1:
            shown = ", ".join(matches[:_MAX_CANDIDATES])
            more = " ..." if len(matches) > _MAX_CANDIDATES else ""
            raise RegistryError(f"{what} id prefix {prefix!r} is ambiguous: {shown}{more}")
        return matches[0]

    # --- stored JSON (no pydantic) -------------------------------------------

    def run_json(self, run_id: str) -> JsonObject | None:
        """The stored run with this exact lowercase id."""
        return self.store.get(Table.RUNS, run_id)

    def artifact_json(self, artifact_id: str) -> JsonObject | None:
        """The stored artifact with this exact lowercase id, if it is committed."""
        found = self.store.get(Table.ARTIFACTS, artifact_id)
        return found if found is not None and self.is_committed(found) else None

    def is_committed(self, artifact: JsonObject) -> bool:
        """An artifact logged with a run is visible once that run's record exists (the
        commit point); one logged on its own (no ``run_id``) always is."""
        run_id = artifact.get("run_id")
        return not run_id or self.store.get(Table.RUNS, str(run_id)) is not None

    def uncommitted_artifacts_json(self) -> list[JsonObject]:
        """Artifacts whose run was never written (a crash or kill mid-commit)."""
        return [a for a in self.store.select(Table.ARTIFACTS) if not self.is_committed(a)]

    def runs_json(
        self,
        kind: RunKind | str | None = None,
        order: Order = Order.LOG,
        limit: int | None = None,
        include_hidden: bool = False,
    ) -> list[JsonObject]:
        """Stored runs (of one kind, if given) in ``order``: ``Order.LOG`` (append order),
        ``Order.NEWEST`` or ``Order.OLDEST`` ``started_at`` first, ties in log order.
        Deleted and archived runs are left out unless ``include_hidden``."""
        kind_name = _kind_name(RunKind, kind)
        return self.store.select(
            Table.RUNS, kind=kind_name, order=order, limit=limit, visible_only=not include_hidden
        )

    def artifacts_json(
        self,
        kind: ArtifactKind | str | None = None,
        order: Order = Order.LOG,
        limit: int | None = None,
    ) -> list[JsonObject]:
        """Stored artifacts, like ``runs_json`` but ordered by ``created_at``."""
        kind_name = _kind_name(ArtifactKind, kind)
        fetch = limit
        while True:  # uncommitted artifacts are skipped: fetch more until enough
            found = self.store.select(Table.ARTIFACTS, kind=kind_name, order=order, limit=fetch)
            visible = [record for record in found if self.is_committed(record)]
            if limit is None or len(visible) >= limit or fetch is None or len(found) < fetch:
                return visible[:limit] if limit is not None else visible
            fetch *= 2

    # --- queries (medlang.query: docs/query.md) ---------------------------------

    def iter_runs(
        self,
        where: str | None = None,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        *,
        descending: bool = False,
        kind: RunKind | str | None = None,
        since: str | None = None,
        until: str | None = None,
        include_hidden: bool = False,
    ) -> Iterator[JsonObject]:
        """Stored runs matching ``where`` (the query language), in ``order_by`` order
        (default newest first), streamed from the index in constant memory.

        ``registry.iter_runs("metrics.rmse < 0.05", order_by="metrics.rmse", limit=10)``.
        A bad query raises ``QueryError`` (a ``ValueError``) before anything is read.
        """
        return self._iter(
            Table.RUNS,
            RunKind,
            where,
            order_by,
            limit,
            descending,
            kind,
            since,
            until,
            include_hidden,
        )

    def iter_artifacts(
        self,
        where: str | None = None,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        *,
        descending: bool = False,
        kind: ArtifactKind | str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[JsonObject]:
        """Stored artifacts, like ``iter_runs`` (time field ``created_at``)."""
        return self._iter(
            Table.ARTIFACTS,
            ArtifactKind,
            where,
            order_by,
            limit,
            descending,
            kind,
            since,
            until,
            False,
        )

    def _iter(
        self,
        table: Table,
        kinds: type[RunKind] | type[ArtifactKind],
        where: str | None,
        order_by: str | Sequence[str] | None,
        limit: int | None,
        descending: bool,
        kind: object,
        since: str | None,
        until: str | None,
        include_hidden: bool,
    ) -> Iterator[JsonObject]:
        from medlang.query.engine import build

        request = build(
            self.store,
            table,
            where=where,
            order_by=order_by,
            descending=descending,
            kind=_kind_name(kinds, kind),
            since=since,
            until=until,
            limit=limit,
            include_hidden=include_hidden,
        )
        return self.store.iter_select(request)

    def runs_with_artifact_json(self, artifact_id: str) -> list[JsonObject]:
        return self.store.runs_with_artifact(parse_uuid4(artifact_id, "artifact id"))

    # --- lineage: runs linked by content hash (see medlang.provenance.lineage) ---

    def artifacts_with_sha256_json(self, sha256: str) -> list[JsonObject]:
        """Stored artifacts whose content hash is ``sha256`` (any case), in log order."""
        return self.store.artifacts_with_sha256(_sha256(sha256))

    def runs_producing_json(self, sha256: str) -> list[JsonObject]:
        """Stored runs that produced a file with this content hash, oldest first."""
        return self.store.runs_producing(_sha256(sha256))

    def runs_using_json(
        self, sha256: str, *, role: str | None = None, kind: RunKind | str | None = None
    ) -> list[JsonObject]:
        """Stored runs (of one kind) that read a file with this content hash as an input
        (in this ``config.inputs`` role, if given), oldest first."""
        kind_name = _kind_name(RunKind, kind)
        return self.store.runs_using(_sha256(sha256), role=role, kind=kind_name)

    @staticmethod
    def _records(table: Table, objects: list[JsonObject]) -> list:
        from medlang.registry import codec

        return [codec.to_record(table, obj) for obj in objects]


def _sha256(text: str) -> str:
    sha256 = normal_sha256(text.removeprefix("sha256:"))
    if sha256 is None:
        raise InvalidIdError(f"invalid sha256 {text!r}: expected 64 hex digits")
    return sha256


def _kind_name(enum_type: type[RunKind] | type[ArtifactKind], kind: object) -> str | None:
    if kind is None:
        return None
    return enum_type.parse(kind).value
