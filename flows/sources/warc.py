"""WARC files (gzip or not), as Common Crawl writes them: each HTML response record becomes a Document.

Records that are not responses (request, metadata, warcinfo, ...) are skipped. Responses that are not
HTML, or redirects (3xx) and other non-error statuses, are skipped too: they are not articles. Error
responses (4xx/5xx) and unreadable records become ReadFailures, so a crawl's failures stay visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from cleaners import Document

from .base import Item, ReadFailure
from .local import Readable

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_RECORD_BYTES = 20_000_000
"""Larger payloads are quarantined as ``too-large`` without being held in memory."""


def is_html(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() in HTML_TYPES  # type: ignore[union-attr]


def read_warc_stream(stream: Readable, name: str) -> Iterator[Item]:
    """HTML responses of a WARC stream, in file order."""
    records = ArchiveIterator(stream)
    index = seen = 0
    try:
        for record in records:
            seen += 1
            if not str(record.format).startswith("warc"):  # warcio falls back to the lenient ARC parser
                yield ReadFailure(f"{name}#{index + 1}", name, "bad-archive", "not a WARC file")
                return
            if record.rec_type != "response":
                continue
            index += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            rec_id = record.rec_headers.get_header("WARC-Record-ID") or f"{name}#{index}"
            rec_id = rec_id.strip("<>").removeprefix("urn:uuid:")
            where = f"{name}#{index}"  # (get_record_offset() would consume the record's payload)
            http = record.http_headers
            if http is None:
                continue  # e.g. a DNS response: not a web page
            status = int(http.get_statuscode() or 0)
            content_type = http.get_header("Content-Type")
            if status >= 400:
                yield ReadFailure(rec_id, where, f"http-{status}", f"the crawl got HTTP {status}", url=url)
                continue
            if status != 200 or not is_html(content_type):
                continue
            body = record.content_stream().read(MAX_RECORD_BYTES + 1)
            if len(body) > MAX_RECORD_BYTES:
                why = f"payload over {MAX_RECORD_BYTES} bytes"
                yield ReadFailure(rec_id, where, "too-large", why, url=url)
                continue
            meta = {}
            if date := record.rec_headers.get_header("WARC-Date"):
                meta["crawl_date"] = date
            if record.rec_headers.get_header("WARC-Truncated"):
                meta["warc_truncated"] = record.rec_headers.get_header("WARC-Truncated")
            yield Document(id=rec_id, html=body, url=url, source=where, content_type=content_type, meta=meta)
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        yield ReadFailure(f"{name}#{index + 1}", name, "bad-archive", f"{type(exc).__name__}: {exc}")
        return
    if seen == 0:
        yield ReadFailure(f"{name}#1", name, "bad-archive", "no WARC records found")


class WarcSource:
    """One local WARC file (``.warc`` or ``.warc.gz``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.uri = str(self.path)
        if not self.path.is_file():
            raise FileNotFoundError(f"source not found: {self.path}")

    def __iter__(self) -> Iterator[Item]:
        with self.path.open("rb") as f:
            yield from read_warc_stream(f, str(self.path))
