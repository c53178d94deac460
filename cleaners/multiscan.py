"""Which of many patterns may match each line of a document: all patterns in one RE2 set.

:class:`LineScanner` compiles the :func:`~cleaners.relax.relaxed` form of each pattern (a superset of its
matches) into one ``RE2::Set``: a single automaton that reads a line once for all patterns.
:meth:`LineScanner.candidates` encodes a document's lines at once (one ``join``, one ``encode``, one
``split``), then asks the set line by line (~1 µs of call overhead, ~2 µs for a line of 140 bytes). The
answer is a superset of the patterns whose Python ``search`` finds a match in each line; the caller
confirms candidates with the patterns themselves (tests/test_multiscan.py compares with the plain patterns).
Patterns that cannot be relaxed or that RE2 rejects are candidates on every line (:attr:`LineScanner.always`).

Measured alternatives: one set match over the whole document in multi-line mode, then per-pattern searches
for the lines, was slower (the multi-line automaton restarts every ``^``-anchored pattern at each line:
~150 µs per 7 kB document against ~90 µs line by line); Hyperscan (whole document, one pass) missed a
match of a ``^``-anchored pattern after a line of 23+ characters in multi-line mode, so it is not used.

Without the ``google-re2`` package :func:`line_scanner` returns None, and for text that cannot be encoded
as UTF-8 (lone surrogates) :meth:`~LineScanner.candidates` returns None: then every pattern is run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from .re2_exact import re2_search
from .relax import relaxed

try:
    from re2 import _re2
except ImportError:  # pragma: no cover - tests cover the fallback by passing no scanner
    _re2 = None

_MAX_MEM = 32 << 20
"""RE2's memory budget for the set (its DFA cache: ~12 MB used on the bench corpus; 16 MB makes it reset)."""


class LineScanner:
    """Candidate patterns per line for a fixed list of regexes (see module doc)."""

    def __init__(self, regexes: Sequence[re.Pattern[str]]) -> None:
        assert _re2 is not None
        options = _re2.RE2.Options()
        options.max_mem = _MAX_MEM
        options.log_errors = False
        options.never_capture = True
        self._set: Any = _re2.Set(_re2.RE2.Anchor.UNANCHORED, options)
        self._numbers: list[int] = []
        """Per index in the set: the pattern number."""
        always: list[int] = []
        for i, regex in enumerate(regexes):
            pattern = relaxed(regex)
            if pattern is not None and self._set.Add(pattern.encode()) == len(self._numbers):
                self._numbers.append(i)
            else:
                always.append(i)
        self.always = tuple(always)
        """Pattern numbers that are candidates on every line."""
        self._memo: dict[str, tuple[int, ...]] = {}
        if not self._set.Compile():  # pragma: no cover - only when out of memory
            raise MemoryError("RE2 set does not compile")

    def candidates(self, lines: Sequence[str]) -> list[tuple[int, ...]] | None:
        """Per line (each free of ``\\n``), the ascending numbers of the patterns that may match it; None when
        the text cannot be scanned (then every pattern is a candidate everywhere).

        The answers for lines of at most :data:`_MEMO_MAX_CHARS` characters are remembered (a function of the
        line alone): site furniture repeats across a run's documents (at 20k dev documents, half of the ~890k
        lines scanned are short, of only ~39k distinct ones), and a dict lookup is ~20x cheaper than asking
        the set (~1 µs of call overhead per line)."""
        if not lines:
            return []
        memo = self._memo
        out: list[tuple[int, ...] | None] = list(map(memo.get, lines))
        if None not in out:
            return out  # type: ignore[return-value]
        todo = [j for j, found in enumerate(out) if found is None]
        try:
            encoded = "\n".join([lines[j] for j in todo]).encode("utf-8").split(b"\n")
        except UnicodeEncodeError:
            return None
        match = self._set.Match
        numbers = self._numbers
        always = self.always
        for j, data in zip(todo, encoded, strict=True):
            found = always
            if hits := match(data):
                found = tuple(sorted({numbers[k] for k in hits}.union(always)))
            out[j] = found
            if len(line := lines[j]) <= _MEMO_MAX_CHARS:
                if len(memo) >= _MAX_MEMO:
                    memo.clear()
                memo[line] = found
        return out  # type: ignore[return-value]


_MAX_MEMO = 20_000
_MEMO_MAX_CHARS = 64
"""Only lines this short are remembered (furniture is short; prose rarely repeats)."""


def text_prefilter(regex: re.Pattern[str]) -> Callable[[str], bool]:
    """A test that is True wherever ``regex.search(text)`` finds a match (line breaks included), mostly False
    elsewhere: its :func:`~cleaners.relax.relaxed` form for whole texts, one RE2 search (a few µs where a
    Python alternation of ``\\b``-words tries every position). Always True without RE2, for a pattern relax
    does not model and for text that cannot be encoded (lone surrogates)."""
    return re2_prefilter(regex) or (lambda text: True)


def re2_prefilter(regex: re.Pattern[str], max_mem: int = 8 << 20) -> Callable[[str], bool] | None:
    """:func:`text_prefilter`, or None where it would always be True (no RE2, a pattern relax does not model).
    ``max_mem``: RE2's memory budget (8 MB is its default; answers never depend on it)."""
    pattern = relaxed(regex, text=True) if _re2 is not None else None
    search = None if pattern is None else re2_search(pattern, max_mem)
    if search is None:
        return None

    def may_match(text: str) -> bool:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return search(data)

    return may_match


def line_scanner(regexes: Sequence[re.Pattern[str]]) -> LineScanner | None:
    """A scanner for ``regexes``, or None without RE2."""
    return None if _re2 is None else LineScanner(regexes)
