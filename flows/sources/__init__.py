"""Readers. ``open_source`` picks one from the URI (or ``fmt``); each yields Documents (or ReadFailures).

| format  | input                                                        | module   |
|---------|--------------------------------------------------------------|----------|
| dir     | a local file or directory of .txt/.html/.json/.jsonl[.gz/.zst]/.warc[.gz] | local.py |
| jsonl   | the same, for one JSON/JSONL file                            | local.py |
| s3      | ``s3://bucket/prefix``: the same formats, streamed           | s3.py    |
| warc    | a WARC file, gzip or not                                     | warc.py  |
| urls    | a file with one URL per line, each fetched                   | urls.py  |
| feed    | an RSS/Atom feed (URL or file): the linked articles, fetched | feeds.py |
| sitemap | a sitemap or sitemap index (URL or file): the pages, fetched | feeds.py |
"""

from __future__ import annotations

import re
from pathlib import Path

from ..storage import S3Options
from .base import FieldMap, Item, ReadFailure, Source
from .feeds import LinkedSource
from .fetch import Fetcher, FetchOptions
from .local import LocalSource
from .s3 import S3Source
from .urls import FetchingSource, UrlListSource
from .warc import WarcSource

FORMATS = ("auto", "dir", "jsonl", "urls", "feed", "sitemap", "warc", "s3")
_URL_LINE = re.compile(rb"^\s*(#.*|https?://\S+)?\s*$")


def looks_like_url_list(path: Path) -> bool:
    """A ``.urls`` file, or a text file whose first lines are all URLs (or blank, or ``#`` comments)."""
    if path.suffix.lower() == ".urls":
        return True
    if not path.is_file() or path.suffix.lower() not in (".txt", ".lst", ".list", ""):
        return False
    with path.open("rb") as f:
        head = f.read(8192).splitlines()[:50]
    return any(line.strip() and not line.strip().startswith(b"#") for line in head) and all(
        _URL_LINE.match(line) for line in head[:-1] or head
    )


def detect_format(uri: str) -> str:
    """The format ``auto`` means for ``uri``."""
    lower = uri.lower()
    if lower.startswith("s3://"):
        return "s3"
    if lower.startswith(("http://", "https://")):
        return "listing"
    path = Path(uri.removeprefix("file://")).expanduser()
    if path.is_dir():
        return "dir"
    if lower.endswith((".warc", ".warc.gz")):
        return "warc"
    if lower.endswith((".xml", ".xml.gz", ".rss", ".atom")):
        return "listing"
    if looks_like_url_list(path):
        return "urls"
    return "dir"


def open_source(
    uri: str,
    fields: FieldMap | None = None,
    *,
    fmt: str = "auto",
    fetch: FetchOptions | None = None,
    s3: S3Options | None = None,
) -> Source:
    """A reader for ``uri``; ``fmt`` (one of FORMATS) overrides what the URI suggests."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown source format {fmt!r} (choose from {', '.join(FORMATS)})")
    kind = detect_format(uri) if fmt == "auto" else fmt
    local = uri.removeprefix("file://")
    if kind == "s3":
        return S3Source(uri, fields, s3)
    if kind in ("feed", "sitemap", "listing"):
        return LinkedSource(uri, "auto" if kind == "listing" else kind, fetch)
    if kind == "urls":
        return UrlListSource(local, fetch)
    if kind == "warc":
        return WarcSource(local)
    if "://" in uri and not uri.startswith("file://"):
        raise ValueError(f"unsupported source: {uri!r}")
    return LocalSource(local, fields)


__all__ = [
    "FORMATS",
    "FetchOptions",
    "Fetcher",
    "FetchingSource",
    "FieldMap",
    "Item",
    "LinkedSource",
    "LocalSource",
    "ReadFailure",
    "S3Source",
    "Source",
    "UrlListSource",
    "WarcSource",
    "detect_format",
    "open_source",
]
