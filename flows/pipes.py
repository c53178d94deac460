"""The pipes between the flow process and its worker processes (``flows.parallel``): a larger capacity."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

PIPE_BYTES = 1 << 20
"""The capacity asked for the pipes between the flow process and its workers (Linux; the default is 64 kB)."""


def pipes(pool: ProcessPoolExecutor) -> list[Any]:
    """The connections of ``pool``'s call and result queues (CPython's ``concurrent.futures.process``)."""
    queues = (getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None))
    return [conn for queue in queues for conn in (getattr(queue, "_reader", None), getattr(queue, "_writer", None))
            if conn is not None]


def widen_pipes(pool: ProcessPoolExecutor, size: int = PIPE_BYTES) -> None:
    """Give the pipes that carry ``pool``'s tasks and results ``size`` bytes (``F_SETPIPE_SZ``) where the
    system allows it. A chunk's documents (~600 kB pickled) and its staged results (~800 kB) crossed a 64 kB
    pipe in ~10 writes and reads each, a switch between the two processes every time; on two busy cores the
    workers spent measurably more CPU on it (benchmarks/README.md, branch flow12). Nothing changes where the
    call fails (other systems, or the user's pipe memory limit): the size is only a capacity."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is None:
        return
    for conn in pipes(pool):
        try:
            fcntl.fcntl(conn.fileno(), setsize, size)
        except (OSError, ValueError):
            return
