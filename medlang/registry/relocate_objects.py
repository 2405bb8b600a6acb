"""``mlc registry set objects LOCATION``: point a PostgreSQL registry's objects elsewhere
without stranding any.

The location is one row in the database, so every client uses the same one. A
change while objects are stored is refused unless they are copied (``copy``):
every object is copied to the new place (read back and checked against its
sha256), the setting switched, and whatever was stored at the old place while
copying copied too. The old place is left as it was (remove it yourself once
nothing needs it). A writer that stored its objects at the old place and commits
its run after the switch is refused (``PostgresStore.append`` checks the setting
in the run's transaction), so no committed run names an object that is not at
the registry's location.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from medlang.registry.errors import RegistryError
from medlang.registry.object_location import display, normalize
from medlang.registry.objects import ObjectStore

if TYPE_CHECKING:
    from medlang.registry.postgres_store import PostgresStore

_UNLIMITED = 1 << 62  # objects already in a registry were admitted under its limit then


@dataclass(frozen=True, slots=True)
class Relocation:
    before: str  # locations as shown (no secrets)
    after: str
    copied: int = 0  # objects copied to the new place
    present: int = 0  # objects the new place held already
    changed: bool = True


def relocate(store: PostgresStore, location: str, *, copy: bool) -> Relocation:
    after = normalize(location)
    before = store.objects_location()
    if after == before:
        return Relocation(display(before), display(after), changed=False)
    source, target = store.objects_at(before), store.objects_at(after)
    target.prepare()
    target.check_writable()
    stored = list(source.ids())
    if stored and not copy:
        raise RegistryError(
            f"{len(stored)} object(s) are stored at {source.location}: moving the registry's "
            f"objects to {display(after)} would strand them; pass --copy to copy them there "
            "first (the old copies are kept)"
        )
    copied, present = _copy_all(source, target, stored)
    store.switch_objects(before, after)
    # objects of runs committed while we copied (later ones are refused by the store)
    seen = set(stored)
    more, _ = _copy_all(source, target, [s for s in source.ids() if s not in seen])
    return Relocation(display(before), display(after), copied + more, present)


def _copy_all(source: ObjectStore, target: ObjectStore, ids: list[str]) -> tuple[int, int]:
    copied = present = 0
    with tempfile.TemporaryDirectory(prefix="medlang-objects-") as scratch:
        for sha256 in ids:
            if target.has(sha256):
                present += 1
                continue
            _copy_one(source, target, sha256, Path(scratch) / "object")
            copied += 1
    return copied, present


def _copy_one(source: ObjectStore, target: ObjectStore, sha256: str, scratch: Path) -> None:
    digest = hashlib.sha256()
    with source.open(sha256) as stream, open(scratch, "wb") as out:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    try:
        if digest.hexdigest() != sha256:
            raise RegistryError(
                f"object {sha256} at {source.location} does not hash to its name (it was "
                "changed or damaged); stopped before copying it: find the runs that need it "
                "with mlc runs verify"
            )
        stored = target.store(scratch, _UNLIMITED)
        if stored.sha256 != sha256:  # the scratch file changed under us
            raise RegistryError(f"object {sha256} changed while it was copied; try again")
    finally:
        os.unlink(scratch)
