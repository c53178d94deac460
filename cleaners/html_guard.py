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
"""A start tag of 4,000+ characters (1,000 attributes need at least that many). Each scan stops at the
next ``<`` or ``>``, so the search is linear in the page, but it costs ~1.5 ms on a 180 kB page: it only
runs when a cheaper test (:func:`_has_long_tag`, ~0.3 ms) finds a candidate."""
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def _has_long_tag(html: str) -> bool:
    """True whenever ``_LONG_TAG`` can match: some ``<`` is followed by 4,000+ characters before a ``>``."""
    for piece in html.split(">"):
        if len(piece) > 4000 and (start := piece.rfind("<")) >= 0 and len(piece) - start > 4000:
            return True
    return False


def drop_absurd_attributes(html: str) -> tuple[str, int]:
    """The page with the attributes of tags that have more than MAX_ATTRIBUTES removed, and how many tags."""
    if not _has_long_tag(html):
        return html, 0
    dropped = 0

    def shorten(match: re.Match[str]) -> str:
        nonlocal dropped
        if len(_QUOTED.sub(" ", match.group(2)).split()) <= MAX_ATTRIBUTES:
            return match.group(0)
        dropped += 1
        return f"<{match.group(1)}>"

    return _LONG_TAG.sub(shorten, html), dropped
