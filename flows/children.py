"""Server processes this process starts (the local S3 server, Prefect's temporary API server): tied to
this process's life, and stopped politely first."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess


def die_with_parent() -> None:
    """In the child, before ``exec``: ask Linux to send SIGTERM when the parent dies
    (``PR_SET_PDEATHSIG``), so a killed run, test or benchmark leaves no orphaned server behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def stop(proc: subprocess.Popen[bytes], timeout: float, *, kill: bool = False) -> None:
    """Stop ``proc`` if it runs: SIGTERM (SIGKILL with ``kill``), then SIGKILL after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    if kill:
        proc.kill()
    else:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
