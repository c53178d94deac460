"""Markup no real page has, made harmless before parsing.

libxml2 checks each new attribute of a tag against the ones before it: a tag with 50,000 attributes
(400 kB) takes ~6 s to parse, every time the page is parsed. No page has a tag with more than a few
dozen attributes, so the attributes of a tag with more than ``MAX_ATTRIBUTES`` are dropped (the tag
and its content stay). One long attribute value is harmless and left alone.
"""

from __future__ import annotations

import re

MAX_ATTRIBUTES = 1_000
_LONG_TAG = re.compile(r"<([a-zA-Z][\w:-]*)([^<>]{4000,})>")
"""A start tag of 4,000+ characters (1,000 attributes need at least that many): the definition."""
_TAG_BEFORE_END = re.compile(r"<([a-zA-Z][\w:-]*)([^<>]{4000,})")
"""``_LONG_TAG`` without its ``>``, matched against the text between two ``>``."""
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def _may_have_long_tag(html: str) -> bool:
    """False only if no 4,000 consecutive characters lack a ``>``: such a run would contain one of the
    aligned 2,000-character blocks checked here in full (~4 µs for a 180 kB page, without copies)."""
    find = html.find
    return any(find(">", at, at + 2000) < 0 for at in range(0, len(html) - 1999, 2000))


def drop_absurd_attributes(html: str) -> tuple[str, int]:
    """The page with the attributes of tags that have more than MAX_ATTRIBUTES removed, and how many tags.

    Same as ``_LONG_TAG.sub`` keeping the tag name (tests/test_html.py compares them), without running the
    pattern over the whole page: a match ends at a ``>`` and starts at the last ``<`` before it, so only
    pieces between two ``>`` longer than 4,000 characters are matched (~0.2 ms for a 180 kB page instead of
    ~1.5 ms for the page-wide search on pages with long scripts)."""
    if not _may_have_long_tag(html):
        return html, 0
    pieces = html.split(">")
    dropped = 0
    for k in range(len(pieces) - 1):  # the last piece is not followed by a ">"
        piece = pieces[k]
        if len(piece) <= 4000 or (start := piece.rfind("<")) < 0 or len(piece) - start <= 4000:
            continue
        match = _TAG_BEFORE_END.fullmatch(piece, start)
        if match is not None and len(_QUOTED.sub(" ", match.group(2)).split()) > MAX_ATTRIBUTES:
            pieces[k] = f"{piece[:start]}<{match.group(1)}"
            dropped += 1
    return (">".join(pieces), dropped) if dropped else (html, 0)
