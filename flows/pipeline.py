"""The Prefect flow: read the source in batches, clean each batch in a task, write shards, then the manifest.

Two passes over the source: the first gathers per-site line statistics (so the verdicts do not depend on
batching or order), the second cleans and writes. The flow only sequences tasks; cleaning lives in
``cleaners`` and I/O in ``sources``/``storage``/``output``.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from cleaners import Config, Document, SiteLineStats, is_failure

from . import output, parallel, records
from .settings import RunSettings
from .sources import FieldMap, ReadFailure, open_source
from .storage import S3Options, open_storage

T = TypeVar("T")


def opaque(value: T) -> T:
    """Hand a large value to a task without Prefect walking all of it in search of futures."""
    return cast(T, quote(value))


ProgressHook = Callable[[int, int], None]
_progress_hooks: list[ProgressHook] = []


def add_progress_hook(hook: ProgressHook) -> None:
    """Called after each batch with (documents done, batches done); used by the CLI's progress bar."""
    _progress_hooks.append(hook)


def remove_progress_hook(hook: ProgressHook) -> None:
    _progress_hooks.remove(hook)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


@dataclass
class BatchReport:
    index: int
    docs_in: int = 0
    written: int = 0
    rejected: int = 0
    quarantined: int = 0
    removed_by_rule: Counter[str] = field(default_factory=Counter)
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    shards: list[dict[str, Any]] = field(default_factory=list)


@task(name="gather-site-stats", cache_policy=NO_CACHE)
def gather_site_stats(batch: list[Document], config: Config) -> SiteLineStats:
    return parallel.site_stats(batch, config)  # in a worker process when the pass has a pool


@task(name="clean-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def clean_batch(
    index: int, batch: list[Document | ReadFailure], settings: RunSettings, stats: SiteLineStats
) -> BatchReport:
    """Clean one batch and write its shards. Retried as a whole: shard keys are deterministic."""
    storage = open_storage(settings.dest, settings.s3)
    report = BatchReport(index=index, docs_in=len(batch))
    docs = [item for item in batch if isinstance(item, Document)]
    kept: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    for item in batch:
        if isinstance(item, ReadFailure):
            held.append(records.failure_record(item, settings.run_id))
            report.quarantined += 1
            report.rejected_by_code[item.code] += 1
    for doc, result in zip(docs, parallel.clean(docs, settings.cleaning, stats), strict=True):
        report.removed_by_rule.update(result.removed_by_rule())
        if result.rejected is None:
            kept.append(records.document_record(result, settings.run_id))
            report.written += 1
            continue
        held.append(records.quarantine_record(result, doc, settings.run_id))
        report.rejected_by_code[result.rejected.code] += 1
        if is_failure(result.rejected):
            report.quarantined += 1
        else:
            report.rejected += 1
    for table, rows in (("documents", kept), ("quarantine", held)):
        if rows:
            key = output.shard_key(settings.run_id, table, index)
            report.shards.append({"table": table, **output.write_shard(storage, key, rows)})
    return report


@task(name="write-manifest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def write_manifest(
    settings: RunSettings, reports: list[BatchReport], stats: SiteLineStats, started: datetime
) -> dict[str, Any]:
    """Write the run's learned site boilerplate, then the manifest — always last."""
    storage = open_storage(settings.dest, settings.s3)
    totals = Counter[str]()
    removed: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    shards: list[dict[str, Any]] = []
    for r in sorted(reports, key=lambda r: r.index):
        totals.update(docs_in=r.docs_in, written=r.written, rejected=r.rejected, quarantined=r.quarantined)
        removed.update(r.removed_by_rule)
        reasons.update(r.rejected_by_code)
        shards.extend(r.shards)
    if totals["docs_in"] != totals["written"] + totals["rejected"] + totals["quarantined"]:
        raise RuntimeError(f"counts do not add up: {dict(totals)}")
    learned_key = f"{output.run_prefix(settings.run_id)}/site-boilerplate.json"
    output.write_json(storage, learned_key, stats.learned_lines(settings.cleaning))
    manifest = {
        "schema_version": records.SCHEMA_VERSION,
        "run_id": settings.run_id,
        "source": settings.source,
        "dest": storage.uri,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "counts": {k: totals[k] for k in ("docs_in", "written", "rejected", "quarantined")},
        "removed_by_rule": dict(sorted(removed.items())),
        "rejected_by_code": dict(sorted(reasons.items())),
        "shards": shards,
        "site_boilerplate": learned_key,
        "config": settings.cleaning.to_dict(),
    }
    output.write_json(storage, output.manifest_key(settings.run_id), manifest)
    return manifest


def run_pipeline(settings: RunSettings) -> dict[str, Any]:
    """The flow's body, callable with a ready RunSettings (the CLI uses this through ``clean_articles``)."""
    logger = get_run_logger()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    source = open_source(settings.source, settings.fields)
    open_storage(settings.dest, settings.s3, create=True)

    stats = SiteLineStats()
    with parallel.worker_pool(settings.max_workers):  # CPU-bound passes use every core
        gathering = []
        for batch in batched(source, settings.batch_size):
            docs = [item for item in batch if isinstance(item, Document)]
            gathering.append(gather_site_stats.submit(opaque(docs), settings.cleaning))
            if len(gathering) >= settings.max_workers * 2:
                stats.merge(gathering.pop(0).result())
        for gathered in gathering:
            stats.merge(gathered.result())

    reports: list[BatchReport] = []
    pending = []
    done_docs = 0
    with parallel.worker_pool(settings.max_workers, stats, settings.cleaning):
        for index, batch in enumerate(batched(source, settings.batch_size)):
            pending.append(clean_batch.submit(index, opaque(batch), settings, opaque(stats)))
            if len(pending) >= settings.max_workers * 2:  # bounded in-flight batches: flat memory
                report = pending.pop(0).result()
                reports.append(report)
                done_docs += report.docs_in
                for hook in list(_progress_hooks):
                    hook(done_docs, len(reports))
        for future in pending:
            report = future.result()
            reports.append(report)
            done_docs += report.docs_in
            for hook in list(_progress_hooks):
                hook(done_docs, len(reports))

    manifest = write_manifest(settings, opaque(reports), opaque(stats), started)
    manifest["seconds"] = round(time.perf_counter() - t0, 3)
    manifest["manifest"] = open_storage(settings.dest, settings.s3).url_of(output.manifest_key(settings.run_id))
    counts = manifest["counts"]
    logger.info(
        "run %s: %d in, %d written, %d rejected, %d quarantined in %.1fs",
        settings.run_id, counts["docs_in"], counts["written"], counts["rejected"], counts["quarantined"],
        manifest["seconds"],
    )
    return manifest


@flow(name="clean-articles", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
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
) -> dict[str, Any]:
    """Clean the articles at ``source`` (a directory or file) into ``dest`` (a directory or s3://bucket/prefix).

    ``config`` holds cleaning options by name (see ``cleaners.Config``); returns the run's manifest.
    """
    settings = RunSettings(
        source=source,
        dest=dest,
        batch_size=batch_size,
        s3=S3Options(endpoint_url=endpoint_url),
        fields=FieldMap(text=text_field, html=html_field, id=id_field, url=url_field),
        cleaning=Config.from_dict(config),
        **({"run_id": run_id} if run_id else {}),
    )
    return run_pipeline(settings)

