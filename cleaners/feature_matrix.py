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
    indexes, out, infos, _ = feature_matrices([lines])
    return indexes[0], out, infos[0]


def feature_matrices(
    docs: Sequence[Sequence[str]],
) -> tuple[list[list[int]], np.ndarray, list[list[LineInfo]], list[int]]:
    """:func:`feature_matrix` of several documents at once: per document its index and line infos, the
    rows of all documents stacked in one array (document ``d`` has ``sizes[d]`` rows), and ``sizes``.

    Every row equals the one ``feature_matrix(doc)`` alone computes: the context columns are the same
    integer operations, taken within each document (positions are global, bounds per document)."""
    indexes: list[list[int]] = []
    texts: list[str] = []
    sizes: list[int] = []
    for lines in docs:
        stripped = [line.strip() for line in lines]
        index = [i for i, t in enumerate(stripped) if t]
        indexes.append(index)
        texts += [stripped[i] for i in index]
        sizes.append(len(index))
    entries = _entries(texts)
    flat = [e[2] for e in entries]
    infos: list[list[LineInfo]] = []
    at = 0
    for size in sizes:
        infos.append(flat[at:at + size])
        at += size
    total_rows = len(entries)
    out = np.empty((total_rows, WIDTH))
    if total_rows:
        out[:, :_OWN_WIDTH] = np.frombuffer(
            b"".join([e[0] for e in entries]), dtype=np.float64).reshape(total_rows, _OWN_WIDTH)
        _context(out[:, _OWN_WIDTH:], entries, sizes)
    return indexes, out, infos, sizes


def _context(ctx: np.ndarray, entries: list[_Entry], sizes: list[int]) -> None:
    """The context columns of stacked documents (none empty here: empty ones have no rows)."""
    size = np.array([s for s in sizes if s], dtype=np.int64)
    docs = len(size)
    doc_start = np.zeros(docs, dtype=np.int64)
    np.cumsum(size[:-1], out=doc_start[1:])
    doc_of = np.repeat(np.arange(docs), size)
    n_total = len(entries)
    g = np.arange(n_total)  # global position
    s = doc_start[doc_of]  # the row's document starts here
    n = size[doc_of]
    j = g - s  # position in its document
    e_ = s + n  # its document ends before here
    words = np.array([e[2].words for e in entries], dtype=np.int64)
    prose = np.array([e[2].prose for e in entries], dtype=bool)
    kw_any = np.array([e[1] for e in entries], dtype=bool)
    marks = np.array([e[3] for e in entries], dtype=bool)
    prose_at = np.flatnonzero(prose)
    # first and last prose line of each document (n and -1 where there is none)
    lo_p = np.searchsorted(prose_at, doc_start)
    hi_p = np.searchsorted(prose_at, doc_start + size)
    has = hi_p > lo_p
    first_d = np.where(has, prose_at[np.minimum(lo_p, len(prose_at) - 1)] - doc_start if len(prose_at) else 0, size)
    last_d = np.where(has, prose_at[np.maximum(hi_p - 1, 0)] - doc_start if len(prose_at) else 0, -1)
    first, last = first_d[doc_of], last_d[doc_of]
    word_sum = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(words, out=word_sum[1:])
    total_d = word_sum[doc_start + size] - word_sum[doc_start]
    total_d[total_d == 0] = 1
    total = total_d[doc_of]
    before = word_sum[g] - word_sum[s]
    # distance to the nearest prose line, both directions (n + steps where there is none on a side); each
    # document's keys are shifted above the previous ones' so that accumulations never cross documents
    shift = doc_of * (4 * n_total + 4)
    after_prev = g - (np.maximum.accumulate(np.where(prose, g, s - n - 1) + shift) - shift)
    to_next = (np.minimum.accumulate((np.where(prose, g, s + 2 * n) + shift)[::-1])[::-1] - shift) - g
    dist = np.minimum(after_prev, to_next)
    # runs of consecutive non-prose lines: each such line gets its run's length, prose lines 0; a prose
    # line stands before each document and after the last, so runs never cross documents
    fenced = np.ones(n_total + docs + 1, dtype=bool)
    fenced[g + doc_of + 1] = prose
    edges = np.flatnonzero(np.diff(fenced.astype(np.int8)))
    run = np.zeros(n_total, dtype=np.int64)
    starts, stops = edges[0::2], edges[1::2]  # alternate: a run starts after a prose line, stops before one
    run[~prose] = np.repeat(stops - starts, stops - starts)
    log_run = _log1p_of(run)
    log_words = _log1p_of(words)
    prose_sum = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(prose, out=prose_sum[1:])
    kw_sum = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(kw_any, out=kw_sum[1:])
    lo, hi = np.maximum(s, g - 3), np.minimum(e_, g + 4)
    head, tail = j < first, j > last
    span = ~head & ~tail
    short = words <= 8
    near = kw_sum[np.minimum(e_, g + 3)] - kw_sum[np.maximum(s, g - 2)] - kw_any > 0
    mark_at = np.flatnonzero(marks)
    lo_m = np.searchsorted(mark_at, doc_start)
    has_m = np.searchsorted(mark_at, doc_start + size) > lo_m
    first_mark = np.where(has_m, mark_at[np.minimum(lo_m, len(mark_at) - 1)] - doc_start if len(mark_at) else 0,
                          size)[doc_of]
    repeated = []
    d_end = 0
    seen: set[str] = set()
    for k, e in enumerate(entries):
        if k == d_end:  # a new document
            seen = set()
            d_end = k + int(size[doc_of[k]])
        repeated.append(e[4] in seen)
        seen.add(e[4])
    is_start = j == 0
    is_end = j == n - 1
    ctx[:, 0] = j / n
    ctx[:, 1] = before / total
    ctx[:, 2] = (total - before - words) / total
    ctx[:, 3] = head
    ctx[:, 4] = tail
    ctx[:, 5] = span
    ctx[:, 6] = _log1p_of(dist)
    ctx[1:, 7] = prose[:-1]
    ctx[:-1, 8] = prose[1:]
    ctx[1:, 9] = log_words[:-1]
    ctx[:-1, 10] = log_words[1:]
    ctx[is_start, 7] = 0.0
    ctx[is_end, 8] = 0.0
    ctx[is_start, 9] = 0.0
    ctx[is_end, 10] = 0.0
    ctx[:, 11] = (prose_sum[hi] - prose_sum[lo] - prose) / np.maximum(1, hi - lo - 1)
    ctx[:, 12] = is_start
    ctx[:, 13] = repeated
    ctx[:, 14] = np.array([math.log1p(t) for t in total_d.tolist()])[doc_of]
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
    prose_count = prose_sum[doc_start + size] - prose_sum[doc_start]
    ctx[:, 26] = (prose_count / size)[doc_of]
    short_sum = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(short, out=short_sum[1:])
    ctx[:, 27] = ((short_sum[doc_start + size] - short_sum[doc_start]) / size)[doc_of]
