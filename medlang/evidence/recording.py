"""How a producer records a run: check and store before the work, commit after it.

``Recording.begin`` runs once a producer has accepted its inputs and before any
simulation: with ``--log`` it checks that the registry is writable and copies the
inputs into its object store, so a doomed run fails in milliseconds. ``failures()``
wraps the work: an exception there is logged as a *failed* run (with whatever
metrics exist) and re-raised. ``commit`` writes the outputs atomically and logs the
run; a Ctrl-C during those few milliseconds is held until the commit is complete,
so a run is either fully logged with its outputs in place, or not logged at all.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from medlang.evidence.common import Produced, Request, json_safe, new_logger, write_json_atomic
from medlang.evidence.errors import EvidenceError

if TYPE_CHECKING:
    from medlang.evidence.discovery import LoadedProgram
    from medlang.registry import RunLogger


class Judge(Protocol):
    """Decides whether a run reproduced another one (``mlc runs replay``)."""

    replay_of: str

    def judge(self, metrics: dict, outputs: list[tuple[str, Path]]) -> str: ...


# An output to write and log: (artifact kind, path, JSON document).
Output = tuple[str, Path, Any]


@dataclass
class Recording:
    request: Request
    kind: str
    recorded: dict  # the run's config as logged: resolved settings + "inputs"
    logger: RunLogger | None
    started_at: datetime
    metrics: dict = field(default_factory=dict)  # filled by the work as it goes

    @classmethod
    def begin(cls, request: Request, loaded: LoadedProgram, kind: str, recorded: dict):
        from medlang.registry import utc_now

        logger = None
        if request.log:
            logger = new_logger(request, loaded)
            logger.check_writable()
            logger.store_inputs(json_safe(recorded))
        return cls(request, kind, json_safe(recorded), logger, utc_now())

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Log the run as failed if the work raises (a Ctrl-C is not a failure)."""
        from medlang import interrupts

        try:
            yield
        except Exception as error:
            if not interrupts.received():  # a wrapped Ctrl-C is not a failure either
                self.fail(error)
            raise

    def fail(self, error: Exception) -> None:
        if self.logger is None:
            return
        message = (
            str(error) if isinstance(error, EvidenceError) else (f"{type(error).__name__}: {error}")
        )
        self.logger.log_failed_run(
            self.kind, self.recorded, json_safe(self.metrics), message, started_at=self.started_at
        )

    def commit(self, metrics: dict, outputs: list[Output]) -> Produced:
        """Write the outputs, then log the run with them (the commit point)."""
        self.metrics = metrics
        paths = [path for _, path, _ in outputs]
        with _interrupts_held():
            with self.failures():
                for _, path, document in outputs:
                    write_json_atomic(path, document)
            run_id = None
            if self.logger is not None:
                replay_of = verdict = None
                judge: Judge | None = self.request.replay
                if judge is not None:
                    replay_of = judge.replay_of
                    verdict = judge.judge(
                        json_safe(metrics), [(kind, path) for kind, path, _ in outputs]
                    )
                run_id = self.logger.log_run_with_artifacts(
                    self.kind,
                    self.recorded,
                    json_safe(metrics),
                    [(kind, path) for kind, path, _ in outputs],
                    started_at=self.started_at,
                    replay_of=replay_of,
                    replay_verdict=verdict,
                )
        return Produced(json_safe(metrics), paths, run_id)


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C until the block is done, then deliver it.

    Not with the signal mask: in a process with other threads (numpy's BLAS pool,
    MedLang's worker) the kernel hands a signal the main thread blocks to another
    thread, and CPython then runs the handler in the main thread anyway, inside the
    block. So the handler itself is swapped for one that only remembers the signal.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield  # another thread cannot be interrupted; an ignored Ctrl-C stays ignored
        return
    arrived: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if arrived:
        previous(signal.SIGINT, None)  # raises KeyboardInterrupt, noting it as the CLI does
