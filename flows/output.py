"""The output layout under a destination, shard encoding, staging with commit markers, manifest and index.

    DEST/runs/date=<YYYY-MM-DD>/run=<run_id>/   one run (the date is the run's start, UTC)
        documents/part-00000.parquet            cleaned, deduplicated documents
        removals/part-00000.parquet             removed-line audit of those documents
        quarantine/part-00000.parquet           rejected and failed inputs, with reasons
        duplicates/part-00000.parquet           duplicates, with the id of the kept document
        signatures/part-00000.parquet           dedup index: keys of the documents written
        site-boilerplate.json                   lines learned as per-site boilerplate
        manifest.json                           written LAST: shards, row counts, checksums, totals
    DEST/_index/runs/<run_id>.json          one entry per completed run, written after its manifest
    DEST/_staging/<run_id>/run.json         an unfinished run: its start time (kept for a resume)
    DEST/_staging/<run_id>/batches/<fingerprint>/{documents,removals,quarantine}.arrow, _COMMITTED.json

A reader that only follows ``_index`` → manifest → shards never sees a half-written run. The layout and
schema are documented in docs/output.md.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.abc
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .storage import Storage


class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("not while pyarrow looks for it")


def _lean_arrow() -> None:
    """Keep Arrow's footprint in the flow process small (measured: ~90 MB less peak RSS).

    - Arrow's default allocator (mimalloc) keeps ~45 MB of arenas after the first table; the system
      allocator returns what it can.
    - Building any array from Python objects makes pyarrow try ``import pandas`` once (to recognise
      DataFrames; ~46 MB and ~1 s). Shards are built from lists only, so that first try is made to fail,
      which pyarrow remembers; the import hook is removed at once, so others can still import pandas.
    """
    pa.set_memory_pool(pa.system_memory_pool())
    if "pandas" in sys.modules:
        return
    hook = _NoPandas()
    sys.meta_path.insert(0, hook)
    try:
        pa.array([""])
    except ImportError:
        pass
    finally:
        sys.meta_path.remove(hook)


_lean_arrow()

FORMATS = ("parquet", "jsonl")
INDEX_PREFIX = "_index/runs/"
STAGING_PREFIX = "_staging/"
EXTENSIONS = {"parquet": "parquet", "jsonl": "jsonl.gz"}


# --- layout ---------------------------------------------------------------------------------------------

def run_prefix(run_id: str, started_at: datetime) -> str:
    return f"runs/date={started_at:%Y-%m-%d}/run={run_id}"


def manifest_key(run_id: str, started_at: datetime) -> str:
    return f"{run_prefix(run_id, started_at)}/manifest.json"


def index_key(run_id: str) -> str:
    return f"{INDEX_PREFIX}{run_id}.json"


def staging_prefix(run_id: str) -> str:
    return f"{STAGING_PREFIX}{run_id}/"


def staged_key(run_id: str, fingerprint: str, name: str) -> str:
    return f"{staging_prefix(run_id)}batches/{fingerprint}/{name}"


# --- encoding -------------------------------------------------------------------------------------------

def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def plain(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """A row as plain Python values: map columns as dicts (Arrow gives lists of pairs)."""
    out = dict(row)
    for f in schema:
        if pa.types.is_map(f.type) and isinstance(out.get(f.name), list):
            out[f.name] = dict(out[f.name])
    return out


def encode(rows: list[dict[str, Any]], schema: pa.Schema, fmt: str) -> bytes:
    """Rows → shard bytes. The same rows always give the same bytes (and checksum)."""
    if fmt == "parquet":
        return parquet_bytes(pa.Table.from_pylist(rows, schema=schema))
    if fmt == "jsonl":
        return gzip_lines(jsonl_line(row, schema) for row in rows)
    raise ValueError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")


def write_parquet(table: pa.Table, where: str | io.BytesIO) -> None:
    """Encode ``table`` as a Parquet file into ``where`` (a path or a buffer): the same bytes either way."""
    pq.write_table(table, where, compression="zstd")


def parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    write_parquet(table, buf)
    return buf.getvalue()


def jsonl_line(row: dict[str, Any], schema: pa.Schema) -> bytes:
    line = json.dumps(plain(row, schema), ensure_ascii=False, sort_keys=True, default=json_default)
    return line.encode("utf-8") + b"\n"


def gzip_writer(sink: Any) -> gzip.GzipFile:
    """The gzip stream of a JSONL shard: no file name, mtime 0 (same lines, same bytes), level 1 (9: 3x the
    CPU, 13% smaller)."""
    return gzip.GzipFile(filename="", fileobj=sink, mode="wb", mtime=0, compresslevel=1)


def gzip_lines(lines: Iterable[bytes]) -> bytes:
    buf = io.BytesIO()
    with gzip_writer(buf) as gz:
        for line in lines:
            gz.write(line)
    return buf.getvalue()


def decode_table(data: bytes, schema: pa.Schema, fmt: str) -> pa.Table:
    """Shard bytes → an Arrow table with ``schema`` (JSONL values are converted back to their types)."""
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data)).cast(schema)
    rows = [json.loads(line) for line in gzip.decompress(data).splitlines() if line.strip()]
    for row in rows:
        for f in schema:
            value = row.get(f.name)
            if value is None:
                continue
            if pa.types.is_timestamp(f.type):
                row[f.name] = datetime.fromisoformat(value)
            elif pa.types.is_map(f.type):
                row[f.name] = list(value.items())
            elif pa.types.is_binary(f.type):
                row[f.name] = bytes.fromhex(value)
    return pa.Table.from_pylist(rows, schema=schema)


_SIZED = (str, bytes)


def row_size(row: dict[str, Any]) -> int:
    """A cheap estimate of a row's size in bytes, for sizing shards: the length of text and bytes values,
    8 for any other value, 16 for the row. (A plain loop with a tuple ``isinstance``: called for every row
    of every table, ~4x faster than ``sum`` over a generator with a union type.)"""
    size = 16
    for value in row.values():
        size += len(value) if isinstance(value, _SIZED) else 8
    return size


def row_sizes(table: pa.Table) -> np.ndarray:
    """``row_size`` of every row of ``table`` (as ``to_pylist`` gives it), computed on the columns."""
    sizes = np.full(table.num_rows, 16 + 8 * table.num_columns, dtype=np.int64)
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            lengths = pc.utf8_length(column)  # code points, as len(str)
        elif pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            lengths = pc.binary_length(column)
        else:
            continue
        sizes += lengths.fill_null(8).to_numpy() - 8
    return sizes


class ShardWriter:
    """Writes rows of one table into shards of about ``target_bytes`` (uncompressed estimate) each.

    Rows come one by one (``add``, Python dicts) or as Arrow tables (``add_table``: the same rows, sized
    and cut into chunks exactly as ``add`` would, without becoming Python objects). They are held only in
    chunks of about ``CHUNK_BYTES``: each full chunk is turned into its compact form at once and spooled to
    a local temporary file (one Arrow IPC record batch, or the gzip stream of the JSON lines), so the
    writers of a run hold almost nothing in memory until a shard is complete; then only that shard is read
    back (memory-mapped) and encoded. The bytes are the same as encoding the shard's rows at once (one Arrow
    chunk per compacted chunk, as before; tests/test_output.py).
    """

    CHUNK_BYTES = 4 * 2**20

    def __init__(self, storage: Storage, prefix: str, table: str, schema: pa.Schema, fmt: str,
                 target_bytes: int, encoder: Executor | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")
        self.storage, self.prefix, self.table, self.schema, self.fmt = storage, prefix, table, schema, fmt
        self.target_bytes = max(1, target_bytes)
        self.rows: list[dict[str, Any]] = []
        self.parts: list[pa.Table | list[dict[str, Any]]] = []
        """The current chunk before ``rows``, in order: Arrow slices (``add_table``) and rows."""
        self.chunk_size = 0
        self.count = 0
        self.size = 0
        self.shards: list[dict[str, Any]] = []
        self._spool: _Spool | None = None
        self.encoder = encoder
        """Where complete shards are encoded and stored (a thread: the caller goes on meanwhile); else here."""
        self._done: list[Future[dict[str, Any]]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        n = row_size(row)
        self.size += n
        self.chunk_size += n
        self.count += 1
        if self.size >= self.target_bytes:
            self.flush()
        elif self.chunk_size >= self.CHUNK_BYTES:
            self._compact()

    def add_table(self, table: pa.Table) -> None:
        """The rows of ``table`` (columns as in ``schema``), in order: the same shards as ``add`` per row."""
        table = table.select(self.schema.names)
        if self.fmt != "parquet":  # JSON lines are encoded row by row anyway
            for row in table.to_pylist():
                self.add(row)
            return
        # ``add``'s cuts found on the running total of the row sizes (all > 0): the first row at which the shard
        # or the chunk reaches its limit, then the same from the next row on
        ends = np.cumsum(row_sizes(table))
        start, before = 0, 0  # the rows taken so far and their total size
        while start < table.num_rows:
            limit = min(self.target_bytes - self.size, self.CHUNK_BYTES - self.chunk_size)
            last = int(np.searchsorted(ends, before + limit, side="left"))
            stop = min(max(last + 1, start + 1), table.num_rows)
            grown = int(ends[stop - 1]) - before
            self._take(table.slice(start, stop - start))
            self.size += grown
            self.chunk_size += grown
            self.count += stop - start
            start, before = stop, before + grown
            if self.size >= self.target_bytes:
                self.flush()
            elif self.chunk_size >= self.CHUNK_BYTES:
                self._compact()

    def _take(self, part: pa.Table) -> None:
        if self.rows:
            self.parts.append(self.rows)
            self.rows = []
        self.parts.append(part)

    def _chunk(self) -> pa.Table | list[dict[str, Any]]:
        """The current chunk: rows only (as before ``add_table``), or one Arrow table."""
        if not self.parts:
            return self.rows
        if self.rows:
            self.parts.append(self.rows)
        tables = [p if isinstance(p, pa.Table) else pa.Table.from_pylist(p, schema=self.schema)
                  for p in self.parts]
        return pa.concat_tables(tables).combine_chunks()

    def _compact(self) -> None:
        if self._spool is None:
            self._spool = _Spool(self.schema, self.fmt)
        self._spool.write(self._chunk())
        self.rows, self.parts, self.chunk_size = [], [], 0

    def flush(self) -> None:
        if not self.count:
            return
        self._compact()
        assert self._spool is not None
        key = f"{self.prefix}/{self.table}/part-{len(self._done):05d}.{EXTENSIONS[self.fmt]}"
        spool, rows = self._spool, self.count
        self._spool = None
        self.count, self.size = 0, 0
        if self.encoder is None:
            done: Future[dict[str, Any]] = Future()
            done.set_result(self._store(key, spool, rows))
        else:
            done = self.encoder.submit(self._store, key, spool, rows)
        self._done.append(done)

    def _store(self, key: str, spool: _Spool, rows: int) -> dict[str, Any]:
        data = spool.finish()
        self.storage.put(key, data)
        return {"key": key, "rows": rows, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def close(self) -> list[dict[str, Any]]:
        """The shards, once every one is stored."""
        self.flush()
        self.shards = [done.result() for done in self._done]
        return self.shards


class _Spool:
    """One shard's compacted chunks in a local temporary file, removed when the shard is encoded."""

    def __init__(self, schema: pa.Schema, fmt: str) -> None:
        self.schema, self.fmt = schema, fmt
        fd, self.path = tempfile.mkstemp(prefix="presswash-shard-")
        os.close(fd)
        self.sink: Any = None
        self.gz: gzip.GzipFile | None = None
        if fmt == "parquet":
            self.sink = pa.OSFile(self.path, "wb")
            self.ipc = pa.ipc.new_stream(self.sink, schema)
        else:
            self.sink = open(self.path, "wb")  # noqa: SIM115 (closed in finish)
            self.gz = gzip_writer(self.sink)  # one write per line, as gzip_lines

    def write(self, chunk: pa.Table | list[dict[str, Any]]) -> None:
        if self.gz is not None:
            rows = chunk.to_pylist() if isinstance(chunk, pa.Table) else chunk
            for row in rows:
                self.gz.write(jsonl_line(row, self.schema))
            return
        table = chunk if isinstance(chunk, pa.Table) else pa.Table.from_pylist(chunk, schema=self.schema)
        for batch in table.to_batches():
            self.ipc.write_batch(batch)

    def finish(self) -> bytes:
        """The shard's bytes (the file is removed)."""
        try:
            if self.gz is not None:
                self.gz.close()
                self.sink.close()
                with open(self.path, "rb") as f:
                    return f.read()
            self.ipc.close()
            self.sink.close()
            # encoded into a file, read back once the chunks are unmapped: the shard's columns and its encoded
            # bytes are not in memory at once (64 MB shard, 27 MB encoded: peak +95 MB -> +65 MB)
            encoded = self.path + ".parquet"
            try:
                with pa.memory_map(self.path) as source:
                    table = pa.ipc.open_stream(source).read_all()
                    write_parquet(table, encoded)
                    del table
                with open(encoded, "rb") as f:
                    return f.read()
            finally:
                if os.path.exists(encoded):
                    os.remove(encoded)
        finally:
            os.remove(self.path)


# --- staging --------------------------------------------------------------------------------------------

def batch_fingerprint(items: Iterable[Any], context: dict[str, Any]) -> str:
    """A batch's identity: its inputs (ids, URLs, content hashes) and everything that shapes its output."""
    h = hashlib.sha256(json.dumps(context, sort_keys=True, default=str).encode("utf-8"))
    for item in items:
        for part in (type(item).__name__, item.id, getattr(item, "url", None), getattr(item, "source", None)):
            h.update(b"\x1f" + str(part).encode("utf-8"))
        for payload in (getattr(item, "text", None), getattr(item, "html", None), getattr(item, "raw", None)):
            data = payload.encode("utf-8") if isinstance(payload, str) else payload or b""
            h.update(b"\x1e" + hashlib.sha256(data).digest())
        meta = getattr(item, "meta", None) or {}
        h.update(json.dumps(sorted(meta.items())).encode("utf-8"))
        if code := getattr(item, "code", None):
            h.update(str(code).encode("utf-8"))
    return h.hexdigest()[:32]


STAGING_VERSION = 2
"""The layout of a staged batch (part of its fingerprint: batches staged in another layout are redone)."""


def put_table(storage: Storage, key: str, table: pa.Table) -> None:
    """A staged table: an Arrow IPC stream, zstd-compressed (faster to write and read back than Parquet)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
        w.write_table(table)
    storage.put(key, sink.getvalue().to_pybytes())


def get_table(storage: Storage, key: str, columns: list[str] | None = None) -> pa.Table:
    """A staged table; with ``columns``, only those are decompressed (not the documents' texts)."""
    data = pa.py_buffer(storage.get(key))
    if columns is None:
        return pa.ipc.open_stream(data).read_all()
    schema = pa.ipc.open_stream(data).schema
    fields = sorted({schema.get_field_index(name) for name in columns})
    if fields[:1] == [-1]:
        raise KeyError(f"{key} has no column among {columns} (or a name twice)")
    options = pa.ipc.IpcReadOptions(included_fields=fields)
    return pa.ipc.open_stream(data, options=options).read_all().select(columns)


def iter_rows(storage: Storage, key: str, columns: list[str] | None = None, batch_rows: int = 4096
              ) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet object a few thousand at a time (a whole shard as dicts is several times
    its size in memory)."""
    for batch in pq.ParquetFile(io.BytesIO(storage.get(key))).iter_batches(batch_rows, columns=columns):
        yield from batch.to_pylist()


def delete_prefix(storage: Storage, prefix: str) -> None:
    storage.delete_many(list(storage.list(prefix)))


# --- manifests and the index ----------------------------------------------------------------------------

def write_json(storage: Storage, key: str, payload: Any, indent: int | None = 2) -> None:
    """``payload`` as JSON; ``indent=None`` for files only the pipeline reads (3x faster: ``json`` encodes
    indented output in Python, compact output in C)."""
    data = json.dumps(payload, indent=indent, sort_keys=True, ensure_ascii=False, default=json_default)
    storage.put(key, data.encode("utf-8"))


def write_report_json(storage: Storage, key: str, report: dict[str, Any]) -> None:
    """A batch's report (its commit marker: str keys, ints, strings, lists) as compact JSON that
    ``read_json`` reads as ``write_json(..., indent=None)`` wrote it: with orjson (~5x faster on the
    ~10,000 samples of a batch), or ``json`` for anything orjson refuses (e.g. lone surrogates: then ``json``
    fails the same way as before)."""
    try:
        data = orjson.dumps(report, default=json_default, option=orjson.OPT_SORT_KEYS
                            | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
    except orjson.JSONEncodeError:
        data = json.dumps(report, sort_keys=True, ensure_ascii=False, default=json_default).encode("utf-8")
    storage.put(key, data)


def read_json(storage: Storage, key: str) -> Any:
    return json.loads(storage.get(key))


def index_entry(manifest: dict[str, Any], manifest_key: str) -> dict[str, Any]:
    keep = ("run_id", "started_at", "finished_at", "format", "schema_version", "pipeline_version", "counts")
    return {**{k: manifest[k] for k in keep}, "manifest": manifest_key}


def completed_runs(storage: Storage) -> list[dict[str, Any]]:
    """Index entries of completed runs, oldest first (by finish time, then run id)."""
    entries = [read_json(storage, key) for key in storage.list(INDEX_PREFIX) if key.endswith(".json")]
    return sorted(entries, key=lambda e: (e["finished_at"], e["run_id"]))


def unfinished_runs(storage: Storage) -> list[dict[str, Any]]:
    """Runs started under this destination and not completed (resumable), oldest first."""
    entries = [read_json(storage, k) for k in storage.list(STAGING_PREFIX) if k.count("/") == 2
               and k.endswith("/run.json")]
    done = {e["run_id"] for e in completed_runs(storage)}
    return sorted((e for e in entries if e["run_id"] not in done), key=lambda e: (e["started_at"], e["run_id"]))


def iter_shards(manifest: dict[str, Any], table: str) -> Iterator[dict[str, Any]]:
    yield from manifest["tables"].get(table, {}).get("shards", [])


def now() -> datetime:
    return datetime.now(UTC)
