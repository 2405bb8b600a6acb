"""A source registry for the sync tests: runs with artifacts, the objects they name,
inputs, tags, notes and hidden runs, written through the real stores."""

from __future__ import annotations

from pathlib import Path

from medlang.registry import Registry
from medlang.registry.codec import encode
from medlang.registry.model import AnnotationRecord
from medlang.registry.storage import Table
from tests.registry.factories import BASE_TIME, artifact, fixed_id, run


def fill(root: Path, runs: int, *, objects: int = 3, first: int = 1) -> Registry:
    """``runs`` runs (ids ``first``...), each with one artifact whose bytes are one of
    ``objects`` stored objects and which it also reads as an input; every tenth run
    tagged, every twentieth noted, the third deleted and the fifth archived."""
    registry = Registry(root)
    store = registry.store
    shas = []
    for n in range(objects):
        path = root.parent / f"object-{first}-{n}.json"
        path.write_text(f'{{"weights": [{n}, {n + 1}], "name": "model {n}"}}\n' * (n + 1))
        shas.append(registry.store_file(path))
    numbers = range(first, first + runs)
    store.append_many(
        Table.ARTIFACTS,
        [encode(artifact(n, sha256=shas[n % objects], metadata={"n": n})) for n in numbers],
    )
    store.append_many(
        Table.RUNS,
        [
            encode(
                run(
                    n,
                    minute=(n * 7) % 500,  # log order is not time order
                    artifacts=[artifact(n).id],
                    config={"seed": n, "inputs": {"model": {"path": "m.json", "sha256": shas[0]}}},
                    metrics={"score": n / 10, "loss": 1 / n},
                )
            )
            for n in numbers
        ],
    )
    notes = []
    for n in numbers:
        if n % 10 == 0:
            notes.append(_annotation(n, 1, "tag", tags={"batch": str(n // 100), "paper": "fig3"}))
        if n % 20 == 0:
            notes.append(_annotation(n, 2, "note", text=f"looked at run {n}"))
        if n - first == 2:
            notes.append(_annotation(n, 3, "delete"))
        if n - first == 4:
            notes.append(_annotation(n, 3, "archive", archive="/archives/old.jsonl"))
    store.annotate_many(notes)
    return registry


def _annotation(n: int, which: int, op: str, **fields) -> bytes:
    return encode(
        AnnotationRecord(
            id=fixed_id(0x100000 * which + n), run_id=fixed_id(n), at=BASE_TIME, op=op, **fields
        )
    )
