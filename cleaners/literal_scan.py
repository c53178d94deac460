"""Which of a fixed set of conditions a line may meet, all found in one pass by an RE2 set.

Each condition is a list of byte patterns (RE2 syntax over bytes: the set runs in Latin-1 mode, so a
pattern character is one byte); :meth:`LiteralScan.scan` returns a bit mask with bit ``k`` set when some
pattern of condition ``k`` occurs in the data. The callers build conditions that are *necessary* for a
Python regex or vocabulary hit (the literals every match contains), so a clear bit proves "no match" and
a set bit only means "look": every answer is still given by the Python definition. Without the optional
``google-re2`` package (or when RE2 rejects a pattern) every bit is set, which gives the same answers,
only slower. The rule catalogue's prefilter (:mod:`cleaners.multiscan`) uses the same engine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

try:
    from re2 import _re2
except ImportError:  # pragma: no cover - exercised by forcing ``available=False``
    _re2 = None

_WORD_BYTES = "0-9A-Za-z_"
"""ASCII word characters: a byte outside this class is either an ASCII non-word character or part of a
multi-byte UTF-8 character, so it can stand wherever a Unicode non-word character stands."""

_MAX_MEM = 16 << 20
"""RE2's memory budget for the set (program and DFA cache; ~3 MB used on the bench corpus)."""

_NON_WORD = b"[^" + _WORD_BYTES.encode() + b"]"
_START, _END = b"(?:^|" + _NON_WORD + b")", b"(?:" + _NON_WORD + b"|$)"
"""No ASCII word character just before / just after."""


def literal(text: str) -> bytes:
    """A pattern matching the UTF-8 bytes of ``text`` exactly (every byte escaped)."""
    return "".join(f"\\x{b:02x}" for b in text.encode("utf-8")).encode("ascii")


def word(*texts: str) -> bytes:
    """The ``texts`` in a row, each separated from the next by one or more non-ASCII-word bytes, with no
    ASCII word character just before or after: a necessary condition for consecutive ``\\w``-tokens
    equal to ``texts`` (every character between two tokens is a non-word character, and Unicode word
    characters outside ASCII are multi-byte)."""
    return _START + (_NON_WORD + b"+").join(map(literal, texts)) + _END


def prefix(text: str) -> bytes:
    """``text`` with no ASCII word character just before it (a token starting with ``text``)."""
    return _START + literal(text)


def _alternation(patterns: Sequence[bytes]) -> bytes:
    """One pattern matching where one of ``patterns`` matches, with the token bounds of :func:`word` and
    :func:`prefix` taken out of the alternation (the same language; RE2's automaton then follows one
    thread per bound instead of one per pattern: its states build ~3x faster). Only bodies without ``|``
    are regrouped (``_START a|b`` is ``(?:_START a)|b``)."""
    groups: dict[tuple[bool, bool], list[bytes]] = {}
    for x in patterns:
        start = x.startswith(_START)
        body = x[len(_START) :] if start else x
        end = body.endswith(_END) and len(body) > len(_END)
        body = body[: -len(_END)] if end else body
        if b"|" in body:
            start, end, body = False, False, x
        groups.setdefault((start, end), []).append(body)
    parts = [(_START if start else b"") + b"(?:" + b"|".join(bodies) + b")" + (_END if end else b"")
             for (start, end), bodies in groups.items()]
    return b"(?:" + b"|".join(parts) + b")"


class LiteralScan:
    """Bit ``k`` of :meth:`scan` is set when a pattern of ``conditions[k]`` occurs (see module doc); a
    condition given as None is not scanned for and its bit is always set."""

    def __init__(self, conditions: Sequence[Sequence[bytes] | None], *, available: bool = True) -> None:
        self.conditions = tuple(None if c is None else tuple(c) for c in conditions)
        self.size = len(conditions)
        self.all = (1 << self.size) - 1
        self.always = sum(1 << k for k, c in enumerate(conditions) if c is None)
        if any(c is not None and not c for c in conditions):
            raise ValueError("a condition needs at least one pattern")
        # one alternation per condition: the set reports conditions, not patterns
        self._bit_of: list[int] = []
        self._expressions: list[bytes] = []
        if available and _re2 is not None:
            for k, condition in enumerate(conditions):
                if condition is not None:
                    self._expressions.append(_alternation(condition))
                    self._bit_of.append(1 << k)
        self._set: Any = None
        self._lock = threading.Lock()
        self._compiled = False

    def _compile(self) -> Any:
        """The RE2 set, compiled on first use (~2 ms; importing the library stays cheap). A set that
        does not compile (a pattern RE2 rejects) is None: "look" everywhere."""
        with self._lock:
            if not self._compiled and self._expressions:
                options = _re2.RE2.Options()
                options.encoding = _re2.RE2.Options.Encoding.LATIN1  # a pattern character is a byte
                options.max_mem = _MAX_MEM
                options.log_errors = False
                options.never_capture = True
                compiled: Any = _re2.Set(_re2.RE2.Anchor.UNANCHORED, options)
                added = all(compiled.Add(x) == i for i, x in enumerate(self._expressions))
                self._set = compiled if added and compiled.Compile() else None
            self._compiled = True
            return self._set

    @property
    def active(self) -> bool:
        return (self._set if self._compiled else self._compile()) is not None

    def scan(self, data: bytes) -> int:
        """The bit mask of the conditions whose patterns occur in ``data``."""
        found = self._set if self._compiled else self._compile()
        if found is None:
            return self.all
        mask = self.always
        bit_of = self._bit_of
        for k in found.Match(data):
            mask |= bit_of[k]
        return mask
