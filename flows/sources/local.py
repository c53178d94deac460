"""Local files and directory trees: .txt, .html/.htm, .json, .jsonl[.gz|.zst] and WARC files.

JSONL is read line by line from a (decompressing) stream, so a multi-GB file never sits in memory;
the same stream readers serve the S3 source.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol, cast

import orjson
import zstandard

from cleaners import Document

from .base import FieldMap, Item, ReadFailure

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".ndjson.gz", ".ndjson.zst", ".json")
WARC_SUFFIXES = (".warc", ".warc.gz")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES
MAX_FILE_BYTES = 200_000_000
"""Plain-text and HTML files larger than this are quarantined unread (JSONL and WARC are streamed)."""
MAX_LINE_BYTES = 100_000_000
"""A single JSONL line larger than this is quarantined (a file without newlines is not a JSONL file)."""
_CHUNK = 1 << 20
ARCHIVE_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)
_SURROGATE = re.compile("[\ud800-\udfff]")


class Readable(Protocol):
    """Anything with ``read(n)``: a file, a decompressing stream, a boto3 StreamingBody."""

    def read(self, size: int = ..., /) -> bytes: ...


def kind_of(name: str) -> str | None:
    lower = name.lower()
    for kind, suffixes in (("text", TEXT_SUFFIXES), ("html", HTML_SUFFIXES), ("jsonl", JSONL_SUFFIXES),
                           ("warc", WARC_SUFFIXES)):
        if lower.endswith(suffixes):
            return kind
    return None


def utf8_safe(value: Any) -> Any:
    """JSON can escape lone surrogates (``"\\ud800"``) that no UTF-8 output can hold: they become U+FFFD."""
    if isinstance(value, str) and _SURROGATE.search(value):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def may_hold_surrogates(line: bytes) -> bool:
    """Whether ``json.loads(line)`` can hold a lone surrogate: False for UTF-8 without a ``\\u`` escape
    and without the lead byte of an encoded surrogate (0xED; json decodes bytes with ``surrogatepass``)."""
    return b"\\u" in line or b"\xed" in line or not json.detect_encoding(line).startswith("utf-8")


def parse_line(line: bytes) -> tuple[Any, bool]:
    """``json.loads(line)``, and whether the value may hold a lone surrogate (``may_hold_surrogates``).

    orjson parses first (~2x faster); it refuses whatever could hold a lone surrogate (surrogate escapes
    without their pair, encoded surrogates, other encodings than UTF-8), NaN and infinities, and reads
    integers beyond 64 bits as floats. So when it fails, or gives a float anywhere, ``json`` parses as it
    always did, with the same errors."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    else:
        try:
            if not _has_float(value):
                return value, False
        except RecursionError:  # nested ~1,000 deep: json decides
            pass
    return json.loads(line), may_hold_surrogates(line)


def _has_float(value: Any) -> bool:
    """Whether a parsed JSON value holds a float anywhere (news records rarely nest, or hold floats)."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return type(value) is float
    return any(type(v) is float or (isinstance(v, dict | list) and _has_float(v)) for v in value)


def doc_from_record(record: Any, fields: FieldMap, default_id: str, source: str, surrogates: bool = True) -> Item:
    """Map one JSON object to a Document using the field map. ``surrogates=False``: the record is known to
    hold no lone surrogate (``may_hold_surrogates``), so its values need no ``utf8_safe``."""
    if not isinstance(record, dict):
        why = f"expected a JSON object, got {type(record).__name__}"
        return ReadFailure(default_id, source, "bad-record", why)
    if surrogates:
        record = {k: utf8_safe(v) for k, v in record.items()}
    text, html = record.get(fields.text), record.get(fields.html)
    if text is not None and not isinstance(text, str):
        return ReadFailure(default_id, source, "bad-record", f"field {fields.text!r} is not a string")
    if html is not None and not isinstance(html, str):
        return ReadFailure(default_id, source, "bad-record", f"field {fields.html!r} is not a string")
    if text is None and html is None:
        why = f"neither {fields.text!r} nor {fields.html!r} present"
        return ReadFailure(default_id, source, "bad-record", why)
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


def iter_lines(stream: Readable, max_line: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Lines of a binary stream read in 1 MiB chunks; an over-long line is yielded truncated, once."""
    pending = b""
    skipping = False
    while chunk := stream.read(_CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if skipping:
                skipping = False
                continue
            yield line
        if len(pending) > max_line and not skipping:
            yield pending  # the caller sees a line it cannot parse and quarantines it
            pending, skipping = b"", True
        elif skipping:
            pending = b""
    if pending and not skipping:
        yield pending


def decompressing(stream: Readable, name: str) -> Readable:
    """A stream of the decompressed bytes of ``name`` (``.gz``, ``.zst`` or plain)."""
    lower = name.lower()
    if lower.endswith(".gz"):
        return gzip.GzipFile(fileobj=cast(IO[bytes], stream), mode="rb")
    if lower.endswith(".zst"):
        return zstandard.ZstdDecompressor().stream_reader(cast(IO[bytes], stream), read_across_frames=True)
    return stream


def read_jsonl_stream(stream: Readable, name: str, fields: FieldMap, doc_prefix: str) -> Iterator[Item]:
    """Records of a JSONL stream; each bad line becomes a ReadFailure."""
    lineno = 0
    try:
        for lineno, line in enumerate(iter_lines(decompressing(stream, name)), start=1):
            if not line.strip():
                continue
            try:
                record, surrogates = parse_line(line)
            except (ValueError, RecursionError) as exc:  # deeply nested JSON raises RecursionError
                yield ReadFailure(f"{doc_prefix}:{lineno}", f"{name}:{lineno}", "bad-json", str(exc)[:500],
                                  raw=line[:100_000])
                continue
            yield doc_from_record(record, fields, f"{doc_prefix}:{lineno}", f"{name}:{lineno}", surrogates)
    except ARCHIVE_ERRORS as exc:
        yield ReadFailure(f"{doc_prefix}:{lineno + 1}", name, "bad-archive", f"{type(exc).__name__}: {exc}")


def read_json_bytes(data: bytes, name: str, fields: FieldMap, doc_prefix: str) -> Iterator[Item]:
    """A ``.json`` file: one object, an array of objects, or (if it does not parse as a whole) JSONL."""
    if data.lstrip()[:1] in (b"[", b"{"):
        try:
            payload = json.loads(data)
        except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
            payload = None
        if payload is not None:
            records = payload if isinstance(payload, list) else [payload]
            for i, record in enumerate(records):
                yield doc_from_record(record, fields, f"{doc_prefix}:{i}", f"{name}#{i}")
            return
    yield from read_jsonl_stream(io.BytesIO(data), name, fields, doc_prefix)  # source: the real file


def read_stream(stream: Readable, name: str, rel_id: str, fields: FieldMap) -> Iterator[Item]:
    """Turn one file's bytes (as a stream) into items, whatever its kind (shared by local and S3 readers)."""
    kind = kind_of(name)
    if kind == "jsonl" and not name.lower().endswith(".json"):
        yield from read_jsonl_stream(stream, name, fields, rel_id)
        return
    if kind == "warc":
        from .warc import read_warc_stream

        yield from read_warc_stream(stream, name)
        return
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        yield ReadFailure(rel_id, name, "too-large", f"file larger than {MAX_FILE_BYTES} bytes")
    elif kind == "text":
        yield Document(id=rel_id, raw=data, source=name)
    elif kind == "html":
        yield Document(id=rel_id, html=data, source=name)
    elif kind == "jsonl":
        yield from read_json_bytes(data, name, fields, rel_id)


def read_file_bytes(data: bytes, name: str, rel_id: str, fields: FieldMap) -> Iterator[Item]:
    """Items of one file already in memory."""
    yield from read_stream(io.BytesIO(data), name, rel_id, fields)


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
            rel = strip_suffix(path.relative_to(base).as_posix())
            try:
                with path.open("rb") as f:
                    yield from read_stream(f, str(path), rel, self.fields)
            except OSError as exc:
                yield ReadFailure(rel, str(path), "read-failed", f"{type(exc).__name__}: {exc}")
