"""The Prefect flow, as a table of contents:

    gather_all          the statistics pass (flows.stats_pass): per-site line statistics, one task run (one per
                        batch on Dask)
    clean_batch         per batch: clean, stage the results, commit the batch (skipped when already committed)
    decide_duplicates   once: exact and near-duplicates over the whole run and the earlier runs
    write_tables        once: final shards of documents, removals, duplicates, quarantine, signatures
    write_manifest      once: the run's manifest, always after every shard
    publish_run         once: the run's entry in the index of completed runs, then staging is removed

Re-running a completed run id writes nothing; re-running an interrupted one skips its committed batches.
Cleaning lives in ``cleaners``, I/O in ``sources``/``storage``/``output``.
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from cleaners import Config, Document, SiteLineStats
from cleaners import dedup as dd
from cleaners.dedup_table import CandidateTable

from . import memory, output, parallel, records, runners
from .credentials import resolve_s3_options
from .prefetch import prefetched
from .report import RunProgress, publish_run_report
from .retries import STORAGE_RETRIES, log_failed_batch
from .settings import RunSettings, new_run_id
from .signatures import FileSignatures
from .sitestats import learned_lines
from .sources import FetchOptions, FieldMap, ReadFailure, Source, open_source
from .stats_pass import batched, batches_in_flight, gather_all, opaque, repairs_file
from .storage import Storage, open_storage

ProgressHook = Callable[[int, int], None]
_progress_hooks: list[ProgressHook] = []
DupKey = tuple[str, str, str]


def add_progress_hook(hook: ProgressHook) -> None:
    """Called after each batch with (documents done, batches done); used by the CLI's progress bar."""
    _progress_hooks.append(hook)


def remove_progress_hook(hook: ProgressHook) -> None:
    _progress_hooks.remove(hook)


@dataclass
class BatchReport:
    index: int
    fingerprint: str
    docs_in: int = 0
    cleaned: int = 0
    """Documents that passed cleaning; the dedup step splits them into written and duplicates."""
    rejected: int = 0
    quarantined: int = 0
    removed_by_rule: Counter[str] = field(default_factory=Counter)
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    resumed: bool = False
    """Committed by an earlier attempt of this run and not cleaned again."""
    samples: list[tuple[str, int, str]] = field(default_factory=list)
    """(site, line key, spelling) of the run's boilerplate lines in this batch, for the run's report."""

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "removed_by_rule": dict(self.removed_by_rule),
                "rejected_by_code": dict(self.rejected_by_code)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchReport:
        return cls(**{**d, "removed_by_rule": Counter(d["removed_by_rule"]),
                      "rejected_by_code": Counter(d["rejected_by_code"]),
                      "samples": [tuple(x) for x in d.get("samples", [])]})


@dataclass(frozen=True)
class Run:
    """What identifies a run's output: its id and start time (kept in staging so a resume reuses it)."""

    run_id: str
    started_at: datetime

    @property
    def prefix(self) -> str:
        return output.run_prefix(self.run_id, self.started_at)

    @property
    def manifest_key(self) -> str:
        return output.manifest_key(self.run_id, self.started_at)


def open_run(storage: Storage, run_id: str) -> Run:
    """The run being resumed (its staged start time), or a new one."""
    key = output.staging_prefix(run_id) + "run.json"
    if storage.exists(key):
        return Run(run_id, datetime.fromisoformat(output.read_json(storage, key)["started_at"]))
    run = Run(run_id, output.now())
    output.write_json(storage, key, {"run_id": run_id, "started_at": run.started_at})
    return run


@task(name="clean-batch", cache_policy=NO_CACHE, **STORAGE_RETRIES, on_failure=[log_failed_batch])
def clean_batch(
    index: int, fingerprint: str, batch: list[Document | ReadFailure], settings: RunSettings,
    stats: SiteLineStats, run: Run, spool: Path | None = None,
) -> BatchReport:
    """Clean one batch and stage its results; the commit marker is written last. Skipped when committed."""
    storage = open_storage(settings.dest, settings.s3)
    marker = output.staged_key(run.run_id, fingerprint, "_COMMITTED.json")
    if storage.exists(marker):
        return BatchReport.from_dict({**output.read_json(storage, marker), "index": index, "resumed": True})
    report = BatchReport(index=index, fingerprint=fingerprint, docs_in=len(batch))
    docs = [item for item in batch if isinstance(item, Document)]
    held: list[dict[str, Any]] = []
    for item in batch:
        if isinstance(item, ReadFailure):
            held.append(records.failure_record(item, run.run_id))
            report.quarantined += 1
            report.rejected_by_code[item.code] += 1
    # cleaned, keyed and turned into rows in a worker process when the pass has a pool
    staged = parallel.stage(docs, settings.cleaning, stats, settings.dedup, repairs_file(spool, index),
                            run.run_id, run.started_at)
    # the smallest spelling per key (only their minimum is used: no need to sort)
    report.samples = records.sample_triples(staged.samples)
    report.removed_by_rule.update(staged.removed_by_rule)
    report.rejected_by_code.update(staged.rejected_by_code)
    report.cleaned = staged.cleaned
    report.rejected += staged.rejected
    report.quarantined += staged.quarantined
    held += staged.quarantine
    documents = records.staged_documents(staged.documents)
    staged_tables = {
        "documents": documents,
        "removals": records.staged_removals(staged.removals, documents),
        "quarantine": pa.Table.from_pylist(held, schema=records.QUARANTINE),
    }
    for name, table in staged_tables.items():
        output.put_table(storage, output.staged_key(run.run_id, fingerprint, f"{name}.arrow"), table)
    output.write_report_json(storage, marker, report.to_dict())  # ~1 MB per 1,000 documents (samples)
    return report


def _orders(columns: dict[str, list[Any]], seen: Counter[DupKey]) -> list[str]:
    """The last part of each staged row's dedup key (text hash, id, order); identical inputs repeated in a
    run get distinct keys."""
    orders = []
    for text, id_, url, source in zip(columns["text_sha256"], columns["id"], columns["url"], columns["source"],
                                      strict=True):
        base = (text, id_, records.dedup_order({"url": url, "source": source}))
        seen[base] += 1
        orders.append(f"{base[2]}\x00{seen[base]}")
    return orders


def _staged(storage: Storage, run: Run, report: BatchReport, name: str, cols: list[str] | None = None
            ) -> pa.Table:
    """A staged table of a batch (``name``: documents, removals or quarantine)."""
    return output.get_table(storage, output.staged_key(run.run_id, report.fingerprint, f"{name}.arrow"), cols)


def _documents_and_quarantine(storage: Storage, run: Run, report: BatchReport) -> tuple[pa.Table, pa.Table]:
    """A staged batch's documents and quarantine."""
    return _staged(storage, run, report, "documents"), _staged(storage, run, report, "quarantine")


@task(name="decide-duplicates", cache_policy=NO_CACHE, **STORAGE_RETRIES)
def decide_duplicates(settings: RunSettings, run: Run, reports: list[BatchReport]) -> CandidateTable:
    """One decision over every document of the run and the signatures of earlier completed runs.

    The run's documents are added first, in staged order, so a document's position in the table is its
    place in the staged batches (``write_tables`` reads them in the same order). Signatures are spooled
    to a local file while deciding: the table keeps ~300 bytes per document.
    """
    storage = open_storage(settings.dest, settings.s3)
    seen: Counter[DupKey] = Counter()
    cols = ["id", "url", "source", "text_sha256", "norm_sha256", "minhash"]
    with FileSignatures(4 * settings.dedup.num_perm) as store:
        table = CandidateTable(settings.dedup, store)
        for _, staged in prefetched(reports, lambda report: _staged(storage, run, report, "documents", cols)):
            columns = staged.to_pydict()
            table.add_many(columns["id"], columns["text_sha256"], columns["norm_sha256"],
                           [m or b"" for m in columns["minhash"]], run.run_id, _orders(columns, seen))
        for entry in output.completed_runs(storage):
            if entry["run_id"] == run.run_id:
                continue
            for shard in output.iter_shards(output.read_json(storage, entry["manifest"]), "signatures"):
                for row in output.iter_rows(storage, shard["key"]):
                    table.add(row["id"], row["text_sha256"], row["norm_sha256"], row["minhash"] or b"",
                              row["run_id"], prior=True)
        table.decide()  # the signatures are not read after this
    return table


def _write_documents(w: dict[str, output.ShardWriter],
                     batches: Iterable[tuple[BatchReport, tuple[pa.Table, pa.Table]]],
                     decisions: CandidateTable) -> tuple[Counter[str], list[np.ndarray]]:
    """Each staged batch's rows into the writers of documents (kept by the decision) and their signatures,
    duplicates and quarantine. Returns the duplicates by kind and each batch's kept mask."""
    kinds: Counter[str] = Counter()
    masks: list[np.ndarray] = []
    position = 0  # in decide_duplicates' table: the same staged rows in the same order
    for _, (documents, quarantine) in batches:
        n = documents.num_rows
        kept = decisions.dup_of[position : position + n] < 0
        dups = [(i, dup) for i in np.flatnonzero(~kept).tolist()
                if (dup := decisions.duplicate(position + i)) is not None]
        position += n
        w["duplicates"].add_table(records.duplicates_table(documents, dups))
        kinds.update(dup.kind for _, dup in dups)
        written = documents.filter(pa.array(kept))
        w["documents"].add_table(written)
        w["signatures"].add_table(written)
        w["quarantine"].add_table(quarantine)
        masks.append(kept)
    return kinds, masks


def _write_removals(w: output.ShardWriter, batches: Iterable[tuple[BatchReport, pa.Table]],
                    masks: list[np.ndarray]) -> None:
    """Each staged batch's removals of the documents written (``masks``: ``_write_documents``')."""
    for (_, removals), kept in zip(batches, masks, strict=True):
        w.add_table(removals.filter(pa.array(kept[removals["doc"].to_numpy()])))


@task(name="write-tables", cache_policy=NO_CACHE, **STORAGE_RETRIES)
def write_tables(
    settings: RunSettings, run: Run, reports: list[BatchReport], decisions: CandidateTable
) -> dict[str, Any]:
    """Final shards, in input order; deterministic names and bytes, so a retry or resume rewrites the same."""
    storage = open_storage(settings.dest, settings.s3)

    # complete shards are encoded and stored on a thread, one at a time, while the next batches are read
    with ThreadPoolExecutor(1, thread_name_prefix="presswash-shards") as encoder:
        w = {t: output.ShardWriter(storage, run.prefix, t, records.TABLES[t], settings.format,
                                   settings.shard_bytes, encoder)
             for t in ("documents", "removals", "duplicates", "quarantine")}
        w["signatures"] = output.ShardWriter(storage, run.prefix, "signatures", records.TABLES["signatures"],
                                             "parquet", settings.shard_bytes, encoder)
        # the tables one after the other, not batch by batch: the shards of documents (and the last ones of
        # signatures, duplicates, quarantine) are encoded while the removals are written, not all at the end
        kinds, masks = _write_documents(
            w, prefetched(reports, partial(_documents_and_quarantine, storage, run)), decisions)
        for name in ("documents", "signatures", "duplicates", "quarantine"):
            w[name].flush()  # the last shard of each, on the encoder now
        _write_removals(w["removals"], prefetched(reports, lambda r: _staged(storage, run, r, "removals")), masks)
        tables = {}
        for name, wr in w.items():
            shards = wr.close()
            tables[name] = {"format": wr.fmt, "columns": records.TABLES[name].names, "shards": shards,
                            "rows": sum(s["rows"] for s in shards)}
    return {"tables": tables, "duplicates_by_kind": dict(sorted(kinds.items()))}


@task(name="write-manifest", cache_policy=NO_CACHE, **STORAGE_RETRIES)
def write_manifest(
    settings: RunSettings, run: Run, reports: list[BatchReport], written: dict[str, Any],
    learned: dict[str, list[str]],
) -> dict[str, Any]:
    """Write the run's learned site boilerplate, then the manifest — always after every shard."""
    storage = open_storage(settings.dest, settings.s3)
    totals = Counter[str]()
    removed: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for r in reports:
        totals.update(docs_in=r.docs_in, rejected=r.rejected, quarantined=r.quarantined)
        removed.update(r.removed_by_rule)
        reasons.update(r.rejected_by_code)
    tables = written["tables"]
    counts = {
        "docs_in": totals["docs_in"],
        "written": tables["documents"]["rows"],
        "rejected": totals["rejected"],
        "quarantined": totals["quarantined"],
        "duplicates": tables["duplicates"]["rows"],
    }
    if counts["docs_in"] != sum(v for k, v in counts.items() if k != "docs_in"):
        raise RuntimeError(f"counts do not add up: {counts}")
    learned_key = f"{run.prefix}/site-boilerplate.json"
    output.write_json(storage, learned_key, learned)
    manifest = {
        "schema_version": records.SCHEMA_VERSION,
        "pipeline_version": records.pipeline_version(),
        "run_id": run.run_id,
        "source": settings.source,
        "dest": storage.uri,
        "format": settings.format,
        "prefix": run.prefix,
        "started_at": run.started_at.isoformat(),
        "finished_at": output.now().isoformat(),
        "counts": counts,
        "duplicates_by_kind": written["duplicates_by_kind"],
        "batches": {"total": len(reports), "resumed": sum(r.resumed for r in reports)},
        "removed_by_rule": dict(sorted(removed.items())),
        "rejected_by_code": dict(sorted(reasons.items())),
        "tables": tables,
        "site_boilerplate": learned_key,
        "config": settings.cleaning.to_dict(),
        "dedup": settings.dedup.to_dict(),
    }
    output.write_json(storage, run.manifest_key, manifest)
    return manifest


@task(name="publish-run", cache_policy=NO_CACHE, **STORAGE_RETRIES)
def publish_run(settings: RunSettings, run: Run, manifest: dict[str, Any]) -> None:
    """Add the run to the index of completed runs (readers see it from now on), then drop its staging."""
    storage = open_storage(settings.dest, settings.s3)
    output.write_json(storage, output.index_key(run.run_id), output.index_entry(manifest, run.manifest_key))
    output.delete_prefix(storage, output.staging_prefix(run.run_id))


def clean_all(
    settings: RunSettings, run: Run, stats: SiteLineStats, source: Source, spool: Path | None = None
) -> tuple[list[BatchReport], SiteLineStats]:
    """Submit every batch (bounded in flight, flat memory); reports in input order, and the spellings of
    the learned lines (merged as the reports come in: they are not kept with the reports)."""
    learned = stats.boilerplate(settings.cleaning)
    context = {"config": settings.cleaning.to_dict(), "dedup": settings.dedup.to_dict(),
               "site": {site: sorted(keys) for site, keys in learned.items()}, "schema": records.SCHEMA_VERSION,
               "staging": output.STAGING_VERSION}
    reports: list[BatchReport] = []
    samples = SiteLineStats()
    pending = []
    done_docs = 0

    def collect(report: BatchReport) -> None:
        nonlocal done_docs
        for site, key, line in report.samples:
            samples.sample(site, key, line)
        report.samples = []
        reports.append(report)
        memory.trim()  # the batch's buffers were freed on several threads' arenas
        done_docs += report.docs_in
        for hook in list(_progress_hooks):
            hook(done_docs, len(reports))

    for index, batch in enumerate(batched(source, settings.batch_size)):
        fingerprint = output.batch_fingerprint(batch, context)
        pending.append(clean_batch.submit(index, fingerprint, opaque(batch), settings, opaque(stats), run, spool))
        if len(pending) >= batches_in_flight(settings):
            collect(pending.pop(0).result())
    for future in pending:
        collect(future.result())
    return sorted(reports, key=lambda r: r.index), samples


def run_pipeline(settings: RunSettings) -> dict[str, Any]:
    """The flow's body, callable with a ready RunSettings (the CLI uses this through ``clean_articles``).

    While it runs, the objects that exist at its start (~300k: Prefect, pydantic, SQLAlchemy, modules) are
    left out of the garbage collector's full collections: the run allocates millions of objects (batches,
    results), which triggers a dozen of them, each scanning everything again (measured: 4.9 s of GC per
    10,000 documents in the flow process, 2.0 s with the freeze)."""
    gc.freeze()
    try:
        return _run_pipeline(settings)
    finally:
        gc.unfreeze()


def _run_pipeline(settings: RunSettings) -> dict[str, Any]:
    logger = get_run_logger()
    t0 = time.perf_counter()
    memory.tune()  # before the worker processes start: they inherit it
    storage = open_storage(settings.dest, settings.s3, create=True)
    if storage.exists(output.index_key(settings.run_id)):  # a completed run: nothing to do, nothing written
        entry = output.read_json(storage, output.index_key(settings.run_id))
        logger.info("run %s is already complete; nothing written", settings.run_id)
        return {**output.read_json(storage, entry["manifest"]), "seconds": 0.0,
                "manifest": storage.url_of(entry["manifest"])}
    run = open_run(storage, settings.run_id)

    source = open_source(settings.source, settings.fields, fmt=settings.source_format, fetch=settings.fetch,
                         s3=settings.s3)
    try:
        with tempfile.TemporaryDirectory(prefix="presswash-run-") as tmp:
            spool = Path(tmp)
            with parallel.worker_pool(settings.max_workers):  # CPU-bound passes use every core
                run_stats, total_docs = gather_all(settings, source, spool)
                stats = run_stats.for_cleaning(settings.cleaning)  # document counts and boilerplate lines only
                del run_stats
                progress = RunProgress(total_docs, settings.run_id)
                add_progress_hook(progress)
                try:
                    reports, samples = clean_all(settings, run, stats, source, spool)
                finally:
                    remove_progress_hook(progress)
    finally:
        if close := getattr(source, "close", None):  # fetching sources delete their spool
            close()
    learned = learned_lines(stats.boilerplate(settings.cleaning), samples)
    memory.trim()
    decisions = decide_duplicates(settings, run, opaque(reports))
    written = write_tables(settings, run, opaque(reports), opaque(decisions))
    del decisions
    manifest = write_manifest(settings, run, opaque(reports), written, opaque(learned))
    publish_run(settings, run, manifest)

    manifest["seconds"] = round(time.perf_counter() - t0, 3)
    manifest["manifest"] = storage.url_of(run.manifest_key)
    c = manifest["counts"]
    logger.info(
        "run %s: %d in, %d written, %d duplicates, %d rejected, %d quarantined in %.1fs (%d batches resumed)",
        run.run_id, c["docs_in"], c["written"], c["duplicates"], c["rejected"], c["quarantined"],
        manifest["seconds"], manifest["batches"]["resumed"],
    )
    return manifest


@flow(name="clean-articles", task_runner=runners.default_task_runner(), log_prints=True)
def clean_articles(
    source: str,
    dest: str,
    batch_size: int = 500,
    config: dict[str, Any] | None = None,
    endpoint_url: str | None = None,
    run_id: str | None = None,
    text_field: str = "text",
    html_field: str = "html",
    id_field: str = "id",
    url_field: str = "url",
    format: str = "parquet",
    shard_mb: float = 64.0,
    dedup: dict[str, Any] | None = None,
    source_format: str = "auto",
    fetch: dict[str, Any] | None = None,
    credentials_block: str | None = None,
    runner: str | None = None,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Clean the articles at ``source`` (a directory or file) into ``dest`` (a directory or s3://bucket/prefix).

    ``config`` holds cleaning options by name (see ``cleaners.Config``), ``dedup`` duplicate detection
    options (see ``cleaners.dedup.DedupConfig``); ``format`` is ``parquet`` or ``jsonl``. Pass the
    ``run_id`` of an interrupted run to resume it. ``source_format`` picks the reader (default: from the
    URI); ``fetch`` holds FetchOptions by name for URL, feed and sitemap sources. Returns the run's manifest.
    ``credentials_block`` names a ``presswash-s3`` block (else the AWS environment variables apply);
    ``runner``/``dask_address`` pick the task runner for this run (see ``flows.runners``).
    """
    settings = RunSettings(
        source=source,
        dest=dest,
        batch_size=batch_size,
        s3=resolve_s3_options(endpoint_url, credentials_block),
        fields=FieldMap(text=text_field, html=html_field, id=id_field, url=url_field),
        cleaning=Config.from_dict(config),
        format=format,
        shard_bytes=int(shard_mb * 2**20),
        dedup=dd.DedupConfig(**(dedup or {})),
        run_id=run_id or new_run_id(),
        source_format=source_format,
        fetch=FetchOptions.from_dict(fetch),
    )
    with runners.use_task_runner(runner, dask_address) as task_runner:
        manifest = run_pipeline(settings)
    publish_run_report(manifest, runners.describe(task_runner))
    return manifest
