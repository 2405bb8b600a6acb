"""Ctrl-C, remembered: libraries sometimes turn the ``KeyboardInterrupt`` they were
interrupted with into an error of their own (pydantic building a schema, the
interpreter wrapping a host failure). The CLI's handler notes the signal first, so
such an error is still reported as ``interrupted`` (exit 130) and never logged as a
failed run."""

from __future__ import annotations

import signal
import threading

_received = False


def install() -> None:
    """Note SIGINT before raising ``KeyboardInterrupt`` as Python's default handler does."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # someone chose another behaviour (ignored, a host's handler): keep it
    signal.signal(signal.SIGINT, _on_interrupt)


def _on_interrupt(signum, frame) -> None:
    global _received
    _received = True
    raise KeyboardInterrupt


def received() -> bool:
    """Whether Ctrl-C arrived in this process since ``install``."""
    return _received
