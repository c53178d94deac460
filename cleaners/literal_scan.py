"""Which of a fixed set of conditions a line may meet, all found in one pass by Hyperscan.

Each condition is a list of byte patterns (Hyperscan syntax, no UTF-8 mode); :meth:`LiteralScan.scan`
returns a bit mask with bit ``k`` set when some pattern of condition ``k`` occurs in the data. The
callers build conditions that are *necessary* for a Python regex or vocabulary hit (the literals every
match contains), so a clear bit proves "no match" and a set bit only means "look": every answer is
still given by the Python definition. Without the optional ``hyperscan`` wheel (or on a CPU it does not
support) every bit is set, which gives the same answers, only slower.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

_hs: Any
try:
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised by forcing ``available=False``
    _hs = None

_WORD_BYTES = "0-9A-Za-z_"
"""ASCII word characters: a byte outside this class is either an ASCII non-word character or part of a
multi-byte UTF-8 character, so it can stand wherever a Unicode non-word character stands."""


def literal(text: str) -> bytes:
    """A pattern matching the UTF-8 bytes of ``text`` exactly (every byte escaped)."""
    return "".join(f"\\x{b:02x}" for b in text.encode("utf-8")).encode("ascii")


_NON_WORD = b"[^" + _WORD_BYTES.encode() + b"]"


def word(*texts: str) -> bytes:
    """The ``texts`` in a row, each separated from the next by one or more non-ASCII-word bytes, with no
    ASCII word character just before or after: a necessary condition for consecutive ``\\w``-tokens
    equal to ``texts`` (every character between two tokens is a non-word character, and Unicode word
    characters outside ASCII are multi-byte)."""
    inner = (_NON_WORD + b"+").join(map(literal, texts))
    return b"(?:^|" + _NON_WORD + b")" + inner + b"(?:" + _NON_WORD + b"|$)"


def prefix(text: str) -> bytes:
    """``text`` with no ASCII word character just before it (a token starting with ``text``)."""
    return b"(?:^|" + _NON_WORD + b")" + literal(text)


def _found(ident: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(ident)


class LiteralScan:
    """Bit ``k`` of :meth:`scan` is set when a pattern of ``conditions[k]`` occurs (see module doc); a
    condition given as None is not scanned for and its bit is always set."""

    def __init__(self, conditions: Sequence[Sequence[bytes] | None], *, available: bool = True) -> None:
        self.size = len(conditions)
        self.all = (1 << self.size) - 1
        self.always = sum(1 << k for k, c in enumerate(conditions) if c is None)
        self._db: Any = None
        self._local = threading.local()
        if any(c is not None and not c for c in conditions):
            raise ValueError("a condition needs at least one pattern")
        # one expression per pattern (Hyperscan compiles many small expressions faster than alternations)
        self._bit_of: list[int] = []
        expressions: list[bytes] = []
        for k, condition in enumerate(conditions):
            for pattern in condition or ():
                expressions.append(pattern)
                self._bit_of.append(1 << k)
        self._expressions = expressions if available and _hs is not None else []
        self._lock = threading.Lock()
        self._compiled = False

    def _database(self) -> Any:
        """The Hyperscan database, compiled on first use (~0.1 s; importing the library stays cheap)."""
        with self._lock:
            if not self._compiled and self._expressions:
                try:
                    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
                    db.compile(
                        expressions=self._expressions,
                        ids=list(range(len(self._expressions))),
                        elements=len(self._expressions),
                        flags=[_hs.HS_FLAG_SINGLEMATCH] * len(self._expressions),
                    )
                except Exception:  # an unsupported CPU or a pattern Hyperscan rejects: "look" everywhere
                    db = None
                self._db = db
            self._compiled = True
            return self._db

    @property
    def active(self) -> bool:
        return (self._db if self._compiled else self._database()) is not None

    def scan(self, data: bytes) -> int:
        """The bit mask of the conditions whose patterns occur in ``data``."""
        db = self._db if self._compiled else self._database()
        if db is None:
            return self.all
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:  # one scratch space per thread (Hyperscan releases the GIL while scanning)
            scratch = self._local.scratch = _hs.Scratch(db)
        found: list[int] = []
        db.scan(data, match_event_handler=_found, context=found, scratch=scratch)
        mask = self.always
        bit_of = self._bit_of
        for k in found:
            mask |= bit_of[k]
        return mask
