"""The context columns of :func:`cleaners.feature_matrix.feature_matrix`: integer column operations.

Divided as Python divides (both convert exact integers to doubles and round once); ``log1p`` values come
from a table filled with :func:`math.log1p` itself, never from ``np.log1p``. ``context_columns`` takes one
document's rows, ``context_columns_stacked`` several documents' rows stacked (the same floats per row:
positions are global, every bound is taken within the row's document; ~40 more NumPy calls, so a lone
document takes the first).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from operator import itemgetter

import numpy as np

from .features import LineInfo

Entry = tuple[bytes, bool, LineInfo, bool, str | None]
"""A line's own features (packed doubles), any vocabulary hit, line info, comment mark, casefolded text (None:
not made yet, see :func:`repeated_lines`)."""
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


_key_of = itemgetter(4)
_info_of = itemgetter(2)
_words_of = itemgetter(1)
"""``LineInfo.words`` (a named tuple's field by index: ``map`` runs in C)."""


def repeated_lines(entries: list[Entry]) -> list[bool]:
    """Per line of one document: an earlier line has the same casefolded text.

    A line whose casefold was not made (None) gets it only when another line has as many words: casefold
    keeps a line's word count (it maps spaces to themselves, other characters to non-empty strings of
    non-space, non-CJK characters, CJK ones to themselves; tests/test_feature_matrix.py checks every code
    point), so lines with equal casefolds have equal counts."""
    keys: list[object] = list(map(_key_of, entries))
    if None in keys:  # word counts and their frequencies in C; only the lines without a casefold in Python
        infos = list(map(_info_of, entries))
        words = list(map(_words_of, infos))
        counts = Counter(words)
        for j in [j for j, key in enumerate(keys) if key is None]:
            keys[j] = infos[j].text.casefold() if counts[words[j]] > 1 else j  # j: equal to no text
    seen: set[object] = set()
    out = []
    for key in keys:
        out.append(key in seen)
        seen.add(key)
    return out


def _prefix_sums(values: np.ndarray) -> np.ndarray:
    """``out[i]`` = the sum of ``values[:i]``, as int64 (one longer than ``values``)."""
    out = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=out[1:])
    return out


def _run_lengths(fenced: np.ndarray, prose: np.ndarray) -> np.ndarray:
    """For each line in a run of consecutive non-prose lines, the run's length; 0 for prose lines.
    ``fenced`` is ``prose`` with a prose line before each document and after the last."""
    edges = np.flatnonzero(np.diff(fenced.astype(np.int8)))
    run = np.zeros(len(prose), dtype=np.int64)
    starts, stops = edges[0::2], edges[1::2]  # alternate: a run starts after a prose line, stops before one
    run[~prose] = np.repeat(stops - starts, stops - starts)
    return run


def context_columns(ctx: np.ndarray, entries: list[Entry]) -> None:
    """The context columns of one document's rows (:func:`context_columns_stacked` gives the same floats
    with ~40 more NumPy calls, which a lone document would pay for nothing)."""
    infos = [e[2] for e in entries]
    n = len(entries)
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
    log_run = _log1p_of(_run_lengths(np.concatenate(([True], prose, [True])), prose))
    log_words = _log1p_of(words)
    prose_sum, kw_sum = _prefix_sums(prose), _prefix_sums(kw_any)
    lo, hi = np.maximum(0, j - 3), np.minimum(n, j + 4)
    head, tail = j < first, j > last
    short = words <= 8
    near = kw_sum[np.minimum(n, j + 3)] - kw_sum[np.maximum(0, j - 2)] - kw_any > 0
    marks = np.array([e[3] for e in entries], dtype=bool)
    first_mark = int(np.argmax(marks)) if marks.any() else n
    repeated = repeated_lines(entries)
    _shared_columns(ctx, j, n, before, words, total, head, tail, _log1p_of(dist),
                    (prose_sum[hi] - prose_sum[lo] - prose) / np.maximum(1, hi - lo - 1), repeated, log_run,
                    near, short, kw_any, marks, first_mark)
    ctx[0, 7] = 0.0
    ctx[1:, 7] = prose[:-1]
    ctx[-1, 8] = 0.0
    ctx[:-1, 8] = prose[1:]
    ctx[0, 9] = 0.0
    ctx[1:, 9] = log_words[:-1]
    ctx[-1, 10] = 0.0
    ctx[:-1, 10] = log_words[1:]
    ctx[:, 14] = math.log1p(total)
    ctx[:, 26] = len(prose_at) / n
    ctx[:, 27] = int(short.sum()) / n


def _shared_columns(
    ctx: np.ndarray, j: np.ndarray, n: np.ndarray | int, before: np.ndarray, words: np.ndarray,
    total: np.ndarray | int, head: np.ndarray, tail: np.ndarray, log_dist: np.ndarray, prose_near: np.ndarray,
    repeated: list[bool], log_run: np.ndarray, near: np.ndarray, short: np.ndarray, kw_any: np.ndarray,
    marks: np.ndarray, first_mark: np.ndarray | int,
) -> None:
    """The columns both layouts compute with the same operations from per-row values (``n``, ``total``,
    ``first_mark``: the row's document's, a number for one document); columns 7-10, 14, 26 and 27 are
    the caller's."""
    span = ~head & ~tail
    ctx[:, 0] = j / n
    ctx[:, 1] = before / total
    ctx[:, 2] = (total - before - words) / total
    ctx[:, 3] = head
    ctx[:, 4] = tail
    ctx[:, 5] = span
    ctx[:, 6] = log_dist
    ctx[:, 11] = prose_near
    ctx[:, 12] = j == 0
    ctx[:, 13] = repeated
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


def context_columns_stacked(ctx: np.ndarray, entries: list[Entry], sizes: list[int]) -> None:
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
    word_sum = _prefix_sums(words)
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
    # a prose line stands before each document and after the last, so runs never cross documents
    fenced = np.ones(n_total + docs + 1, dtype=bool)
    fenced[g + doc_of + 1] = prose
    log_run = _log1p_of(_run_lengths(fenced, prose))
    log_words = _log1p_of(words)
    prose_sum, kw_sum = _prefix_sums(prose), _prefix_sums(kw_any)
    lo, hi = np.maximum(s, g - 3), np.minimum(e_, g + 4)
    head, tail = j < first, j > last
    short = words <= 8
    near = kw_sum[np.minimum(e_, g + 3)] - kw_sum[np.maximum(s, g - 2)] - kw_any > 0
    mark_at = np.flatnonzero(marks)
    lo_m = np.searchsorted(mark_at, doc_start)
    has_m = np.searchsorted(mark_at, doc_start + size) > lo_m
    first_mark = np.where(has_m, mark_at[np.minimum(lo_m, len(mark_at) - 1)] - doc_start if len(mark_at) else 0,
                          size)[doc_of]
    repeated: list[bool] = []
    for start, stop in zip(doc_start.tolist(), (doc_start + size).tolist(), strict=True):
        repeated += repeated_lines(entries[start:stop])
    _shared_columns(ctx, j, n, before, words, total, head, tail, _log1p_of(dist),
                    (prose_sum[hi] - prose_sum[lo] - prose) / np.maximum(1, hi - lo - 1), repeated, log_run,
                    near, short, kw_any, marks, first_mark)
    is_start, is_end = j == 0, j == n - 1
    ctx[1:, 7] = prose[:-1]
    ctx[:-1, 8] = prose[1:]
    ctx[1:, 9] = log_words[:-1]
    ctx[:-1, 10] = log_words[1:]
    ctx[is_start, 7] = 0.0
    ctx[is_end, 8] = 0.0
    ctx[is_start, 9] = 0.0
    ctx[is_end, 10] = 0.0
    ctx[:, 14] = np.array([math.log1p(t) for t in total_d.tolist()])[doc_of]
    prose_count = prose_sum[doc_start + size] - prose_sum[doc_start]
    ctx[:, 26] = (prose_count / size)[doc_of]
    short_sum = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(short, out=short_sum[1:])
    ctx[:, 27] = ((short_sum[doc_start + size] - short_sum[doc_start]) / size)[doc_of]
