"""Run the CPU-bound, pure part of a batch (site statistics; cleaning and duplicate keys) in worker processes.

Cleaning is pure Python, so threads do not help (the GIL); Prefect tasks stay on threads and hand their
batch to a process pool that lives for both passes of a run. The statistics cleaning reads are made
after the pool starts, so they are not given to it at start: ``stage`` shares them once per run
(``SharedBoilerplate``), ``clean`` sends them with each batch. Without an active pool everything runs
in-process, so the results are the same either way (tests/test_fast_path.py proves it); if a worker dies,
the rest of the run runs in-process.

``prestart`` starts the workers early (the CLI does it while Prefect's API server starts); the next
``worker_pool`` of that size adopts them.

Workers import only ``cleaners``, this module, ``flows.rows`` and ``flows.chunk_files`` (no Prefect, boto3
or pyarrow) and send back compact results: statistics as arrays; for the flow, the rows to stage (``stage``:
built in the worker, as plain values that pickle fast) rather than CleanResult objects. The encoding repairs
and the line keys of the statistics pass go to files, per chunk of ``STAGE_CHUNK`` documents, that the
cleaning pass's worker of that chunk reads (``repairs_to``, ``flows.chunk_files``), not through the flow.

Workers are started at once, with the parent's ``__main__`` hidden: they only need ``flows.parallel``, and
re-running the caller's script (what ``spawn`` does) would break callers reading from stdin or without an
``if __name__ == "__main__":`` guard.

``prestart`` forks the workers instead when that is safe (``_fork_is_safe``): ``presswash run`` calls it
first thing, while its process holds little more than what a worker needs (``cleaners`` and this module;
no Prefect, sources or storage yet). A forked worker shares those pages instead of importing its own,
and a fork pool needs no resource tracker process (spawn's named semaphores do). Measured on 20,000
documents (benchmarks/README.md): peak RSS of flow + workers 463 -> 443 MiB.
"""

from __future__ import annotations

import gc
import itertools
import json
import logging
import multiprocessing
import sys
import tempfile
import threading
import types
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import cleaners
from cleaners import CleanResult, Config, Document, SiteLineStats
from cleaners import dedup as dd
from cleaners.batch import clean_batch, plain_text
from cleaners.repair_memo import recall, remember, remembering
from cleaners.sitewide import LineKey, add_samples, keyed_samples, remembering_keys, site_of

from . import chunk_files
from .chunk_files import Repair, Repairs, chunk_file, load_repairs, repairs_files, text_digest
from .pipes import widen_pipes
from .rows import (
    Column,
    Removal,
    Samples,
    Utf8Column,
    add_removals,
    add_row,
    join_columns,
    quarantine_record,
    removal_columns,
    staged_document,
)
from .sitestats import RECORD, CompactStats, compact, sort_records

T = TypeVar("T")
P = TypeVar("P")
log = logging.getLogger(__name__)
STAGE_CHUNK = 100
"""Documents per worker task of the cleaning pass (``stage``), and per repairs file of the statistics pass
(``gather``). A chunk's documents, results and their pickles are what a worker holds besides its memos."""
WORKERS = 2
"""Worker processes of a run unless told otherwise (``RunSettings.max_workers``)."""
_active: ProcessPoolExecutor | None = None
_prestarted: tuple[int, ProcessPoolExecutor] | None = None
_pool_dir: Path | None = None
"""A directory for the files of the active pool's shared boilerplate lines (flow process)."""
_shared: tuple[SiteLineStats, Config, SharedBoilerplate] | None = None
"""The statistics and config whose boilerplate lines were last shared with the active pool (flow process)."""
_loaded: tuple[Path, dict[str, frozenset[LineKey]]] | None = None
"""The shared boilerplate lines a worker loaded last, kept for the next chunks (worker process)."""
_names = itertools.count()


@dataclass(frozen=True)
class SharedBoilerplate:
    """What cleaning reads of the run's statistics, its boilerplate lines under one config, written once to
    ``path`` (JSON, by ``stage``): a worker loads them at its first chunk and keeps them. Sent with every
    chunk, the statistics (~150 kB pickled for 4,000 documents) cost the flow process a pickle and each
    worker an unpickle and two ``boilerplate`` calls (~2 ms each) per chunk."""

    path: Path


def _boilerplate_of(stats: SiteLineStats | SharedBoilerplate, config: Config) -> dict[str, frozenset[LineKey]]:
    """``stats.boilerplate(config)``; shared ones loaded once per file in a worker."""
    global _loaded
    if not isinstance(stats, SharedBoilerplate):
        return stats.boilerplate(config)
    if _loaded is None or _loaded[0] != stats.path:
        _loaded = None  # the previous ones are not needed any more
        loaded = json.loads(stats.path.read_text(encoding="ascii"))
        _loaded = (stats.path, {site: frozenset(keys) for site, keys in loaded.items()})
    return _loaded[1]


def _share(stats: SiteLineStats, config: Config) -> SiteLineStats | SharedBoilerplate:
    """``stats`` as the active pool's workers get them for ``config``: the file their boilerplate lines were
    written to the first time (statistics are not changed while a pool cleans with them: ``worker_pool``)."""
    global _shared
    if _pool_dir is None:
        return stats
    if _shared is None or _shared[0] is not stats or _shared[1] != config:
        path = _pool_dir / f"boilerplate-{next(_names)}.json"
        learned = {site: sorted(keys) for site, keys in stats.boilerplate(config).items()}
        path.write_text(json.dumps(learned), encoding="ascii")  # escaped: lone surrogates survive
        _shared = (stats, config, SharedBoilerplate(path))
    return _shared[2]


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


@dataclass
class Staged:
    """The cleaning pass over one batch, as the flow stages it: rows of the accepted documents (with
    their duplicate keys) and quarantine records of the rejected ones, both in input order, and the
    batch's counts for its report. Documents and removals travel as columns (lists of values that pickle
    fast and become Arrow columns as they are), not as a dict or tuple per row."""

    documents: dict[str, Column]
    """``staged_document`` rows as columns (empty: no document); the texts packed (``rows.Utf8Column``)."""
    quarantine: list[dict[str, Any]]
    removed_by_rule: Counter[str]
    rejected_by_code: Counter[str]
    rejected: int
    quarantined: int
    samples: Samples
    """The spellings of the run's boilerplate lines in these documents (chunks concatenated, not merged)."""
    removals: dict[str, Column] = field(default_factory=lambda: dict(removal_columns()))
    """The removed lines of the accepted documents (``removals``) as ``REMOVAL_FIELDS`` columns, in document
    order: the ``removed_lines`` of each document in ``documents`` are its next ones; the lines packed."""

    @property
    def cleaned(self) -> int:
        """The number of accepted documents."""
        return len(self.documents.get("id", ()))

    def document_rows(self) -> list[dict[str, Any]]:
        """``documents`` as rows (tests)."""
        return [dict(zip(self.documents, values, strict=True))
                for values in zip(*self.documents.values(), strict=True)]

    def removal_rows(self) -> list[tuple[int, Removal]]:
        """``removals`` as (row in ``documents``, removal) (tests)."""
        docs = [doc for doc, n in enumerate(self.documents.get("removed_lines", ())) for _ in range(n)]
        return list(zip(docs, zip(*self.removals.values(), strict=True), strict=True))


def gather_here(
    docs: list[Document], config: Config, repairs_to: Path | None = None, chunk: int = STAGE_CHUNK,
    first_chunk: int = 0,
) -> Gathered:
    """Site statistics (without samples) of ``docs``, as ``cleaners.site_stats`` counts them. With
    ``repairs_to``, the repairs are written to files (JSON) instead of returned: those of ``docs[k *
    chunk:(k + 1) * chunk]`` to ``chunk_file(repairs_to, first_chunk + k)`` (none if it has none), so the
    cleaning pass's chunks each read only their own (``first_chunk``: where ``docs`` starts in its batch).
    A file holds a text only when it was repaired (~1 in 10): for the others, null ("needs no repair").
    Next to each, the positions and keys of its documents' short lines (``chunk_files.keys_file``)."""
    stats = SiteLineStats()
    repairs: dict[str, Repair] = {}
    by_chunk: dict[int, dict[str, Repair | None]] = {}
    keyed: dict[int, dict[str, chunk_files.Keyed]] = {}
    with remembering():
        for i, doc in enumerate(docs):
            if doc.html is None and (text := plain_text(doc, config)) is not None:
                if repairs_to is None or doc.text is None:
                    stats.add(doc.url, text, config, samples=False)
                    digest = None
                else:
                    digest = text_digest(doc.text)
                    if (found := stats.add_keyed(doc.url, text, config)) is not None:  # the same counts
                        keyed.setdefault(i // chunk, {})[digest] = chunk_files.keyed(*found)
                if doc.text is not None and (repair := recall(doc.text, config.uncurl_quotes)) is not None:
                    if digest is None:
                        repairs[text_digest(doc.text)] = repair
                    else:
                        unchanged = not repair[1] and repair[0] == doc.text
                        by_chunk.setdefault(i // chunk, {})[digest] = None if unchanged else repair
    for k, part in by_chunk.items():
        assert repairs_to is not None
        chunk_file(repairs_to, first_chunk + k).write_text(json.dumps(part), encoding="ascii")  # escaped
    for k, keys_part in keyed.items():
        assert repairs_to is not None
        chunk_files.write_keys(chunk_files.keys_file(chunk_file(repairs_to, first_chunk + k)), config, keys_part)
    return Gathered(compact(stats), repairs)


def clean_here(
    docs: list[Document], config: Config, stats: SiteLineStats | SharedBoilerplate, dedup: dd.DedupConfig | None,
    repairs: Repairs,
) -> Cleaned:
    """``cleaners.clean_documents(docs, config, stats=stats)`` plus duplicate keys and boilerplate samples
    (from the statistics pass's line keys of these documents where the files of ``repairs`` have them)."""
    learned = _boilerplate_of(stats, config)
    samples = SiteLineStats()
    keyed = chunk_files.load_keys(map(chunk_files.keys_file, repairs_files(repairs)), config)
    repairs = load_repairs(repairs)
    digests = [text_digest(doc.text) if doc.text is not None and (repairs or keyed) else "" for doc in docs]
    with remembering(), remembering_keys():
        if repairs:
            for doc, digest in zip(docs, digests, strict=True):
                if doc.text is not None and digest in repairs:
                    repair = repairs[digest]
                    remember(doc.text, config.uncurl_quotes, (doc.text, []) if repair is None else repair)
        if learned:  # first: the line keys it finds are remembered for the site rule of cleaning
            for doc, digest in zip(docs, digests, strict=True):
                if doc.html is None and (text := plain_text(doc, config)) is not None:
                    if (found := keyed.get(digest)) is None:
                        add_samples(samples, doc.url, text, config, learned)
                    elif (site := site_of(doc.url)) is not None and (wanted := learned.get(site)):
                        keyed_samples(samples, site, text.splitlines(), *chunk_files.unpack_keys(found), wanted)
        results = clean_batch(docs, config, learned)  # clean_documents(stats=stats)
    keys = [dd.keys(r.text, dedup) if dedup is not None and r.rejected is None else None for r in results]
    return Cleaned(results, keys, samples)


def stage_here(
    docs: list[Document], config: Config, stats: SiteLineStats | SharedBoilerplate, dedup: dd.DedupConfig,
    repairs: Repairs,
    run_id: str, cleaned_at: datetime,
) -> Staged:
    """``clean_here``, then the rows the flow stages (``flows.rows``) and the batch's counts."""
    cleaned = clean_here(docs, config, stats, dedup, repairs)
    out = Staged({}, [], Counter(), Counter(), 0, 0, Samples.of(cleaned.samples.samples))
    documents: dict[str, list[Any]] = {}
    removals = removal_columns()
    for doc, result, keys in zip(docs, cleaned.results, cleaned.keys, strict=True):
        out.removed_by_rule.update(result.removed_by_rule())
        if result.rejected is None:
            assert keys is not None  # computed for every accepted result
            add_removals(removals, result)
            add_row(documents, staged_document(result, keys, run_id, cleaned_at))
            continue
        out.quarantine.append(quarantine_record(result, doc, run_id))
        out.rejected_by_code[result.rejected.code] += 1
        if cleaners.is_failure(result.rejected):
            out.quarantined += 1
        else:
            out.rejected += 1
    out.documents = {name: Utf8Column.pack(values) if name == "text" else values for name, values in documents.items()}
    out.removals = {name: Utf8Column.pack(values) if name == "line" else values for name, values in removals.items()}
    return out


WORKER_GC = (10_000, 10, 10)
"""The workers' garbage collector thresholds: a young collection per 10,000 new objects instead of 700. A
chunk's cleaning makes ~100k short-lived objects, nearly all freed by reference counting, and each young
collection also walks everything the chunk still holds: measured ~5% of a worker's CPU with the default
thresholds, <1% with these."""


def _worker_gc() -> None:
    """Run first in each worker process (the pool's initializer)."""
    gc.set_threshold(*WORKER_GC)


def _ready() -> None:
    """A no-op: submitting one per worker starts every worker now."""


def _fork_is_safe() -> bool:
    """Whether workers may be forked from this process: on Linux (macOS system libraries are not
    fork-safe, which is why Python spawns there by default), no other Python thread runs (a lock another
    thread holds at the fork stays held forever in the child; Prefect runs an event loop thread; NumPy's
    OpenBLAS threads register fork handlers) and Prefect is not imported (a forked worker keeps what its
    parent had in memory, which must be little)."""
    return (sys.platform.startswith("linux") and threading.active_count() == 1
            and "prefect" not in sys.modules)


def _start(workers: int, fork: bool = False) -> tuple[ProcessPoolExecutor, list[Future[None]]]:
    """Start the workers now (they are running when the returned futures are done): forked if ``fork``
    (see ``_fork_is_safe``), else spawned with ``__main__`` hidden from spawn's preparation data."""
    # a fork pool forks every worker at its first submit, in this thread (concurrent.futures, Python 3.11+)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
                               initializer=_worker_gc)
    widen_pipes(pool)
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        return pool, [pool.submit(_ready) for _ in range(workers)]
    except Exception:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def prestart(workers: int = WORKERS) -> None:
    """Start ``workers`` processes now without waiting for them (forked when ``_fork_is_safe``); the next
    ``worker_pool(workers)`` in this process uses them. Failing here is not an error: ``worker_pool`` tries
    again and says why."""
    global _prestarted
    if workers <= 1 or _prestarted is not None:
        return
    try:
        pool, _ = _start(workers, fork=_fork_is_safe())
    except Exception:
        return
    _prestarted = (workers, pool)


def discard_prestarted() -> None:
    """Stop prestarted workers no ``worker_pool`` took (e.g. the run had nothing to do)."""
    global _prestarted
    if _prestarted is not None:
        _prestarted[1].shutdown(wait=False, cancel_futures=True)
        _prestarted = None


def _take_prestarted(workers: int) -> ProcessPoolExecutor | None:
    global _prestarted
    if _prestarted is None:
        return None
    (size, pool), _prestarted = _prestarted, None
    if size == workers:
        return pool
    pool.shutdown(wait=False, cancel_futures=True)
    return None


@contextmanager
def worker_pool(workers: int) -> Iterator[None]:
    """Within this block, ``gather``/``clean``/``stage`` run in ``workers`` processes (none if workers <= 1).

    ``clean`` sends the statistics it is given with each batch, ``stage`` writes them to a file once per
    statistics object (do not change them within the block): pass only what cleaning reads
    (``flows.sitestats.RunSiteStats.for_cleaning``).
    """
    global _active, _pool_dir, _shared
    if workers <= 1:
        yield
        return
    pool = _take_prestarted(workers)
    if pool is None:
        try:
            pool, ready = _start(workers)
            wait(ready)
        except Exception as exc:  # e.g. inside a daemonic process, which may not have children
            log.warning("no worker processes (%s: %s); cleaning in the flow process", type(exc).__name__, exc)
            yield
            return
    previous, _active = _active, pool
    outer = (_pool_dir, _shared)
    try:
        with tempfile.TemporaryDirectory(prefix="presswash-pool-") as tmp:
            _pool_dir, _shared = Path(tmp), None
            yield
    finally:
        _active = previous
        _pool_dir, _shared = outer
        # every submitted batch is done here; the workers exit while the caller goes on (the flow's serial
        # tail): waiting for their interpreters to shut down cost ~0.5-1 s of wall time per run
        pool.shutdown(wait=False, cancel_futures=True)


def clean(
    docs: list[Document], config: Config, stats: SiteLineStats, dedup: dd.DedupConfig | None = None,
    repairs: Repairs = None,
) -> Cleaned:
    """``clean_here``, in a worker when a pool is active."""
    return _in_chunks(len(docs), len(docs), lambda: clean_here(docs, config, stats, dedup, repairs),
                      lambda pool, _: pool.submit(clean_here, docs, config, stats, dedup, repairs),
                      lambda parts: parts[0])


def merge_staged(parts: list[Staged]) -> Staged:
    """The ``Staged`` of consecutive chunks of a batch, as one (what ``stage_here`` of the whole batch gives)."""
    out = Staged({}, [], Counter(), Counter(), 0, 0, Samples.concat([part.samples for part in parts]))
    documents: dict[str, list[Column]] = {}
    removals: dict[str, list[Column]] = {}
    for part in parts:
        for columns, more in ((documents, part.documents), (removals, part.removals)):
            for name, values in more.items():
                columns.setdefault(name, []).append(values)
        out.quarantine += part.quarantine
        out.removed_by_rule.update(part.removed_by_rule)
        out.rejected_by_code.update(part.rejected_by_code)
        out.rejected += part.rejected
        out.quarantined += part.quarantined
    out.documents = {name: join_columns(values) for name, values in documents.items()}
    out.removals = {name: join_columns(values) for name, values in removals.items()} or out.removals
    return out


def stage(
    docs: list[Document], config: Config, stats: SiteLineStats, dedup: dd.DedupConfig, repairs: Repairs,
    run_id: str, cleaned_at: datetime, chunk: int = STAGE_CHUNK,
) -> Staged:
    """``stage_here``, in the workers when a pool is active: in chunks of ``chunk`` documents (one task
    each), so a worker holds one chunk's documents, results and pickles at a time, not a whole batch's.
    Results do not depend on the grouping (each document is cleaned with the run's statistics). Each chunk
    reads only its own repairs file when ``repairs`` is a ``repairs_to`` path of ``gather`` (with the same
    ``chunk``)."""

    def own_repairs(k: int) -> Repairs:  # chunk k reads only its own file of gather's repairs_to
        return (chunk_file(repairs, k),) if isinstance(repairs, Path) else repairs

    return _in_chunks(
        len(docs), chunk, lambda: stage_here(docs, config, stats, dedup, repairs, run_id, cleaned_at),
        lambda pool, k: pool.submit(stage_here, docs[k * chunk:(k + 1) * chunk], config, _share(stats, config),
                                    dedup, own_repairs(k), run_id, cleaned_at),
        merge_staged)


def gather(
    docs: list[Document], config: Config, repairs_to: Path | None = None, chunk: int = STAGE_CHUNK
) -> Gathered:
    """``gather_here``, in the workers when a pool is active: in chunks of ``chunk`` documents (one task
    each, like ``stage``), so every worker has a part of the pass's last batches (with one task per batch,
    one worker idled while the other finished the last one, then the flow waited for both). The chunks'
    records are concatenated (``merge_gathered``)."""
    return gather_later(docs, config, repairs_to, chunk)()


def gather_later(
    docs: list[Document], config: Config, repairs_to: Path | None = None, chunk: int = STAGE_CHUNK
) -> Callable[[], Gathered]:
    """``gather`` with its chunks submitted now: the returned function waits for them (so one thread can
    keep several batches in the workers)."""
    return _submit_chunks(
        len(docs), chunk, lambda: gather_here(docs, config, repairs_to, chunk),
        lambda pool, k: pool.submit(gather_here, docs[k * chunk:(k + 1) * chunk], config, repairs_to, chunk, k),
        merge_gathered)


def merge_gathered(parts: list[Gathered]) -> Gathered:
    """The ``Gathered`` of consecutive chunks of a batch, as one: document counts and repairs merged, the
    records of all chunks sorted by line key. A line counted in several chunks keeps one record per chunk
    (``RunSiteStats`` adds up the records of a (site, line) wherever they come from), so the verdicts are
    those of the whole batch gathered in one piece."""
    docs: Counter[str] = Counter()
    repairs: dict[str, Repair] = {}
    for part in parts:
        docs.update(part.stats.docs)
        repairs.update(part.repairs)
    records = np.concatenate([part.stats.records for part in parts]) if parts else np.empty(0, RECORD)
    return Gathered(CompactStats(docs, sort_records(records, "key", "site")), repairs)


def _in_chunks(
    n_docs: int, chunk: int, here: Callable[[], T], there: Callable[[ProcessPoolExecutor, int], Future[P]],
    merge: Callable[[list[P]], T],
) -> T:
    """``here()`` without an active pool (or documents), else ``merge`` of the results of ``there(pool, k)``
    for each chunk ``k`` of ``chunk`` documents (one task each). If a worker dies, the pool is given up and
    ``here()`` runs instead: the rest of the pass runs in the flow process."""
    return _submit_chunks(n_docs, chunk, here, there, merge)()


def _submit_chunks(
    n_docs: int, chunk: int, here: Callable[[], T], there: Callable[[ProcessPoolExecutor, int], Future[P]],
    merge: Callable[[list[P]], T],
) -> Callable[[], T]:
    """``_in_chunks`` in two steps: the chunks are submitted now, the returned function waits for them
    (``here`` runs when it is called if there is no pool, or if a worker died)."""
    pool = _active
    if pool is None or n_docs == 0:
        return here
    try:
        futures = [there(pool, k) for k in range(-(-n_docs // chunk))]
    except BrokenProcessPool:
        return partial(_given_up, pool, here)

    def collect() -> T:
        try:
            parts = [future.result() for future in futures]
        except BrokenProcessPool:
            return _given_up(pool, here)
        return merge(parts)

    return collect


def _given_up(pool: ProcessPoolExecutor, here: Callable[[], T]) -> T:
    global _active
    log.warning("a cleaning worker process died; the rest of this pass runs in the flow process")
    if _active is pool:
        _active = None
    return here()
