"""Lines that repeat across many documents of one site within a run are that site's boilerplate.

Counting is order-independent: a line counts once per document, and the verdict depends only on the
set of documents, never on their order or on how they were batched.

A line is counted under a 64-bit integer key (``line_key``), stable across processes and runs.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .config import Config

LineKey = int
"""``line_key``: an unsigned 64-bit integer."""

_DIGITS = re.compile(r"\d+")
_ANY_DIGIT = re.compile(r"\d")
_ARCHIVED = re.compile(r"^/web/\d+[a-z_]*/(.+)$")


def _key_of_words(words: list[str]) -> LineKey:
    return _key_of_norm(" ".join(words).casefold())


def _key_of_norm(norm: str) -> LineKey:
    """``line_key`` of a line whose words, joined by single spaces and casefolded, are ``norm``: BLAKE2b of
    ``_DIGITS.sub("0", norm)`` in UTF-8.

    The digits are blanked in the UTF-8 bytes when the line has no code point from U+0640 up (none of
    its bytes is in ``_HIGH``): then its only decimal digits (``\\d``) are ASCII ones, and a run of them
    becomes one ``0`` by mapping each to ``0`` and halving runs of ``00`` (UTF-8 bytes of other characters
    are never ASCII). ~0.4 µs less than the regex search per line; tests compare with the definition."""
    data = norm.encode("utf-8")
    blanked = data.translate(_TO_ZERO)  # and every byte of _HIGH to 0xFF (never in UTF-8)
    if norm.isascii() or blanked.find(b"\xff") < 0:
        data = blanked
        while data.find(b"00") >= 0:  # (`in` would first try the needle as an integer: ~10x slower)
            data = data.replace(b"00", b"0")
    elif _ANY_DIGIT.search(norm):
        data = _DIGITS.sub("0", norm).encode("utf-8")
    return int.from_bytes(_blake2b(data, digest_size=8).digest(), "little")


def _plain_ascii(line: str) -> bool:
    """For a non-empty ASCII piece of ``str.splitlines``: its only whitespace is single spaces between words,
    so ``" ".join(line.split())`` and ``line.strip()`` are ``line``, with ``line.count(" ") + 1`` words. (The
    ASCII whitespace of ``str.split`` is the space, tab, ``\\x1f`` and line breaks of ``splitlines``.)"""
    return "\t" not in line and "\x1f" not in line and "  " not in line and line[0] != " " != line[-1]


_blake2b = hashlib.blake2b
_HIGH = bytes(range(0xD9, 0x100))
"""The UTF-8 lead bytes of the code points from U+0640 up; the first non-ASCII decimal digit is U+0660."""
_TO_ZERO = bytes.maketrans(b"0123456789" + _HIGH, b"0" * 10 + b"\xff" * len(_HIGH))


def line_key(line: str) -> LineKey:
    """A case-, space- and number-insensitive fingerprint of a line: an unsigned 64-bit integer.

    Numbers are blanked so that counters ('Join 513 other subscribers', dates in a footer) still
    match across a site's documents. Deterministic (BLAKE2b of the normalised line), unlike ``hash()``.
    """
    return _key_of_words(line.split())


def site_of(url: str | None) -> str | None:
    """The host of a URL without ``www.``; None when there is no usable URL.

    A web archive capture (``web.archive.org/web/<time>/<url>``) belongs to the archived site.
    Within ``remembering_keys`` the answers are remembered by URL (``clean_documents`` asks twice per
    document: statistics, then cleaning; ``urlsplit`` ~4 µs).
    """
    if not url:
        return None
    sites = _sites.get()
    if sites is None:
        return _site_of(url)
    site = sites.get(url, _UNKNOWN)
    if site is _UNKNOWN:
        site = sites[url] = _site_of(url)
    return site  # type: ignore[return-value]


_UNKNOWN = object()


def _site_of(url: str) -> str | None:
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


_known: ContextVar[dict[str, LineKey] | None] = ContextVar("presswash_line_keys", default=None)
_sites: ContextVar[dict[str, str | None] | None] = ContextVar("presswash_sites", default=None)


@contextmanager
def remembering_keys() -> Iterator[None]:
    """Within this block, :func:`short_lines` remembers ``line_key`` of the lines it meets (by stripped
    line), for :func:`known_keys`: ``clean_documents`` counts a batch's lines, then cleans the same lines
    and needs their keys again (~2 µs each); and :func:`site_of` its answers. Outside it nothing is stored."""
    token, sites = _known.set({}), _sites.set({})
    try:
        yield
    finally:
        _sites.reset(sites)
        _known.reset(token)


def known_keys() -> dict[str, LineKey] | None:
    """Stripped line -> ``line_key(line)`` of the lines met within ``remembering_keys``, or None outside."""
    return _known.get()


def short_lines(text: str, config: Config) -> Iterable[tuple[LineKey, str]]:
    """(key, stripped line) of each line of at most ``sitewide_max_words`` words, in order."""
    return [(key, line) for _, key, line in _short_entries(text, config)]


def _short_entries(
    text: str, config: Config, at: list[int] | None = None
) -> list[tuple[int, LineKey, str]]:
    """(word count, key, stripped line) of each line of at most ``sitewide_max_words`` words, in order;
    with ``at``, each one's position in ``text.splitlines()`` is appended to it."""
    max_words = config.sitewide_max_words
    known = _known.get()
    memo = _short_memo
    out: list[tuple[int, LineKey, str]] = []
    for i, raw in enumerate(text.splitlines()):
        found = memo.get(raw)
        if found is None:
            if raw.isascii() and raw and _plain_ascii(raw):  # its words split by single spaces
                count = raw.count(" ") + 1
                if count > max_words:
                    continue
                found = (count, _key_of_norm(raw.lower()), raw)  # raw.split() joined by " " is raw
            else:
                words = raw.split(None, max_words)  # all of them, or max_words + 1 pieces: too many (~2x faster)
                if not words or len(words) > max_words:
                    continue
                count = len(words)
                found = (count, _key_of_words(words), raw.strip())
            if count <= _MEMO_MAX_WORDS:
                if len(memo) >= _MAX_MEMO:
                    memo.clear()
                memo[raw] = found
        elif found[0] > max_words:
            continue
        out.append(found)
        if at is not None:
            at.append(i)
    if known is not None:  # line.split() == raw.split(): the key is line_key(line)
        known.update([(line, key) for _, key, line in out])
    return out


_short_memo: dict[str, tuple[int, LineKey, str]] = {}
"""Raw line -> (word count, key, stripped line) of short lines met before (site furniture repeats; a key
costs ~3 µs). A function of the raw line alone, so it holds across configs and documents."""
_MAX_MEMO = 50_000
_MEMO_MAX_WORDS = 12
"""Only lines this short are remembered (furniture is short; longer lines rarely repeat)."""


@dataclass
class SiteLineStats:
    """Counts of documents per site and, per site, of documents containing each short line.

    Mergeable: build one per batch and ``merge`` them in any order for the same result. ``samples``
    (the smallest spelling of each line, for ``learned_lines``) are kept unless ``add(samples=False)``.
    """

    docs: Counter[str] = field(default_factory=Counter)
    lines: defaultdict[str, Counter[LineKey]] = field(default_factory=lambda: defaultdict(Counter))
    samples: dict[tuple[str, LineKey], str] = field(default_factory=dict)

    def add(self, url: str | None, text: str, config: Config, *, samples: bool = True) -> None:
        site = site_of(url)
        if site is None:
            return
        self.docs[site] += 1
        counter = self.lines[site]
        if not samples:  # each distinct key once, in order of first occurrence, counted in C
            counter.update(iter(dict.fromkeys([key for _, key, _ in _short_entries(text, config)])))
            return
        seen: set[LineKey] = set()
        for key, line in short_lines(text, config):
            if key not in seen:
                seen.add(key)
                counter[key] += 1
            if samples:
                self.sample(site, key, line)

    def add_keyed(self, url: str | None, text: str, config: Config) -> tuple[list[int], list[LineKey]] | None:
        """``add(url, text, config, samples=False)``, and the positions in ``text.splitlines()`` and keys of
        the lines it counted (for ``keyed_samples``); None without a site (nothing counted)."""
        site = site_of(url)
        if site is None:
            return None
        self.docs[site] += 1
        at: list[int] = []
        keys = [key for _, key, _ in _short_entries(text, config, at)]
        self.lines[site].update(iter(dict.fromkeys(keys)))
        return at, keys

    def sample(self, site: str, key: LineKey, line: str) -> None:
        """Remember ``line`` as the spelling of ``key`` if it is the smallest so far (order-independent)."""
        found = self.samples.get((site, key))
        if found is None or line < found:
            self.samples[(site, key)] = line

    def merge(self, other: SiteLineStats) -> SiteLineStats:
        self.docs.update(other.docs)
        for site, counter in other.lines.items():
            self.lines[site].update(counter)
        for (site, key), line in other.samples.items():
            self.sample(site, key, line)
        return self

    def boilerplate(self, config: Config) -> dict[str, frozenset[LineKey]]:
        """Per site, the keys of lines that count as site boilerplate."""
        result: dict[str, frozenset[LineKey]] = {}
        for site, counter in self.lines.items():
            n_docs = self.docs[site]
            if n_docs < config.sitewide_min_docs:
                continue
            keys = frozenset(key for key, n in counter.items() if is_boilerplate(n, n_docs, config))
            if keys:
                result[site] = keys
        return result

    def learned_lines(self, config: Config) -> dict[str, list[str]]:
        """The boilerplate lines per site, readable, for the run report."""
        return {
            site: sorted(self.samples[(site, k)] for k in keys)
            for site, keys in sorted(self.boilerplate(config).items())
        }


def is_boilerplate(n_with_line: int, n_docs: int, config: Config) -> bool:
    """A line in ``n_with_line`` of a site's ``n_docs`` documents is that site's boilerplate."""
    return (n_docs >= config.sitewide_min_docs and n_with_line >= config.sitewide_min_docs
            and n_with_line / n_docs >= config.sitewide_min_share)


def add_samples(
    stats: SiteLineStats, url: str | None, text: str, config: Config, keys: Mapping[str, frozenset[LineKey]]
) -> None:
    """Only the spellings of lines already known to be boilerplate (``keys`` per site): how a run that
    counted without samples gets readable lines for its report, from any pass over the same texts."""
    site = site_of(url)
    wanted = keys.get(site) if site is not None else None
    if site is None or not wanted:
        return
    for key, line in short_lines(text, config):
        if key in wanted:
            stats.sample(site, key, line)


def keyed_samples(
    stats: SiteLineStats, site: str, lines: Sequence[str], at: Sequence[int], line_keys: Sequence[LineKey],
    wanted: frozenset[LineKey],
) -> None:
    """``add_samples`` of a text of ``site`` whose lines are ``lines`` (``text.splitlines()``), with ``wanted``
    its keys there, from the positions and keys of its short lines that ``SiteLineStats.add_keyed`` gave for
    the same text and config: no key computed again. Within ``remembering_keys`` the lines' keys are
    remembered for :func:`known_keys`, as ``add_samples`` does."""
    pairs = [(lines[i].strip(), key) for i, key in zip(at, line_keys, strict=True)]
    if (known := _known.get()) is not None:
        known.update(pairs)
    sample = stats.sample
    for line, key in pairs:
        if key in wanted:
            sample(site, key, line)


def build_site_stats(items: Iterable[tuple[str | None, str]], config: Config) -> SiteLineStats:
    stats = SiteLineStats()
    for url, text in items:
        stats.add(url, text, config)
    return stats
