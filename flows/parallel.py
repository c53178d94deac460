"""Run the CPU-bound, pure part of a batch (site statistics; cleaning and duplicate keys) in worker processes.

Cleaning is pure Python, so threads do not help (the GIL); Prefect tasks stay on threads and hand their
batch to a process pool that lives for one pass of a run. The run's site statistics go to each worker
once (pool initializer), not with every batch. Without an active pool everything runs in-process, so the
results are the same either way (tests/test_fast_path.py proves it); if a worker dies, the rest of the
pass runs in-process.

Workers import only ``cleaners`` and this module (no Prefect, boto3 or pyarrow) and send back compact
results: statistics as arrays, repairs to reuse in the cleaning pass, results with their duplicate keys.

Workers are started at once, with the parent's ``__main__`` hidden: they only need ``flows.parallel``, and
re-running the caller's script (what ``spawn`` does) would break callers reading from stdin or without an
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import sys
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import cleaners
from cleaners import CleanResult, Config, Document, SiteLineStats
from cleaners import dedup as dd
from cleaners.batch import plain_text
from cleaners.repair_memo import recall, remember, remembering
from cleaners.sitewide import add_samples

from .sitestats import CompactStats, compact

T = TypeVar("T")
Repair = tuple[str, list[str]]
log = logging.getLogger(__name__)
_worker_stats: SiteLineStats | None = None
_active: ProcessPoolExecutor | None = None


@dataclass
class Gathered:
    """The statistics pass over one batch: its site statistics and the encoding repairs it computed
    (by digest of the original text; the cleaning pass reuses them instead of repairing again)."""

    stats: CompactStats
    repairs: dict[str, Repair] = field(default_factory=dict)


@dataclass
class Cleaned:
    """The cleaning pass over one batch: results in input order, the duplicate keys of the accepted ones
    (None for the others), and the spellings of the run's boilerplate lines found in these documents."""

    results: list[CleanResult]
    keys: list[dd.Keys | None]
    samples: SiteLineStats


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def gather_here(docs: list[Document], config: Config) -> Gathered:
    """Site statistics (without samples) of ``docs``, as ``cleaners.site_stats`` counts them."""
    stats = SiteLineStats()
    repairs: dict[str, Repair] = {}
    with remembering():
        for doc in docs:
            if doc.html is None and (text := plain_text(doc, config)) is not None:
                stats.add(doc.url, text, config, samples=False)
                if doc.text is not None and (repair := recall(doc.text, config.uncurl_quotes)) is not None:
                    repairs[text_digest(doc.text)] = repair
    return Gathered(compact(stats), repairs)


def clean_here(
    docs: list[Document], config: Config, stats: SiteLineStats, dedup: dd.DedupConfig | None,
    repairs: dict[str, Repair] | None,
) -> Cleaned:
    """``cleaners.clean_documents(docs, config, stats=stats)`` plus duplicate keys and boilerplate samples."""
    learned = stats.boilerplate(config)
    samples = SiteLineStats()
    with remembering():
        if repairs:
            for doc in docs:
                if doc.text is not None and (repair := repairs.get(text_digest(doc.text))) is not None:
                    remember(doc.text, config.uncurl_quotes, repair)
        results = list(cleaners.clean_documents(docs, config, stats=stats))
        if learned:
            for doc in docs:
                if doc.html is None and (text := plain_text(doc, config)) is not None:
                    add_samples(samples, doc.url, text, config, learned)
    keys = [dd.keys(r.text, dedup) if dedup is not None and r.rejected is None else None for r in results]
    return Cleaned(results, keys, samples)


def _init_worker(stats: SiteLineStats | None) -> None:
    global _worker_stats
    _worker_stats = stats


def _clean_in_worker(
    docs: list[Document], config: Config, dedup: dd.DedupConfig | None, repairs: dict[str, Repair] | None
) -> Cleaned:
    assert _worker_stats is not None, "a cleaning pool is started with the run's statistics"
    return clean_here(docs, config, _worker_stats, dedup, repairs)


def _gather_in_worker(docs: list[Document], config: Config) -> Gathered:
    return gather_here(docs, config)


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


@contextmanager
def worker_pool(workers: int, stats: SiteLineStats | None = None) -> Iterator[None]:
    """Within this block, ``gather``/``clean`` run in ``workers`` processes (none if workers <= 1).

    ``stats`` go to each worker once, for ``clean``: pass only what cleaning reads (see
    ``flows.sitestats.RunSiteStats.for_cleaning``), not every line of the run.
    """
    global _active
    if workers <= 1:
        yield
        return
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


def clean(
    docs: list[Document], config: Config, stats: SiteLineStats, dedup: dd.DedupConfig | None = None,
    repairs: dict[str, Repair] | None = None,
) -> Cleaned:
    """``clean_here``, in a worker when a pool is active. The pool's workers hold the statistics they
    were started with: pass the same ones (only the boilerplate lines and document counts are read)."""
    return _in_worker(lambda: clean_here(docs, config, stats, dedup, repairs),
                      lambda pool: pool.submit(_clean_in_worker, docs, config, dedup, repairs), docs)


def gather(docs: list[Document], config: Config) -> Gathered:
    """``gather_here``, in a worker when a pool is active."""
    return _in_worker(lambda: gather_here(docs, config),
                      lambda pool: pool.submit(_gather_in_worker, docs, config), docs)


def _in_worker(
    here: Callable[[], T], there: Callable[[ProcessPoolExecutor], Future[T]], docs: list[Document]
) -> T:
    global _active
    pool = _active
    if pool is None or not docs:
        return here()
    try:
        return there(pool).result()
    except BrokenProcessPool:
        log.warning("a cleaning worker process died; the rest of this pass runs in the flow process")
        if _active is pool:
            _active = None
        return here()
