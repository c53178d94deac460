"""Run settings: everything a run needs besides the cleaning Config, built once by the CLI or the flow."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cleaners import Config
from cleaners.dedup import DedupConfig

from . import parallel
from .sources import FetchOptions, FieldMap
from .storage import S3Options

_RUN_ID = re.compile(r"(?!\.+$)[A-Za-z0-9._-]{1,128}")


def new_run_id() -> str:
    """Sortable and unique: UTC time plus a random suffix, e.g. ``20261123T062000Z-3fa9c1``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RunSettings:
    source: str
    dest: str
    batch_size: int = 500
    """Documents per task. Tasks cost ~12 ms each in Prefect, so batches must be large."""
    max_workers: int = parallel.WORKERS
    """Worker processes that clean; they share each batch in chunks of ``parallel.STAGE_CHUNK`` documents."""
    run_id: str = field(default_factory=new_run_id)
    s3: S3Options = field(default_factory=S3Options)
    fields: FieldMap = field(default_factory=FieldMap)
    cleaning: Config = field(default_factory=Config)
    format: str = "parquet"
    """Output format of the tables: ``parquet`` or ``jsonl`` (gzipped JSON lines)."""
    shard_bytes: int = 64 * 2**20
    """Target size of one output shard (uncompressed estimate)."""
    dedup: DedupConfig = field(default_factory=DedupConfig)
    source_format: str = "auto"
    """How to read ``source`` (see ``flows.sources.FORMATS``); ``auto`` decides from the URI."""
    fetch: FetchOptions = field(default_factory=FetchOptions)
    """Politeness and safety of URL, feed and sitemap sources."""

    def __post_init__(self) -> None:
        if not _RUN_ID.fullmatch(self.run_id):  # it becomes part of every output key
            raise ValueError(f"run id must be 1-128 letters, digits, '.', '_' or '-', not {self.run_id!r}")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if self.format not in ("parquet", "jsonl"):
            raise ValueError(f"unknown output format {self.format!r} (parquet or jsonl)")
