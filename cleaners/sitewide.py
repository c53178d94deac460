"""Lines that repeat across many documents of one site within a run are that site's boilerplate.

Counting is order-independent: a line counts once per document, and the verdict depends only on the
set of documents, never on their order or on how they were batched.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .config import Config

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_ARCHIVED = re.compile(r"^/web/\d+[a-z_]*/(.+)$")


def line_key(line: str) -> str:
    """A short, case-, space- and number-insensitive fingerprint of a line.

    Numbers are blanked so that counters ('Join 513 other subscribers', dates in a footer) still
    match across a site's documents.
    """
    norm = _DIGITS.sub("0", _SPACE.sub(" ", line).strip().casefold())
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def site_of(url: str | None) -> str | None:
    """The host of a URL without ``www.``; None when there is no usable URL.

    A web archive capture (``web.archive.org/web/<time>/<url>``) belongs to the archived site.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        if parts.hostname == "web.archive.org" and (m := _ARCHIVED.match(parts.path)):
            return site_of(m.group(1))
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


@dataclass
class SiteLineStats:
    """Counts of documents per site and, per site, of documents containing each short line.

    Mergeable: build one per batch and ``merge`` them in any order for the same result.
    """

    docs: Counter[str] = field(default_factory=Counter)
    lines: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    samples: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, url: str | None, text: str, config: Config) -> None:
        site = site_of(url)
        if site is None:
            return
        self.docs[site] += 1
        seen: set[str] = set()
        for raw in text.splitlines():
            line = raw.strip()
            if not line or len(line.split()) > config.sitewide_max_words:
                continue
            key = line_key(line)
            if key not in seen:
                seen.add(key)
                self.lines[site][key] += 1
                sample = self.samples.get((site, key))
                if sample is None or line < sample:  # smallest spelling: order-independent
                    self.samples[(site, key)] = line

    def merge(self, other: SiteLineStats) -> SiteLineStats:
        self.docs.update(other.docs)
        for site, counter in other.lines.items():
            self.lines[site].update(counter)
        for k, v in other.samples.items():
            if k not in self.samples or v < self.samples[k]:
                self.samples[k] = v
        return self

    def boilerplate(self, config: Config) -> dict[str, frozenset[str]]:
        """Per site, the keys of lines that count as site boilerplate."""
        result: dict[str, frozenset[str]] = {}
        for site, counter in self.lines.items():
            n_docs = self.docs[site]
            if n_docs < config.sitewide_min_docs:
                continue
            keys = frozenset(
                key for key, n in counter.items()
                if n >= config.sitewide_min_docs and n / n_docs >= config.sitewide_min_share
            )
            if keys:
                result[site] = keys
        return result

    def learned_lines(self, config: Config) -> dict[str, list[str]]:
        """The boilerplate lines per site, readable, for the run report."""
        return {
            site: sorted(self.samples[(site, k)] for k in keys)
            for site, keys in sorted(self.boilerplate(config).items())
        }


def build_site_stats(items: Iterable[tuple[str | None, str]], config: Config) -> SiteLineStats:
    stats = SiteLineStats()
    for url, text in items:
        stats.add(url, text, config)
    return stats
