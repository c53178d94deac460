"""Reading presswash output, for downstream jobs. Only completed runs are visible: the reader follows the
index of completed runs to their manifests and reads exactly the shards a manifest lists, so a run being
written at the same time is never seen half-done.

    >>> for doc in read_documents("s3://bucket/news", run="latest"): ...      # doctest: +SKIP
    >>> table = dataset("s3://bucket/news", run="all").to_table()            # doctest: +SKIP

``run`` is ``"latest"`` (the last completed run), ``"all"`` (every completed run: the whole deduplicated
collection), a run id, or a list of run ids. ``table`` is one of documents, removals, quarantine,
duplicates, signatures. See docs/output.md for the schema.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from . import output, records
from .storage import S3Options, Storage, arrow_filesystem, open_storage


class ChecksumError(RuntimeError):
    """A shard's bytes do not match the checksum in its manifest."""


def list_runs(uri: str, options: S3Options | None = None) -> list[dict[str, Any]]:
    """Completed runs under ``uri``, oldest first: run id, start and finish time, format, counts, manifest."""
    return output.completed_runs(open_storage(uri, options))


def _manifests(storage: Storage, run: str | list[str]) -> list[dict[str, Any]]:
    entries = output.completed_runs(storage)
    if run == "latest":
        chosen = entries[-1:]
    elif run == "all":
        chosen = entries
    else:
        wanted = [run] if isinstance(run, str) else list(run)
        by_id = {e["run_id"]: e for e in entries}
        missing = [r for r in wanted if r not in by_id]
        if missing:
            raise ValueError(f"no completed run {', '.join(missing)} under {storage.uri}")
        chosen = [by_id[r] for r in wanted]
    if not chosen and run != "all":
        raise ValueError(f"no completed runs under {storage.uri}")
    return [output.read_json(storage, e["manifest"]) for e in chosen]


def manifest(uri: str, run: str = "latest", options: S3Options | None = None) -> dict[str, Any]:
    """The manifest of one completed run."""
    return _manifests(open_storage(uri, options), run)[0]


def _schema(table: str) -> pa.Schema:
    if table not in records.TABLES:
        raise ValueError(f"unknown table {table!r} (one of {', '.join(records.TABLES)})")
    return records.TABLES[table]


def read_table_shards(
    storage: Storage, manifests: list[dict[str, Any]], table: str, verify: bool = True
) -> Iterator[pa.Table]:
    """Each listed shard of ``table`` as an Arrow table, checked against its manifest checksum."""
    schema = _schema(table)
    for m in manifests:
        fmt = m["tables"].get(table, {}).get("format", m["format"])
        for shard in output.iter_shards(m, table):
            data = storage.get(shard["key"])
            if verify and hashlib.sha256(data).hexdigest() != shard["sha256"]:
                raise ChecksumError(f"{storage.url_of(shard['key'])}: checksum does not match the manifest")
            yield output.decode_table(data, schema, fmt)


def read_documents(
    uri: str,
    run: str | list[str] = "latest",
    *,
    table: str = "documents",
    limit: int | None = None,
    options: S3Options | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows of ``table`` (default: the cleaned documents) as plain dicts, shard by shard (flat memory)."""
    storage = open_storage(uri, options)
    schema = _schema(table)
    n = 0
    for part in read_table_shards(storage, _manifests(storage, run), table):
        for row in part.to_pylist():
            if limit is not None and n >= limit:
                return
            n += 1
            yield output.plain(row, schema)


def dataset(
    uri: str, run: str | list[str] = "latest", *, table: str = "documents", options: S3Options | None = None
) -> ds.Dataset:
    """A pyarrow Dataset over ``table`` of the chosen runs (Parquet shards are read lazily, in place),
    ready for DuckDB (``duckdb.sql("select ... from dset")``), pandas (``.to_table().to_pandas()``), Polars."""
    storage = open_storage(uri, options)
    schema = _schema(table)
    manifests = _manifests(storage, run)
    fs, base = arrow_filesystem(uri, options)
    parquet = [f"{base}/{s['key']}" for m in manifests if m["tables"].get(table, {}).get("format") == "parquet"
               for s in output.iter_shards(m, table)]
    others = [m for m in manifests if m["tables"].get(table, {}).get("format") != "parquet"]
    parts: list[ds.Dataset] = [ds.dataset(parquet, schema=schema, format="parquet", filesystem=fs)]
    if others:
        tables = list(read_table_shards(storage, others, table))
        parts.append(ds.dataset(pa.concat_tables(tables) if tables else schema.empty_table()))
    return parts[0] if len(parts) == 1 else ds.dataset(parts)
