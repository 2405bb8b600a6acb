"""The replay certificate: what was checked, what differed, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass

from medlang.provenance.replay import Replayed
from medlang.registry.storage import JsonObject
from medlang.registry.store import Registry

_ENV_KEYS = ("python", "numpy", "medlang", "platform")


@dataclass(frozen=True)
class Certificate:
    run_id: str
    kind: str
    replay_run_id: str | None
    inputs: list[tuple[str, str]]  # (role, sha256), every one re-hashed
    outputs: list[tuple[str, str | None, str | None]]  # (kind, original, replayed sha256)
    metrics_compared: int
    timings_skipped: list[str]
    differences: list[str]  # metric and artifact differences
    environment: list[str]  # how the replaying environment differs

    @property
    def identical(self) -> bool:
        return not self.differences

    def render(self) -> str:
        lines = [
            "Replay certificate",
            f"  run:              {self.run_id} ({self.kind})",
            f"  replay run:       {self.replay_run_id or '(not logged)'}",
            f"  inputs verified:  {len(self.inputs)} (materialised from the registry's store,"
            " sha256 re-checked)",
        ]
        lines += [f"    {role:<34} {sha[:16]}" for role, sha in self.inputs]
        same = sum(1 for _, old, new in self.outputs if old == new)
        lines.append(f"  outputs compared: {len(self.outputs)} ({same} identical sha256)")
        lines += [
            f"    {kind:<34} {(old or '(none)')[:16]} {'==' if old == new else '->'} "
            f"{(new or '(none)')[:16]}"
            for kind, old, new in self.outputs
        ]
        skipped = f"; timings not compared: {', '.join(self.timings_skipped)}"
        lines.append(
            f"  metrics compared: {self.metrics_compared}"
            + (skipped if self.timings_skipped else "")
        )
        lines.append(
            "  environment:      "
            + ("identical" if not self.environment else f"{len(self.environment)} difference(s)")
        )
        lines += [f"    {difference}" for difference in self.environment]
        if self.differences:
            lines.append("  differences:")
            lines += [f"    {difference}" for difference in self.differences]
        verdict = "IDENTICAL: the run was reproduced" if self.identical else "DIFFERENT"
        lines.append(f"  verdict:          {verdict}")
        return "\n".join(lines)


def certify(registry: Registry, replayed: Replayed) -> Certificate:
    judge = replayed.judge
    replay_run = registry.run_json(replayed.replay_run_id) if replayed.replay_run_id else None
    return Certificate(
        run_id=replayed.original["id"],
        kind=str(replayed.original.get("kind")),
        replay_run_id=replayed.replay_run_id,
        inputs=[(i.role, i.sha256) for i in replayed.inputs],
        outputs=judge.outputs_compared,
        metrics_compared=judge.metrics_compared,
        timings_skipped=judge.timings_skipped,
        differences=judge.metric_diffs + judge.output_diffs,
        environment=environment_differences(
            registry, replayed.original.get("env"), (replay_run or {}).get("env")
        ),
    )


def environment_differences(registry: Registry, old: object, new: object) -> list[str]:
    """``python: 3.11.7 -> 3.12.1``, ``package numpy: 2.4.6 -> 2.5.0`` ... ."""
    from medlang.registry.envlock import package_differences, parse_lock

    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    found = [
        f"{key}: {old.get(key) or '(unknown)'} -> {new.get(key) or '(unknown)'}"
        for key in _ENV_KEYS
        if old.get(key) != new.get(key)
    ]
    old_lock, new_lock = old.get("packages"), new.get("packages")
    if old_lock == new_lock:
        return found
    locks = [_lock(registry, sha) for sha in (old_lock, new_lock)]
    if None in locks:
        found.append("packages: the original run recorded no environment lock")
        return found
    found += [
        f"package {line}"
        for line in package_differences(parse_lock(locks[0]), parse_lock(locks[1]))
    ]
    return found


def _lock(registry: Registry, sha256: object) -> bytes | None:
    if not isinstance(sha256, str) or not registry.has_object(sha256):
        return None
    with registry.open_object(sha256) as handle:
        return handle.read()


def original_kind(run: JsonObject) -> str:
    return str(run.get("kind"))
