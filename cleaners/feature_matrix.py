"""The feature rows of :func:`cleaners.features.document_features` as one numpy array, fast.

``document_features`` is the definition (readable, one Python list per line); this module computes the
same floats, bit for bit (``tests/test_feature_matrix.py`` compares them):

- a line's own features depend on its text alone, so they are remembered per distinct line (site
  furniture repeats across a run's documents); the memory is bounded and emptied when full;
- the context features are whole-column numpy operations on integers (:mod:`cleaners.context_columns`);
- :func:`feature_matrices` stacks several documents' rows, each row the one its document alone gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, repeat
from operator import is_, itemgetter

import numpy as np

from .char_counts import Counts, char_counts
from .context_columns import Entry as _Entry
from .context_columns import context_columns, context_columns_stacked
from .features import CONTEXT_NAMES, OWN_NAMES, LineInfo
from .features_fast import line_entry
from .gc_untrack import untrack

_OWN_WIDTH = len(OWN_NAMES)
WIDTH = _OWN_WIDTH + len(CONTEXT_NAMES)
_MAX_MEMO = 20_000
"""Distinct lines remembered per process (~1 kB each)."""
_MEMO_MAX_WORDS = 8
"""Only lines up to this many words are remembered: furniture repeats, prose rarely does."""

_memo: dict[str, _Entry] = {}
_info_of = itemgetter(2)


_COUNT_CHARS = 1 << 16
""":func:`char_counts` runs on about this many characters at a time (its arrays take ~25 bytes per character;
a batch of documents would otherwise hold ~15 MB for a moment)."""


def _char_counts(lines: list[str]) -> list[Counts | None]:
    """``char_counts(lines)``, in pieces of about :data:`_COUNT_CHARS` characters."""
    out: list[Counts | None] = []
    start = size = 0
    for k, line in enumerate(lines):
        size += len(line) + 1
        if size >= _COUNT_CHARS:
            out += char_counts(lines[start:k + 1])
            start, size = k + 1, 0
    return out + char_counts(lines[start:]) if start < len(lines) else out


def _entries(texts: list[str]) -> list[_Entry]:
    """The memoised entries of the lines; lines not remembered are computed together (their character
    counts in one :func:`char_counts` call) and the short ones remembered."""
    memo = _memo
    found = list(map(memo.get, texts))
    if None not in found:
        return found  # type: ignore[return-value]
    new = list(dict.fromkeys(compress(texts, map(is_, found, repeat(None)))))
    made: dict[str, _Entry] = {}
    for text, counts in zip(new, _char_counts(new), strict=True):
        row, bits, info, mark, key = line_entry(text, counts)
        made[text] = entry = (row, bits != 0, info, mark, key)
        untrack(info)  # atomic items only (see gc_untrack): never in a cycle, and kept in the memo
        untrack(entry)
        if info.words <= _MEMO_MAX_WORDS:
            if len(memo) >= _MAX_MEMO:
                memo.clear()
            memo[text] = entry
    # a text is in ``made`` exactly where its memo lookup above found nothing (all lookups came first)
    return list(map(made.get, texts, found))  # type: ignore[arg-type]


def feature_matrix(lines: Sequence[str]) -> tuple[list[int], np.ndarray, list[LineInfo]]:
    """Like :func:`cleaners.features.document_features`, with the rows as an ``(n, WIDTH)`` array."""
    (index,), out, (infos,), _ = feature_matrices([lines])
    return index, out, infos


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
        stripped = list(map(str.strip, lines))
        index = list(compress(range(len(stripped)), stripped))  # the non-blank lines
        indexes.append(index)
        texts += compress(stripped, stripped)
        sizes.append(len(index))
    entries = _entries(texts)
    flat = list(map(_info_of, entries))
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
        if sum(1 for size in sizes if size) == 1:
            context_columns(out[:, _OWN_WIDTH:], entries)
        else:
            context_columns_stacked(out[:, _OWN_WIDTH:], entries, sizes)
    return indexes, out, infos, sizes
