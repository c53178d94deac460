"""The output schema, in one place: how results become rows of the documents, quarantine, removals,
duplicates and signatures tables. Documented in docs/output.md; bump SCHEMA_VERSION on any change."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import Any

import pyarrow as pa

from cleaners import CleanResult, Document, is_failure
from cleaners.dedup import Duplicate, Keys
from cleaners.sitewide import site_of

from .sources import ReadFailure

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
STAGED = DOCUMENTS.append(pa.field("minhash", pa.binary())).append(pa.field("removed_json", _STR))
"""Internal: a cleaned, not yet deduplicated document, as staged between the clean and dedup steps."""

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS, "quarantine": QUARANTINE, "removals": REMOVALS, "duplicates": DUPLICATES,
    "signatures": SIGNATURES,
}


@cache
def pipeline_version() -> str:
    try:
        return metadata.version("presswash")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dedup_order(row: dict[str, Any]) -> str:
    """The last tie-break between documents with the same text hash and id (see cleaners.dedup)."""
    return f"{row.get('url') or ''}\x00{row.get('source') or ''}"


def staged_document(result: CleanResult, keys: Keys, run_id: str, cleaned_at: datetime) -> dict[str, Any]:
    """A cleaned document with its duplicate keys and its removals, before the dedup decision."""
    meta = dict(result.meta)
    known = {k: meta.pop(k, None) for k in ("title", "author", "date", "language", "site", "sitename")}
    return {
        "id": result.id,
        "url": result.url,
        "source": result.source,
        "site": known["site"] or known["sitename"] or site_of(result.url),
        "title": result.title or known["title"],
        "author": known["author"],
        "date": known["date"],
        "language": known["language"],
        "text": result.text,
        "text_sha256": sha256(result.text),
        "norm_sha256": keys.norm_sha256,
        "cleaned_at": cleaned_at,
        "run_id": run_id,
        "pipeline_version": pipeline_version(),
        "removed_lines": len(result.removed),
        "removed_by_rule": sorted(result.removed_by_rule().items()),
        "encoding_fixes": list(result.encoding_fixes),
        "flags": list(result.flags),
        "meta": sorted(meta.items()),
        "minhash": keys.minhash,
        "removed_json": json.dumps(
            [[r.rule_id, r.line_no, r.line, r.reason, r.score] for r in result.removed], ensure_ascii=False
        ),
    }


def document_row(staged: dict[str, Any]) -> dict[str, Any]:
    return {k: staged[k] for k in DOCUMENTS.names}


def removal_rows(staged: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"doc_id": staged["id"], "run_id": staged["run_id"], "rule_id": rule_id, "line_no": line_no,
         "line": line, "reason": reason or None, "score": score}
        for rule_id, line_no, line, reason, score in json.loads(staged["removed_json"])
    ]


def signature_row(staged: dict[str, Any]) -> dict[str, Any]:
    return {k: staged[k] for k in SIGNATURES.names}


def duplicate_row(staged: dict[str, Any], dup: Duplicate) -> dict[str, Any]:
    return {
        **{k: staged[k] for k in ("id", "url", "source", "site", "text_sha256", "norm_sha256", "run_id")},
        "kind": dup.kind, "kept_id": dup.kept_id, "kept_run_id": dup.kept_run_id,
        "similarity": dup.similarity,
    }


def _original(doc: Document | None) -> dict[str, Any]:
    """The input itself, so a quarantined document can be re-processed later: nothing is lost."""
    if doc is None:
        return {}
    if doc.text is not None:
        return {"input_text": doc.text}
    payload = doc.html if doc.html is not None else doc.raw
    if isinstance(payload, str):
        return {"input_html": payload}
    if payload is not None:
        return {"input_b64": base64.b64encode(payload).decode("ascii")}
    return {}


def quarantine_record(result: CleanResult, doc: Document | None, run_id: str) -> dict[str, Any]:
    assert result.rejected is not None
    return {
        "id": result.id,
        "url": result.url,
        "source": result.source,
        "status": "quarantined" if is_failure(result.rejected) else "rejected",
        "code": result.rejected.code,
        "message": result.rejected.message,
        "text": result.text,
        "removed_by_rule": sorted(result.removed_by_rule().items()),
        "run_id": run_id,
        **_original(doc),
    }


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
