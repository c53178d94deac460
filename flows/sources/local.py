"""Local files and directory trees: .txt, .html/.htm, .json, .jsonl and .jsonl.gz."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cleaners import Document

from .base import FieldMap, Item, ReadFailure

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
_SURROGATE = re.compile("[\ud800-\udfff]")


def kind_of(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(TEXT_SUFFIXES):
        return "text"
    if lower.endswith(HTML_SUFFIXES):
        return "html"
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl"
    return None


def utf8_safe(value: Any) -> Any:
    """JSON can escape lone surrogates (``"\\ud800"``) that no UTF-8 output can hold: they become U+FFFD."""
    if isinstance(value, str) and _SURROGATE.search(value):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def doc_from_record(record: Any, fields: FieldMap, default_id: str, source: str) -> Item:
    """Map one JSON object to a Document using the field map."""
    if not isinstance(record, dict):
        return ReadFailure(default_id, source, "bad-record", f"expected a JSON object, got {type(record).__name__}")
    record = {k: utf8_safe(v) for k, v in record.items()}
    text, html = record.get(fields.text), record.get(fields.html)
    if text is not None and not isinstance(text, str):
        return ReadFailure(default_id, source, "bad-record", f"field {fields.text!r} is not a string")
    if html is not None and not isinstance(html, str):
        return ReadFailure(default_id, source, "bad-record", f"field {fields.html!r} is not a string")
    if text is None and html is None:
        return ReadFailure(default_id, source, "bad-record", f"neither {fields.text!r} nor {fields.html!r} present")
    raw_id = record.get(fields.id)
    url = record.get(fields.url)
    meta = {k: str(record[k]) for k in fields.extra if isinstance(record.get(k), str | int | float)}
    return Document(
        id=str(raw_id) if raw_id not in (None, "") else default_id,
        text=text if html is None else None,
        html=html,
        url=url if isinstance(url, str) else None,
        source=source,
        meta=meta,
    )


def read_jsonl_bytes(data: bytes, name: str, fields: FieldMap, doc_prefix: str) -> Iterator[Item]:
    """Records of a JSONL (or single JSON) payload; each bad line becomes a ReadFailure."""
    if name.lower().endswith(".json") and data.lstrip()[:1] in (b"[", b"{"):
        try:
            payload = json.loads(data)
        except (ValueError, RecursionError) as exc:  # deeply nested JSON raises RecursionError
            yield ReadFailure(doc_prefix, name, "bad-json", str(exc), raw=data[:100_000])
            return
        records = payload if isinstance(payload, list) else [payload]
        for i, record in enumerate(records):
            yield doc_from_record(record, fields, f"{doc_prefix}:{i}", f"{name}#{i}")
        return
    for lineno, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:  # deeply nested JSON raises RecursionError
            yield ReadFailure(f"{doc_prefix}:{lineno}", f"{name}:{lineno}", "bad-json", str(exc), raw=line[:100_000])
            continue
        yield doc_from_record(record, fields, f"{doc_prefix}:{lineno}", f"{name}:{lineno}")


def decompress(data: bytes, name: str) -> bytes:
    if name.lower().endswith(".gz"):
        return gzip.decompress(data)
    return data


def read_file_bytes(data: bytes, name: str, rel_id: str, fields: FieldMap) -> Iterator[Item]:
    """Turn one file's bytes into items, whatever its kind (shared by local and S3 readers)."""
    kind = kind_of(name)
    if kind == "text":
        yield Document(id=rel_id, raw=data, source=name)
    elif kind == "html":
        yield Document(id=rel_id, html=data, source=name)
    elif kind == "jsonl":
        try:
            payload = decompress(data, name)
        except (OSError, EOFError, zlib.error) as exc:
            yield ReadFailure(rel_id, name, "bad-archive", f"{type(exc).__name__}: {exc}", raw=data[:100_000])
            return
        yield from read_jsonl_bytes(payload, name, fields, rel_id)


def strip_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


class LocalSource:
    """A file or a directory tree of supported files, read in sorted path order."""

    def __init__(self, path: str | Path, fields: FieldMap | None = None) -> None:
        self.path = Path(path).expanduser()
        self.uri = str(self.path)
        self.fields = fields or FieldMap()
        if not self.path.exists():
            raise FileNotFoundError(f"source not found: {self.path}")

    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*") if p.is_file() and kind_of(p.name) is not None)

    def __iter__(self) -> Iterator[Item]:
        base = self.path.parent if self.path.is_file() else self.path
        for path in self.files():
            rel = path.relative_to(base).as_posix()
            try:
                data = path.read_bytes()
            except OSError as exc:
                yield ReadFailure(strip_suffix(rel), str(path), "read-failed", f"{type(exc).__name__}: {exc}")
                continue
            yield from read_file_bytes(data, str(path), strip_suffix(rel), self.fields)
