"""RSS/Atom feeds and sitemaps (with sitemap indexes): the articles they link to, fetched politely.

The feed or sitemap itself may be a URL (fetched through the same guarded client) or a local file.
XML is parsed with lxml set up safely: no entity resolution, no network access, no huge trees, no
DTD loading — so a hostile feed cannot read local files or blow up memory.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from .base import ReadFailure
from .fetch import FetchOptions, Page
from .urls import FetchingSource, Target, page_document

MAX_SITEMAPS = 1000
"""Sitemaps read per source at most (an index of indexes can be huge)."""
MAX_DEPTH = 4
"""Levels of nested sitemap indexes followed."""


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML safely; raises ``etree.XMLSyntaxError`` on bad input."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, recover=False)
    return etree.fromstring(data, parser=parser)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _child_text(el: etree._Element, name: str) -> str | None:
    for child in el:
        if _local(child) == name and child.text and child.text.strip():
            return str(child.text.strip())
    return None


def xml_kind(root: etree._Element) -> str:
    """``feed`` (RSS 0.9x/2.0, RSS 1.0/RDF, Atom), ``sitemap`` (urlset or index) or ``other``."""
    name = _local(root).lower()
    if name in ("rss", "feed", "rdf"):
        return "feed"
    if name in ("urlset", "sitemapindex"):
        return "sitemap"
    return "other"


def feed_targets(root: etree._Element) -> list[Target]:
    """Article links of a feed, in feed order, with title and date when given."""
    targets: list[Target] = []
    for el in root.iter():
        name = _local(el)
        if name not in ("item", "entry"):
            continue
        link = _child_text(el, "link") if name == "item" else None
        if name == "entry":  # Atom: <link rel="alternate" href=...>, rel defaults to alternate
            for child in el:
                rel = child.get("rel", "alternate")
                if _local(child) == "link" and rel == "alternate" and child.get("href"):
                    link = child.get("href")
                    break
        if not link and name == "item":
            link = _child_text(el, "guid")
        if link:
            meta = {}
            if title := _child_text(el, "title"):
                meta["title"] = title
            if date := (_child_text(el, "pubDate") or _child_text(el, "published") or _child_text(el, "date")
                        or _child_text(el, "updated")):
                meta["date"] = date
            targets.append(Target(link.strip(), meta))
    return targets


def sitemap_entries(root: etree._Element) -> tuple[list[Target], list[str]]:
    """(page targets, child sitemap URLs) of a sitemap or sitemap index."""
    pages: list[Target] = []
    children: list[str] = []
    for el in root:
        name = _local(el)
        loc = _child_text(el, "loc")
        if not loc:
            continue
        if name == "sitemap":
            children.append(loc)
        elif name == "url":
            lastmod = _child_text(el, "lastmod")
            pages.append(Target(loc, {"date": lastmod} if lastmod else {}))
    return pages, children


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing more than ``limit`` bytes (a gzip bomb is cheap to send)."""
    out = gzip.GzipFile(fileobj=io.BytesIO(data)).read(limit + 1)
    if len(out) > limit:
        raise ValueError(f"decompressed sitemap over {limit} bytes")
    return out


class LinkedSource(FetchingSource):
    """The articles linked from a feed or sitemap at ``uri`` (http(s) URL or local file).

    ``kind`` is ``feed``, ``sitemap`` or ``auto`` (decided by the XML root element; an HTML page
    instead of XML is taken as the one article to read).
    """

    def __init__(self, uri: str, kind: str = "auto", options: FetchOptions | None = None) -> None:
        if kind not in ("auto", "feed", "sitemap"):
            raise ValueError(f"unknown listing kind: {kind!r}")
        self.remote = uri.startswith(("http://", "https://"))
        if not self.remote and not Path(uri.removeprefix("file://")).expanduser().is_file():
            raise FileNotFoundError(f"source not found: {uri}")
        super().__init__(uri, options)
        self.kind = kind

    def _load(self, uri: str) -> Page | ReadFailure:
        if uri.startswith(("http://", "https://")):
            return self.fetch(uri)
        path = Path(uri.removeprefix("file://")).expanduser()
        try:
            return Page(uri, uri, 200, None, path.read_bytes())
        except OSError as exc:
            return ReadFailure(uri, uri, "read-failed", f"{type(exc).__name__}: {exc}")

    def _parse(self, page: Page) -> etree._Element | ReadFailure:
        data = page.body
        try:
            if data[:2] == b"\x1f\x8b":
                data = gunzip_limited(data, self.options.max_bytes)
            return parse_xml(data)
        except (etree.LxmlError, ValueError, OSError, EOFError) as exc:
            return ReadFailure(page.url, page.url, "bad-xml", f"{type(exc).__name__}: {exc}"[:500],
                               url=page.final_url, raw=page.body[:100_000])

    def targets(self) -> Iterator[Target | ReadFailure]:
        seen: set[str] = set()
        for item in self._walk(self.uri, self.kind, depth=0, budget=[MAX_SITEMAPS]):
            if isinstance(item, Target):
                if item.url in seen:
                    continue
                seen.add(item.url)
            yield item

    def _walk(self, uri: str, kind: str, depth: int, budget: list[int]) -> Iterator[Target | ReadFailure]:
        page = self._load(uri)
        if isinstance(page, ReadFailure):
            yield page
            return
        mime = (page.content_type or "").split(";")[0].strip().lower()
        if kind == "auto" and depth == 0 and mime in ("text/html", "application/xhtml+xml"):
            yield Target(uri)  # a plain article page: read it as one (from the spool)
            return
        root = self._parse(page)
        if isinstance(root, ReadFailure):
            yield root
            return
        found = xml_kind(root)
        if kind != "auto" and found != kind:
            yield ReadFailure(uri, uri, "bad-xml", f"expected a {kind}, found <{_local(root)}>", url=uri)
            return
        if found == "feed":
            yield from feed_targets(root)
        elif found == "sitemap":
            pages, children = sitemap_entries(root)
            yield from pages
            for child in children:
                if depth + 1 > MAX_DEPTH or budget[0] <= 0:
                    why = f"not read: over {MAX_SITEMAPS} sitemaps or {MAX_DEPTH} levels"
                    yield ReadFailure(child, child, "sitemap-limit", why, url=child)
                    continue
                budget[0] -= 1
                yield from self._walk(child, "sitemap", depth + 1, budget)
        else:
            yield ReadFailure(uri, uri, "bad-xml", f"neither a feed nor a sitemap: <{_local(root)}>", url=uri)


__all__ = ["LinkedSource", "feed_targets", "page_document", "parse_xml", "sitemap_entries"]
