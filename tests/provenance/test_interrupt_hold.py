"""The commit's Ctrl-C hold works in a process with other threads.

It used to block SIGINT with the signal mask: the kernel then hands the signal to
another thread (numpy's BLAS pool, MedLang's worker), and CPython runs the handler in
the main thread anyway, so a KeyboardInterrupt could land in the middle of a commit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import os, signal, sys, threading, time
from medlang import interrupts
from medlang.evidence.recording import _interrupts_held

# as from a terminal (a test runner started in the background passes SIGINT on ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)
interrupts.install()
threading.Thread(target=time.sleep, args=(5,), daemon=True).start()  # another thread
steps = []
try:
    with _interrupts_held():
        os.kill(os.getpid(), signal.SIGINT)
        for step in range(5):
            time.sleep(0.02)  # the handler would run here, between bytecodes
            steps.append(step)
    print("not delivered after the block")
except KeyboardInterrupt:
    print(f"delivered after {len(steps)} of 5 steps; noted: {interrupts.received()}")
"""


def test_ctrl_c_during_a_held_block_is_delivered_after_it_even_with_other_threads():
    assert _run(CHILD) == "delivered after 5 of 5 steps; noted: True"


def test_an_ignored_ctrl_c_stays_ignored_through_a_held_block():
    child = CHILD.replace("interrupts.install()", "signal.signal(signal.SIGINT, signal.SIG_IGN)")
    assert child != CHILD
    assert _run(child) == "not delivered after the block"


def _run(code: str) -> str:
    """What a fresh interpreter running ``code`` prints."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
