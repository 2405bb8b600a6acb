"""Offline-first sync: ``mlc registry push --to`` and ``pull --from``.

Records and objects move from one registry's ``RecordStore`` to another's, any
backend to any backend (a laptop's JSONL directory, a team's PostgreSQL server),
by id and sha256: ``transfer`` (the mover), ``endpoints`` (which registries may
be synced, checked before anything moves) and ``report`` (the counts as text and
JSON).
"""
