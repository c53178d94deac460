"""Fetching sources: a list of URLs, fetched once and kept in a spool for the second pass.

The flow iterates a source twice (site statistics, then cleaning). A fetching source must not fetch
twice — that would double the load on the sites and could give different pages — so every fetched
body is written to a temporary spool directory (``FetchOptions.spool_dir``, default the system temp
dir) the first time and read back from there afterwards; only small metadata stays in memory. A
failure is remembered too (a failed URL is not retried on the second pass). The spool is deleted when
the source is closed or garbage-collected.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cleaners import Document

from .base import Item, ReadFailure
from .fetch import Fetcher, FetchOptions, Page, ordered_map

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Target:
    """A URL to fetch as an article, with what the listing said about it (title, date, ...)."""

    url: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Spooled:
    url: str
    final_url: str
    status: int
    content_type: str | None
    path: Path


class FetchingSource:
    """Base of URL-list, feed and sitemap sources: subclasses say what to fetch (``targets``)."""

    uri: str

    def __init__(self, uri: str, options: FetchOptions | None = None) -> None:
        self.uri = uri
        self.options = options or FetchOptions()
        self._fetcher: Fetcher | None = None
        self._spool: tempfile.TemporaryDirectory[str] | None = None
        self._cache: dict[str, _Spooled | ReadFailure] = {}
        self._lock = threading.Lock()
        self._targets: list[Target | ReadFailure] | None = None

    # --- what to fetch: overridden ----------------------------------------------------------------------
    def targets(self) -> Iterator[Target | ReadFailure]:
        raise NotImplementedError

    # --- fetching through the spool -----------------------------------------------------------------------
    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher(self.options)
        return self._fetcher

    def fetch(self, url: str) -> Page | ReadFailure:
        """The page at ``url``: from the spool if fetched before, else fetched now and spooled."""
        with self._lock:
            cached = self._cache.get(url)
        if cached is None:
            result = self.fetcher.get(url)
            cached = self._store(result) if isinstance(result, Page) else result
            with self._lock:
                self._cache[url] = cached
        if isinstance(cached, ReadFailure):
            return cached
        c = cached
        return Page(c.url, c.final_url, c.status, c.content_type, c.path.read_bytes())

    def _store(self, page: Page) -> _Spooled:
        with self._lock:
            if self._spool is None:
                self._spool = tempfile.TemporaryDirectory(prefix="pw-spool-", dir=self.options.spool_dir)
            root = Path(self._spool.name)
        path = root / hashlib.sha256(page.url.encode()).hexdigest()
        path.write_bytes(page.body)
        return _Spooled(page.url, page.final_url, page.status, page.content_type, path)

    @property
    def spool_path(self) -> Path | None:
        """The spool directory, once something was fetched (None before, and after ``close``)."""
        return Path(self._spool.name) if self._spool is not None else None

    def close(self) -> None:
        """Delete the spool and close connections (iterating again afterwards fetches again)."""
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None
        if self._spool is not None:
            self._spool.cleanup()
            self._spool = None
        self._cache.clear()

    # --- iteration ----------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Item]:
        if self._targets is None:
            self._targets = list(self.targets())
        yield from ordered_map(self._item, self._targets, self.options.concurrency)

    def _item(self, target: Target | ReadFailure) -> Item:
        if isinstance(target, ReadFailure):
            return target
        try:
            result = self.fetch(target.url)
        except Exception as exc:  # e.g. the spool disk is full: one URL fails, the run goes on
            return ReadFailure(target.url, target.url, "fetch-failed", f"{type(exc).__name__}: {exc}",
                               url=target.url)
        if isinstance(result, ReadFailure):
            return result
        return page_document(result, target.meta)


def page_document(page: Page, meta: dict[str, str] | None = None) -> Item:
    """A fetched page as a Document (HTML bytes undecoded: the cleaner reads the charset), or a failure."""
    mime = (page.content_type or "text/html").split(";")[0].strip().lower()
    info = dict(meta or {})
    if page.final_url != page.url:
        info["requested_url"] = page.url
    if mime in HTML_TYPES:
        return Document(id=page.url, html=page.body, url=page.final_url, source=page.url,
                        content_type=page.content_type, meta=info)
    if mime == "text/plain":
        return Document(id=page.url, raw=page.body, url=page.final_url, source=page.url,
                        content_type=page.content_type, meta=info)
    return ReadFailure(page.url, page.url, "not-html", f"content type {mime!r} is not an article page",
                       url=page.final_url)


def read_url_list(text: str) -> list[str]:
    """URLs of a list, one per line; blank lines and ``#`` comments skipped, repeats fetched once."""
    urls: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        url = line.strip()
        if url and not url.startswith("#") and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls


class UrlListSource(FetchingSource):
    """A file with one URL per line; each URL is fetched as an article page."""

    def __init__(self, path: str | Path, options: FetchOptions | None = None) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise FileNotFoundError(f"source not found: {self.path}")
        super().__init__(str(self.path), options)

    def targets(self) -> Iterator[Target | ReadFailure]:
        for url in read_url_list(self.path.read_text(encoding="utf-8", errors="replace")):
            yield Target(url)
