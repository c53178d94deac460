"""One RE2 pass that proves most texts need no encoding repair (``encoding.needs_repair``'s fast path).

``needs_repair`` asks three questions of every non-ASCII text: a control character or another character ftfy
fixes (``NEEDS_FTFY_CHARS``, a class search ~3 ns per character), not NFC-normalised
(``unicodedata.is_normalized``), mojibake (``looks_bad``). :func:`nothing_to_repair` answers all three for
the ~88% of texts where all are no, with one RE2 search of the UTF-8 bytes for: a character of that class, a
character that can make a text not NFC (:func:`nfc_suspects`), or a match of ftfy's ``BADNESS_RE`` (translated
exactly, :mod:`cleaners.re2_exact`). When it finds one, the caller asks the three questions as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from ftfy.badness import BADNESS_RE

from .re2_exact import Unsupported, exact_re2, re2_class, re2_search

NEEDS_FTFY_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r\x1b\u2028\u2029\ufb00-\ufb06\ud800-\udfff]")
"""Cheap signs that ftfy may have something to do besides mojibake (which ``looks_bad`` detects)."""

NFC_LIMIT = 0x30000
"""No character at or above this can make a text not NFC (tests/test_repair_check.py checks every code point)."""


def nfc_suspects(limit: int = NFC_LIMIT) -> list[int]:
    """Code points below ``limit`` without which a text is NFC.

    ``unicodedata.is_normalized`` answers yes at once for a text whose characters all have canonical combining
    class 0 and NFC quick-check value Yes (CPython's quick check). Quick check No: the character never occurs
    in NFC, so it is not its own NFC; Maybe: it can combine with the character before it, so it is the second
    character of a two-character canonical decomposition, or a Hangul vowel or trailing consonant jamo (their
    composition is computed, not listed: the whole jamo block is included).
    """
    out: set[int] = set(range(0x1100, 0x1200))
    for code in range(limit):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        if unicodedata.combining(ch):
            out.add(code)
        decomposition = unicodedata.decomposition(ch)
        if not decomposition or decomposition.startswith("<"):
            continue  # no canonical decomposition: NFC keeps the character
        if unicodedata.normalize("NFC", ch) != ch:
            out.add(code)
        if len(parts := decomposition.split()) == 2:
            out.add(int(parts[1], 16))
    return sorted(out)


def _build() -> Callable[[bytes], bool] | None:
    try:
        suspects = exact_re2(NEEDS_FTFY_CHARS)[:-1] + re2_class([(c, c) for c in nfc_suspects()])[1:]
        return re2_search(f"{suspects}|{exact_re2(BADNESS_RE)}")
    except Unsupported:  # pragma: no cover - a future ftfy regex
        return None


_search = _build()


def nothing_to_repair(text: str) -> bool:
    """True only if ``text`` has no character of ``NEEDS_FTFY_CHARS``, is NFC and ``looks_bad`` is False."""
    if _search is None:  # pragma: no cover
        return False
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (which NEEDS_FTFY_CHARS finds)
        return False
    return not _search(data)
