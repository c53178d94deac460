"""Run a function in a forked child and give up after a time bound, so a runaway cleaner cannot hang a test."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from typing import Any


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # report, never hang the parent
        conn.send(("raised", f"{type(exc).__name__}: {exc}"))


def run_bounded(fn: Callable[..., Any], *args: Any, seconds: float) -> tuple[str, Any, float]:
    """(status, value, elapsed): status is ``ok``, ``raised`` or ``timeout`` (the child is killed)."""
    ctx = mp.get_context("fork")  # the child shares the parent's imports: no start-up cost
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args), daemon=True)
    t0 = time.monotonic()
    proc.start()
    child.close()
    ready = parent.poll(seconds)
    elapsed = time.monotonic() - t0
    if not ready:
        proc.kill()
        proc.join()
        return "timeout", None, elapsed
    status, value = parent.recv()
    proc.join()
    return status, value, elapsed
