"""How results become output records (plain dicts, JSON-ready). One place defines the output schema."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cleaners import CleanResult, Document, is_failure

from .sources import ReadFailure

SCHEMA_VERSION = 1


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _removals(result: CleanResult) -> list[dict[str, Any]]:
    return [
        {"rule_id": r.rule_id, "line_no": r.line_no, "line": r.line,
         **({"score": r.score} if r.score is not None else {})}
        for r in result.removed
    ]


def document_record(result: CleanResult, run_id: str) -> dict[str, Any]:
    return {
        "id": result.id,
        "url": result.url,
        "source": result.source,
        "title": result.title,
        "text": result.text,
        "text_sha256": sha256(result.text),
        "removed": _removals(result),
        "encoding_fixes": result.encoding_fixes,
        "flags": result.flags,
        "meta": result.meta,
        "run_id": run_id,
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
        "removed": _removals(result),
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
