"""The statistics pass of the flow (``gather_all``) and what both passes share: batching, handing large
values to tasks (``opaque``), how many batches are in flight, where a batch's repairs are spooled.

The statistics pass counts, per site, the short lines of every document (``cleaners.sitewide``), so that the
cleaning pass (``flows.pipeline.clean_all``) can remove the lines a site repeats; its verdicts do not depend on
batching or order. It runs in the worker pool of ``flows.parallel``; its results are spooled to disk
(``flows.sitestats``), so memory stays flat.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from cleaners import Config, Document

from . import memory, parallel
from .settings import RunSettings
from .sitestats import CompactStats, RunSiteStats
from .sources import Source

T = TypeVar("T")


def opaque(value: T) -> T:
    """Hand a large value to a task without Prefect walking all of it in search of futures.

    Only on the in-process thread runner: other runners (Dask) ship task inputs elsewhere as they are.
    """
    ctx = FlowRunContext.get()
    if ctx is None or not isinstance(ctx.task_runner, ThreadPoolTaskRunner):
        return value
    return cast(T, quote(value))


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def repairs_file(spool: Path | None, index: int) -> Path | None:
    """Where the statistics pass leaves a batch's encoding repairs for its cleaning (None: keep none).
    The spool is local: a remote task runner's worker has no such directory."""
    return spool / f"repairs-{index}.json" if spool is not None and spool.is_dir() else None


@task(name="gather-site-stats", cache_policy=NO_CACHE)
def gather_site_stats(index: int, batch: list[Document], config: Config, spool: Path) -> CompactStats:
    """A batch's site statistics; the encoding repairs made on the way are kept for the cleaning pass."""
    # in a worker process when the pass has a pool; the worker writes the repairs file itself
    return parallel.gather(batch, config, repairs_file(spool, index)).stats


def batches_in_flight(settings: RunSettings) -> int:
    """Batches submitted before the oldest is collected: the workers take a batch in chunks of
    ``parallel.STAGE_CHUNK`` documents, so while the oldest batch is collected the others must hold a chunk
    for every worker. Each batch in flight holds ~10 MB in the flow process (documents, rows, tables)."""
    chunks = -(-settings.batch_size // parallel.STAGE_CHUNK)
    return 1 + -(-settings.max_workers // chunks)


def gather_all(settings: RunSettings, source: Source, spool: Path) -> tuple[RunSiteStats, int]:
    """The statistics pass: every batch's site statistics, spooled (bounded in flight, flat memory). On
    this machine's thread runner the pass is one task run (``gather_pass``), else one per batch."""
    if _local_runner():
        return gather_pass(settings, opaque(source), spool)
    return _gather_batches(settings, source, spool, lambda index, docs: gather_site_stats.submit(
        index, opaque(docs), settings.cleaning, spool).result)


@task(name="gather-site-stats-all", cache_policy=NO_CACHE)
def gather_pass(settings: RunSettings, source: Source, spool: Path) -> tuple[RunSiteStats, int]:
    """``gather_all`` as one task run, its batches in this process's worker pool (``parallel.gather_later``
    keeps ``batches_in_flight`` of them there). The pass is pure CPU with nothing to retry or resume: a
    task run per batch bought nothing but Prefect's work (measured ~40 ms of its server's CPU per task run,
    ~0.8 CPU-s per 20,000 documents, on the two cores the workers need)."""
    return _gather_batches(settings, source, spool, lambda index, docs: _stats_of(
        parallel.gather_later(docs, settings.cleaning, repairs_file(spool, index))))


def _stats_of(later: Callable[[], parallel.Gathered]) -> Callable[[], CompactStats]:
    return lambda: later().stats


def _gather_batches(settings: RunSettings, source: Source, spool: Path,
                    submit: Callable[[int, list[Document]], Callable[[], CompactStats]]) -> tuple[RunSiteStats, int]:
    """Every batch's statistics: ``submit(index, documents)`` starts a batch and returns what waits for its
    statistics; ``batches_in_flight`` of them at a time, added to the run's spool in input order."""
    stats = RunSiteStats(spool)
    total_docs = 0
    pending: deque[tuple[int, Callable[[], CompactStats]]] = deque()
    for index, batch in enumerate(batched(source, settings.batch_size)):
        pending.append((index, submit(index, [item for item in batch if isinstance(item, Document)])))
        total_docs += len(batch)
        if len(pending) >= batches_in_flight(settings):
            i, result = pending.popleft()
            stats.add(result(), str(i))
            memory.trim()
    for i, result in pending:
        stats.add(result(), str(i))
    return stats, total_docs


def _local_runner() -> bool:
    """Whether the flow's tasks run on threads of this process (the default runner), where the statistics
    pass can use this process's worker pool; other runners (Dask) get a task per batch."""
    ctx = FlowRunContext.get()
    return ctx is not None and isinstance(ctx.task_runner, ThreadPoolTaskRunner)
