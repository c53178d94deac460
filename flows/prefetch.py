"""Read ahead: the loads of the next items run on a thread while the caller works on the current one.

The run's tail reads every staged batch back (S3 GETs, Arrow decompression: both release the GIL) and
encodes shards in between; reading the next batches meanwhile keeps that waiting off the critical path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def prefetched(items: Iterable[T], load: Callable[[T], R], ahead: int = 1) -> Iterator[tuple[T, R]]:
    """``(item, load(item))`` in order, with the loads of up to ``ahead`` later items under way (memory:
    ``ahead + 1`` loaded items at a time). A load's exception is raised where its item is reached."""
    with ThreadPoolExecutor(1, thread_name_prefix="presswash-prefetch") as pool:
        pending: deque[tuple[T, Future[R]]] = deque()
        for item in items:
            pending.append((item, pool.submit(load, item)))
            if len(pending) > ahead:
                first, future = pending.popleft()
                yield first, future.result()
        while pending:
            first, future = pending.popleft()
            yield first, future.result()
