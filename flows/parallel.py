"""Run the CPU-bound, pure part of a batch (cleaning, site statistics) in worker processes.

Cleaning is pure Python, so threads do not help (the GIL); Prefect tasks stay on threads and hand their
batch to a process pool that lives for one pass of a run. The run's site statistics go to each worker
once (pool initializer), not with every batch. Without an active pool everything runs in-process, so the
results are the same either way (tests/test_fast_path.py proves it); if a worker dies, the rest of the
pass runs in-process.

Workers are started at once, with the parent's ``__main__`` hidden: they only need ``flows.parallel``, and
re-running the caller's script (what ``spawn`` does) would break callers reading from stdin or without an
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

import cleaners
from cleaners import CleanResult, Config, Document, SiteLineStats

T = TypeVar("T")
log = logging.getLogger(__name__)
_worker_stats: SiteLineStats | None = None
_active: ProcessPoolExecutor | None = None


def _init_worker(stats: SiteLineStats | None) -> None:
    global _worker_stats
    _worker_stats = stats


def _clean_in_worker(docs: list[Document], config: Config) -> list[CleanResult]:
    return list(cleaners.clean_documents(docs, config, stats=_worker_stats))


def _stats_in_worker(docs: list[Document], config: Config) -> SiteLineStats:
    return cleaners.site_stats(docs, config)


def _ready() -> None:
    """A no-op: submitting one per worker starts every worker now."""


def _start(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start the workers now, with ``__main__`` hidden from spawn's preparation data."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        futures = [pool.submit(_ready) for _ in range(workers)]
    finally:
        if main is not None:
            sys.modules["__main__"] = main
    wait(futures)


def for_cleaning(stats: SiteLineStats, config: Config) -> SiteLineStats:
    """The part of the run's statistics that cleaning reads: per site, the document count and the lines
    that are boilerplate (``boilerplate(config)`` is unchanged). A run's full statistics hold every short
    line of every document; workers need only the few repeated ones, so this is what they are sent."""
    learned = stats.boilerplate(config)
    pruned = SiteLineStats()
    pruned.docs.update(stats.docs)
    for site, keys in learned.items():
        pruned.lines[site].update({key: stats.lines[site][key] for key in keys})
    if pruned.boilerplate(config) != learned:  # SiteLineStats changed shape: send it whole
        return stats
    return pruned


@contextmanager
def worker_pool(
    workers: int, stats: SiteLineStats | None = None, config: Config | None = None
) -> Iterator[None]:
    """Within this block, ``clean``/``site_stats`` run in ``workers`` processes (none if workers <= 1).

    ``stats`` (with the ``config`` that cleaning will use) go to each worker once, for ``clean``.
    """
    global _active
    if workers <= 1:
        yield
        return
    if stats is not None and config is not None:
        stats = for_cleaning(stats, config)
    # spawn, not fork: the flow process runs threads (Prefect's event loop), which fork does not copy safely
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(stats,))
    try:
        _start(pool, workers)
    except Exception as exc:  # e.g. inside a daemonic process, which may not have children
        log.warning("no worker processes (%s: %s); cleaning in the flow process", type(exc).__name__, exc)
        pool.shutdown(wait=False, cancel_futures=True)
        yield
        return
    previous, _active = _active, pool
    try:
        yield
    finally:
        _active = previous
        pool.shutdown(wait=True, cancel_futures=True)


def clean(docs: list[Document], config: Config, stats: SiteLineStats) -> list[CleanResult]:
    """``cleaners.clean_documents(docs, config, stats=stats)``, in a worker when a pool is active.

    The pool's workers hold the statistics (and config) they were started with: pass the same ones.
    """
    def here() -> list[CleanResult]:
        return list(cleaners.clean_documents(docs, config, stats=stats))

    return _in_worker(here, _clean_in_worker, docs, config)


def site_stats(docs: list[Document], config: Config) -> SiteLineStats:
    """``cleaners.site_stats(docs, config)``, in a worker when a pool is active."""
    return _in_worker(lambda: cleaners.site_stats(docs, config), _stats_in_worker, docs, config)


def _in_worker(
    here: Callable[[], T], there: Callable[[list[Document], Config], T], docs: list[Document], config: Config
) -> T:
    global _active
    pool = _active
    if pool is None or not docs:
        return here()
    try:
        return pool.submit(there, docs, config).result()
    except BrokenProcessPool:
        log.warning("a cleaning worker process died; the rest of this pass runs in the flow process")
        if _active is pool:
            _active = None
        return here()
