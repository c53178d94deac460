"""glibc malloc settings for a run: fewer arenas, big buffers given back to the system at once.

The flow process handles each batch (~3 MB of text, its pickles, results and Parquet buffers) on one of
Prefect's task threads. With glibc's defaults every thread gets its own malloc arena (up to 8 per core)
and the mmap threshold rises to the largest buffer freed so far, so those multi-megabyte buffers come
from the arenas and leave them fragmented: measured on 20,000 documents, the flow process sat ~80 MB
higher while cleaning and each worker ~15 MB higher than with the settings below (benchmarks/README.md).

``tune()`` applies them to the current process (``mallopt``) and, through the environment, to the worker
processes started afterwards (spawned interpreters read ``MALLOC_*`` at start); values already in the
environment are left alone. ``trim()`` returns free memory of every arena to the system. Both do nothing
(but the Arrow setting below) where the C library is not glibc.

``tune()`` also makes Arrow's C++ code allocate with the system allocator (``ARROW_DEFAULT_MEMORY_POOL``,
read when Arrow first allocates, so it must run before that; ``flows.output`` only switches pyarrow's own
default). Arrow's bundled allocator reserved a 1 GiB region with transparent huge pages in the flow process:
measured 64 MB resident there (53 MB of it huge pages) while cleaning 200,000 documents.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache
from typing import Any

SETTINGS = {  # environment name: (mallopt parameter number, value)
    "MALLOC_ARENA_MAX": (-8, 2),
    "MALLOC_MMAP_THRESHOLD_": (-3, 256 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (-1, 256 * 1024),
}


@cache
def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


def tune() -> None:
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    libc = _libc()
    if libc is None:
        return
    for name, (param, value) in SETTINGS.items():
        if name not in os.environ:
            libc.mallopt(param, value)
            os.environ[name] = str(value)


def trim() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
