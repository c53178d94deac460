"""The character counts :func:`cleaners.features_fast.line_entry` needs, for many lines at once (NumPy).

``line_entry(line)`` counts, one line at a time in Python: the words (``len(line.split())``), the
letters and upper-case letters among the first characters of its first 40 words, the letters, digits
and spaces of its first 160 characters and whether those change under ``str.upper``. Here a
document's new lines are joined, turned into code points (UTF-32) and every count is one table lookup
and one segmented sum for all lines together.

Exact by construction: the table holds, for every code point below :data:`TABLE_LIMIT`, the answers of
the very ``str`` methods the per-line code calls on one character (``isspace`` is what ``str.split()``
splits on: both use ``Py_UNICODE_ISSPACE``; ``c.upper() != c`` for some character is what makes
``s.upper() != s``, as ``upper`` maps character by character). A line with a code point at or above
the limit gets ``None`` (its caller counts in Python); ``tests/test_char_counts.py`` compares every
count with the per-line definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .features import _CJK

TABLE_LIMIT = 0x10000
"""Code points below this are in the table (the Basic Multilingual Plane, incl. surrogates)."""
SAMPLE = 160
"""Letters, digits, spaces and upper case are counted in this many first characters."""
if SAMPLE > 255:  # pragma: no cover - the packed sample sums below need 8 bits per field
    raise ValueError("SAMPLE must stay below 256")
INITIALS = 40
"""Initials are taken from this many first words."""

_table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

Counts = tuple[int, int, int, int, int, int, int, int]
"""words, letters among the initials, upper-case ones among them, letters, digits and ``" "`` in the
sample, characters of the sample that ``upper()`` changes, CJK characters (``features._CJK``) in the line"""


def _column(test: Callable[[str], bool], chars: list[str]) -> np.ndarray:
    return np.fromiter(map(test, chars), dtype=bool, count=len(chars)).astype(np.uint32)


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code point: ``isspace`` (bit 0) and ``features._CJK`` (bit 1); initials' counts (``isalpha``,
    ``isupper << 8``); the sample's counts
    (``isalpha``, ``isdigit << 8``, ``(c == " ") << 16``, ``(c.upper() != c) << 24``). Counts of up to
    255 per field add without carry."""
    chars = [chr(c) for c in range(TABLE_LIMIT)]
    space = np.fromiter(map(str.isspace, chars), dtype=bool, count=TABLE_LIMIT).astype(np.uint8)
    space |= np.fromiter(map(bool, map(_CJK.match, chars)), dtype=bool, count=TABLE_LIMIT).astype(np.uint8) << 1
    alpha = _column(str.isalpha, chars)
    initials = alpha | _column(str.isupper, chars) << 8
    blank = np.zeros(TABLE_LIMIT, dtype=np.uint32)
    blank[ord(" ")] = 1
    changes = np.fromiter(map(str.__ne__, map(str.upper, chars), chars), dtype=bool, count=TABLE_LIMIT)
    sample = alpha | _column(str.isdigit, chars) << 8 | blank << 16 | changes.astype(np.uint32) << 24
    return space, initials, sample


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    global _table
    if _table is None:
        _table = _build_tables()
    return _table


_NONE = np.zeros(0, dtype=np.intp)
_cjk_from: int | None = None


def _first_cjk() -> int:
    """The smallest code point with the table's CJK bit (``features._CJK``)."""
    global _cjk_from
    if _cjk_from is None:
        found = np.flatnonzero(_tables()[0] & 2)
        _cjk_from = int(found[0]) if len(found) else TABLE_LIMIT
    return _cjk_from


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _segment_sums(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sums of ``values[bounds[k]:bounds[k + 1]]`` (empty segments allowed)."""
    total = np.zeros(len(values) + 1, dtype=np.uint64)
    np.cumsum(values, dtype=np.uint64, out=total[1:])  # dtype: ~5x faster than casting into `out`
    return np.diff(total[bounds])


def _line_counts(positions: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """How many of ``positions`` (ascending) fall in each segment ``bounds[k]:bounds[k + 1]``: for
    rare characters, cheaper than a segmented sum over every character."""
    if not len(positions):
        return np.zeros(len(bounds) - 1, dtype=np.int64)
    return np.diff(np.searchsorted(positions, bounds))


def char_counts(lines: Sequence[str]) -> list[Counts | None]:
    """:data:`Counts` of each line; None for a line with a code point at or above :data:`TABLE_LIMIT`."""
    n = len(lines)
    if n == 0:
        return []
    space_of, initials_of, sample_of = _tables()
    code = _code_points("\n".join(lines) + "\n")  # a "\n" before each line's start but the first
    top = int(code.max())
    big = top >= TABLE_LIMIT
    original = code
    if big:
        code = np.minimum(code, TABLE_LIMIT - 1)  # those lines' counts are dropped below
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, lines), dtype=np.int64, count=n) + 1, out=bounds[1:])
    kind = np.take(space_of, code)  # take: ~2x faster than indexing with a uint32 array
    space = (kind & 1).view(bool)
    word_start = ~space
    word_start[1:] &= space[:-1]
    # no character of features._CJK below the table's first one: most batches skip the pass
    cjk = _line_counts(np.flatnonzero(kind & 2) if top >= _first_cjk() else _NONE, bounds)
    at = np.flatnonzero(word_start)  # each word's first character
    word_bounds = np.searchsorted(at, bounds)  # words of line k: word_bounds[k] .. word_bounds[k + 1]
    words = np.diff(word_bounds)
    rank = np.arange(len(at)) - np.repeat(word_bounds[:-1], words)
    initials = np.take(initials_of, np.take(code, at))
    initials[rank >= INITIALS] = 0
    ini = _segment_sums(initials, word_bounds)
    # wraps modulo 2**32: a sample's sums (each field <= SAMPLE < 256, no carry) stay exact as differences
    sample_total = np.zeros(len(code) + 1, dtype=np.uint32)
    np.cumsum(np.take(sample_of, code), dtype=np.uint32, out=sample_total[1:])
    starts = bounds[:-1]
    samp = sample_total[starts + np.minimum(np.diff(bounds) - 1, SAMPLE)] - sample_total[starts]
    out: list[Counts | None] = list(zip(
        words.tolist(), (ini & 255).tolist(), (ini >> 8).tolist(), (samp & 255).tolist(),
        (samp >> 8 & 255).tolist(), (samp >> 16 & 255).tolist(), (samp >> 24).tolist(), cjk.tolist(), strict=True))
    if big:
        too_big = _line_counts(np.flatnonzero(original >= TABLE_LIMIT), bounds)
        out = [None if b else c for c, b in zip(out, too_big.tolist(), strict=True)]
    return out
