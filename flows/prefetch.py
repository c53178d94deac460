"""Read ahead: load the next item (e.g. a staged batch from storage) on a thread while the caller works on
the current one. The flow's serial steps after cleaning read every staged batch back; without this, the
flow process waits for each download, then computes while nothing downloads (one core idles either way)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def read_ahead(load: Callable[[T], U], items: Iterable[T], ahead: int = 1) -> Iterator[U]:
    """``map(load, items)``: the same results in the same order, with up to ``ahead`` loads running on a
    background thread while the caller holds the current result (at most ``ahead + 1`` results exist at
    once: the caller's and those loaded ahead). A load's exception is raised where its result would have
    been yielded."""
    if ahead < 1:
        yield from map(load, items)
        return
    pool = ThreadPoolExecutor(1, thread_name_prefix="presswash-read-ahead")
    try:
        it = iter(items)
        pending: deque[Future[U]] = deque()
        for item in it:
            pending.append(pool.submit(load, item))
            if len(pending) >= ahead:
                break
        while pending:
            result = pending.popleft().result()
            for item in it:  # the next load starts before the caller gets this result
                pending.append(pool.submit(load, item))
                break
            yield result
            del result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
