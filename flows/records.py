"""The output schema, in one place: how results become rows of the documents, quarantine, removals,
duplicates and signatures tables. Documented in docs/output.md; bump SCHEMA_VERSION on any change."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pyarrow as pa

from cleaners.dedup import Duplicate

from .rows import (
    REMOVAL_FIELDS,
    Column,
    Removal,
    Samples,
    Utf8Column,
    pipeline_version,
    quarantine_record,
    sha256,
    staged_document,
)
from .sources import ReadFailure

__all__ = ["pipeline_version", "quarantine_record", "sha256", "staged_document"]  # built in the workers

SCHEMA_VERSION = 2

_STR = pa.string()
_COUNTS = pa.map_(pa.string(), pa.int32())

DOCUMENTS = pa.schema([
    ("id", _STR), ("url", _STR), ("source", _STR), ("site", _STR), ("title", _STR), ("author", _STR),
    ("date", _STR), ("language", _STR), ("text", _STR), ("text_sha256", _STR), ("norm_sha256", _STR),
    ("cleaned_at", pa.timestamp("ms", tz="UTC")), ("run_id", _STR), ("pipeline_version", _STR),
    ("removed_lines", pa.int32()), ("removed_by_rule", _COUNTS), ("encoding_fixes", pa.list_(_STR)),
    ("flags", pa.list_(_STR)), ("meta", pa.map_(_STR, _STR)),
])
REMOVALS = pa.schema([
    ("doc_id", _STR), ("run_id", _STR), ("rule_id", _STR), ("line_no", pa.int32()), ("line", _STR),
    ("reason", _STR), ("score", pa.float64()),
])
QUARANTINE = pa.schema([
    ("id", _STR), ("url", _STR), ("source", _STR), ("status", _STR), ("code", _STR), ("message", _STR),
    ("text", _STR), ("removed_by_rule", _COUNTS), ("input_text", _STR), ("input_html", _STR),
    ("input_b64", _STR), ("run_id", _STR),
])
DUPLICATES = pa.schema([
    ("id", _STR), ("url", _STR), ("source", _STR), ("site", _STR), ("text_sha256", _STR),
    ("norm_sha256", _STR), ("kind", _STR), ("kept_id", _STR), ("kept_run_id", _STR),
    ("similarity", pa.float64()), ("run_id", _STR),
])
SIGNATURES = pa.schema([
    ("id", _STR), ("run_id", _STR), ("text_sha256", _STR), ("norm_sha256", _STR), ("minhash", pa.binary()),
])
STAGED = DOCUMENTS.append(pa.field("minhash", pa.binary()))
"""Internal: a cleaned, not yet deduplicated document, as staged between the clean and dedup steps."""
STAGED_REMOVALS = REMOVALS.append(pa.field("doc", pa.int32()))
"""Internal: the removals of a staged batch; ``doc`` is the document's row in the batch's STAGED table."""

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS, "quarantine": QUARANTINE, "removals": REMOVALS, "duplicates": DUPLICATES,
    "signatures": SIGNATURES,
}


def dedup_order(row: dict[str, Any]) -> str:
    """The last tie-break between documents with the same text hash and id (see cleaners.dedup)."""
    return f"{row.get('url') or ''}\x00{row.get('source') or ''}"


def arrow_column(values: Column) -> Any:
    """A column as ``pa.Table.from_pydict`` takes it: packed strings as an Arrow string array of their
    buffers (no decoding, no object per string), lists as they are."""
    if isinstance(values, Utf8Column) and values.offsets[-1] < 2**31:
        offsets = values.offsets.astype(np.int32)
        return pa.StringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(values.data))
    return list(values) if isinstance(values, Utf8Column) else values


def sample_triples(samples: Samples) -> list[tuple[str, int, str]]:
    """The smallest spelling per (site, key) of ``samples`` as (site, key, line), as ``Samples.smallest``
    gives them (in another order): grouped by Arrow, whose minimum of UTF-8 strings compares bytes, which
    orders as Python compares the strings (code point by code point). Unpacked lines (one did not encode)
    are merged in Python."""
    if not isinstance(samples.line, Utf8Column) or samples.line.offsets[-1] >= 2**31:
        return [(site, key, line) for (site, key), line in samples.smallest().items()]
    table = pa.table({"site": pa.array(samples.site, pa.int32()), "key": pa.array(samples.key, pa.uint64()),
                      "line": arrow_column(samples.line)})
    least = table.group_by(["site", "key"], use_threads=False).aggregate([("line", "min")])
    sites = samples.sites
    return [(sites[s], k, line) for s, k, line in zip(least["site"].to_pylist(), least["key"].to_pylist(),
                                                       least["line_min"].to_pylist(), strict=True)]


def staged_documents(columns: dict[str, Column]) -> pa.Table:
    """Staged rows (``staged_document``), given as columns (``flows.rows.add_row``), as a STAGED table."""
    return pa.Table.from_pydict({name: arrow_column(columns.get(name, [])) for name in STAGED.names},
                                schema=STAGED)


def staged_removals(removals: dict[str, Column], documents: pa.Table) -> pa.Table:
    """The removals of a batch's staged documents (a STAGED table), given as ``REMOVAL_FIELDS`` columns in
    document order (each document's ``removed_lines`` in turn: ``flows.rows.add_removals``), as a
    STAGED_REMOVALS table: ``removal_row`` of the document and removal, plus ``doc``, the document's row."""
    counts = documents["removed_lines"].to_numpy()
    if int(counts.sum()) != len(removals["rule_id"]):
        raise ValueError(f"{len(removals['rule_id'])} removals for documents that removed {int(counts.sum())} lines")
    doc = pa.array(np.repeat(np.arange(len(counts), dtype=np.int32), counts), type=pa.int32())
    columns: dict[str, Any] = {"doc_id": documents["id"].take(doc), "run_id": documents["run_id"].take(doc),
                               **{name: arrow_column(removals[name]) for name in REMOVAL_FIELDS}, "doc": doc}
    return pa.Table.from_pydict(columns, schema=STAGED_REMOVALS)


def removal_row(staged: dict[str, Any], removal: Removal) -> dict[str, Any]:
    """A row of the removals table: one removed line of a written document (the definition)."""
    return {"doc_id": staged["id"], "run_id": staged["run_id"], **dict(zip(REMOVAL_FIELDS, removal, strict=True))}


def duplicate_row(staged: dict[str, Any], dup: Duplicate) -> dict[str, Any]:
    return {
        **{k: staged[k] for k in ("id", "url", "source", "site", "text_sha256", "norm_sha256", "run_id")},
        "kind": dup.kind, "kept_id": dup.kept_id, "kept_run_id": dup.kept_run_id,
        "similarity": dup.similarity,
    }


def duplicates_table(staged: pa.Table, dups: list[tuple[int, Duplicate]]) -> pa.Table:
    """``duplicate_row`` of each (row of ``staged``, its decision), as a DUPLICATES table."""
    names = ["id", "url", "source", "site", "text_sha256", "norm_sha256", "run_id"]
    rows = staged.take(pa.array([i for i, _ in dups], type=pa.int64())).select(names).to_pylist()
    return pa.Table.from_pylist([duplicate_row(row, dup) for row, (_, dup) in zip(rows, dups, strict=True)],
                                schema=DUPLICATES)


def failure_record(failure: ReadFailure, run_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": failure.id,
        "url": failure.url,
        "source": failure.source,
        "status": "quarantined",
        "code": failure.code,
        "message": failure.message,
        "run_id": run_id,
    }
    if failure.raw:
        record["input_b64"] = base64.b64encode(failure.raw).decode("ascii")
    return record
