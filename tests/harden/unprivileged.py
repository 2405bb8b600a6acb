"""Run a command with file permissions enforced, even when the suite runs as root.

Root ignores file modes (CAP_DAC_OVERRIDE), so a read-only file is only read-only
for root once those capabilities are dropped from the child's bounding set.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_PR_CAPBSET_DROP = 24
_OVERRIDES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _drop_overrides() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _OVERRIDES:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_python(code_or_args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python ARGS`` from the source tree, without permission overrides."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    preexec = _drop_overrides if os.geteuid() == 0 else None
    try:
        return subprocess.run(
            [sys.executable, *code_or_args],
            env=full_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=preexec,  # noqa: PLW1509 - no threads of ours are running
        )
    except subprocess.SubprocessError as error:
        pytest.skip(f"cannot drop root's permission overrides here: {error}")
