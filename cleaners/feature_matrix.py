"""The feature rows of :func:`cleaners.features.document_features` as one numpy array, fast.

``document_features`` is the definition (readable, one Python list per line); this module computes the
same floats, bit for bit (``tests/test_feature_matrix.py`` compares them):

- a line's own features depend on its text alone, so they are remembered per distinct line (site
  furniture repeats across a run's documents); the memory is bounded and emptied when full;
- the context features are whole-column numpy operations on integers, divided as Python divides
  (both convert exact integers to doubles and round once); ``log1p`` values come from a table filled
  with :func:`math.log1p` itself, never from ``np.log1p``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import numpy as np

from .char_counts import char_counts
from .features import CONTEXT_NAMES, OWN_NAMES, LineInfo
from .features_fast import line_entry

_OWN_WIDTH = len(OWN_NAMES)
WIDTH = _OWN_WIDTH + len(CONTEXT_NAMES)
_MAX_MEMO = 20_000
"""Distinct lines remembered per process (~1 kB each)."""
_MEMO_MAX_WORDS = 8
"""Only lines up to this many words are remembered: furniture repeats, prose rarely does."""

_Entry = tuple[bytes, bool, LineInfo, bool, str]
"""own features (packed doubles), any vocabulary hit, line info, comment mark, casefolded text"""
_memo: dict[str, _Entry] = {}
_lock = threading.Lock()
_log1p = np.array([math.log1p(k) for k in range(1024)])


def _log1p_of(values: np.ndarray) -> np.ndarray:
    """``math.log1p`` of non-negative integers, looked up."""
    global _log1p
    table = _log1p
    top = int(values.max(initial=0))
    if top >= len(table):
        with _lock:
            size = max(top + 1, 2 * len(_log1p))
            _log1p = table = np.array([math.log1p(k) for k in range(size)])
    return table[values]


def _entries(texts: list[str]) -> list[_Entry]:
    """The memoised entries of the lines; lines not remembered are computed together (their character
    counts in one :func:`char_counts` call) and the short ones remembered."""
    memo = _memo
    found = [memo.get(t) for t in texts]
    new = list(dict.fromkeys([t for t, e in zip(texts, found, strict=True) if e is None]))
    if not new:
        return found  # type: ignore[return-value]
    made: dict[str, _Entry] = {}
    for text, counts in zip(new, char_counts(new), strict=True):
        row, bits, info, mark, key = line_entry(text, counts)
        made[text] = entry = (row, bits != 0, info, mark, key)
        if info.words <= _MEMO_MAX_WORDS:
            if len(memo) >= _MAX_MEMO:
                memo.clear()
            memo[text] = entry
    return [made[t] if e is None else e for t, e in zip(texts, found, strict=True)]


def feature_matrix(lines: Sequence[str]) -> tuple[list[int], np.ndarray, list[LineInfo]]:
    """Like :func:`cleaners.features.document_features`, with the rows as an ``(n, WIDTH)`` array."""
    stripped = [line.strip() for line in lines]
    index = [i for i, t in enumerate(stripped) if t]
    entries = _entries([stripped[i] for i in index])
    infos = [e[2] for e in entries]
    n = len(entries)
    out = np.empty((n, WIDTH))
    if n == 0:
        return index, out, infos
    out[:, :_OWN_WIDTH] = np.frombuffer(b"".join([e[0] for e in entries]), dtype=np.float64).reshape(n, _OWN_WIDTH)
    ctx = out[:, _OWN_WIDTH:]
    words = np.array([info.words for info in infos], dtype=np.int64)
    prose = np.array([info.prose for info in infos], dtype=bool)
    kw_any = np.array([e[1] for e in entries], dtype=bool)
    prose_at = np.flatnonzero(prose)
    first, last = (int(prose_at[0]), int(prose_at[-1])) if len(prose_at) else (n, -1)
    total = int(words.sum()) or 1
    j = np.arange(n)
    before = np.cumsum(words) - words
    # distance to the nearest prose line, both directions (n + steps where there is none on a side)
    after_prev = j - np.maximum.accumulate(np.where(prose, j, -n - 1))
    to_next = np.minimum.accumulate(np.where(prose, j, 2 * n)[::-1])[::-1] - j
    dist = np.minimum(after_prev, to_next)
    # runs of consecutive non-prose lines: each such line gets its run's length, prose lines 0
    edges = np.flatnonzero(np.diff(np.concatenate(([True], prose, [True])).astype(np.int8)))
    run = np.zeros(n, dtype=np.int64)
    starts, stops = edges[0::2], edges[1::2]  # alternate: a run starts after a prose line, stops before one
    run[~prose] = np.repeat(stops - starts, stops - starts)
    log_run = _log1p_of(run)
    log_words = _log1p_of(words)
    prose_sum = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(prose, out=prose_sum[1:])
    kw_sum = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kw_any, out=kw_sum[1:])
    lo, hi = np.maximum(0, j - 3), np.minimum(n, j + 4)
    head, tail = j < first, j > last
    span = ~head & ~tail
    short = words <= 8
    near = kw_sum[np.minimum(n, j + 3)] - kw_sum[np.maximum(0, j - 2)] - kw_any > 0
    marks = np.array([e[3] for e in entries], dtype=bool)
    first_mark = int(np.argmax(marks)) if marks.any() else n
    seen: set[str] = set()
    repeated = []
    for e in entries:
        repeated.append(e[4] in seen)
        seen.add(e[4])
    ctx[:, 0] = j / n
    ctx[:, 1] = before / total
    ctx[:, 2] = (total - before - words) / total
    ctx[:, 3] = head
    ctx[:, 4] = tail
    ctx[:, 5] = span
    ctx[:, 6] = _log1p_of(dist)
    ctx[0, 7] = 0.0
    ctx[1:, 7] = prose[:-1]
    ctx[-1, 8] = 0.0
    ctx[:-1, 8] = prose[1:]
    ctx[0, 9] = 0.0
    ctx[1:, 9] = log_words[:-1]
    ctx[-1, 10] = 0.0
    ctx[:-1, 10] = log_words[1:]
    ctx[:, 11] = (prose_sum[hi] - prose_sum[lo] - prose) / np.maximum(1, hi - lo - 1)
    ctx[:, 12] = j == 0
    ctx[:, 13] = repeated
    ctx[:, 14] = math.log1p(total)
    ctx[:, 15] = log_run
    ctx[:, 16] = near
    ctx[:, 17] = head & short
    ctx[:, 18] = tail & short
    ctx[:, 19] = span & short
    ctx[:, 20] = tail & kw_any
    ctx[:, 21] = head & kw_any
    ctx[:, 22] = span & kw_any
    ctx[:, 23] = np.where(short, log_run, 0.0)
    ctx[:, 24] = marks
    ctx[:, 25] = j > first_mark
    ctx[:, 26] = len(prose_at) / n
    ctx[:, 27] = int(short.sum()) / n
    return index, out, infos
