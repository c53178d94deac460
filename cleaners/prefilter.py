"""First-character prefilters for anchored rule patterns (a speed-up that never changes a verdict).

Most catalogue patterns start with ``^`` and an alternation of words, so a line can only match when its
first character is one the pattern can start with. :func:`first_char_filter` derives that set from the
parsed pattern, as a small regex with the pattern's own flags (so case folding is exactly the engine's),
and returns None whenever it cannot be sure (unanchored patterns, patterns that can match the empty
string, constructs it does not model). A rule's full pattern then only runs on lines whose first
character passes.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

import _sre

_CATEGORIES = {
    C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W", C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D",
}
_Result = tuple[list[str], bool] | None
"""Regex fragments for the possible first characters, and whether the sequence can match empty."""


def _esc(code: int) -> str:
    return re.escape(chr(code))


def _class(items: Any) -> list[str] | None:
    parts: list[str] = []
    for op, av in items:
        if op is C.LITERAL:
            parts.append(_esc(av))
        elif op is C.RANGE:
            parts.append(f"{_esc(av[0])}-{_esc(av[1])}")
        elif op is C.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        else:  # NEGATE, RANGE_UNI_IGNORE, ...: give up
            return None
    return [f"[{''.join(parts)}]"] if parts else None


def _one(op: Any, av: Any) -> _Result:
    if op is C.LITERAL:
        return [_esc(av)], False
    if op is C.IN:
        found = _class(av)
        return None if found is None else (found, False)
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _seq(sub)
    if op is C.BRANCH:
        frags: list[str] = []
        nullable = False
        for sub in av[1]:
            r = _seq(sub)
            if r is None:
                return None
            frags += r[0]
            nullable = nullable or r[1]
        return frags, nullable
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, _hi, sub = av
        r = _seq(sub)
        return None if r is None else (r[0], r[1] or lo == 0)
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):  # zero-width: transparent (a superset is still exact)
        return [], True
    return None


def _seq(items: Any) -> _Result:
    frags: list[str] = []
    for op, av in items:
        r = _one(op, av)
        if r is None:
            return None
        frags += r[0]
        if not r[1]:
            return frags, False
    return frags, True


def first_char_filter(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """A regex that matches every first character a match of ``regex`` (used with ``search``) can
    start with, or None when that cannot be determined. Only ``^``-anchored patterns qualify."""
    if regex.flags & (re.MULTILINE | re.VERBOSE):
        return None
    try:
        parsed = list(P.parse(regex.pattern, regex.flags))
    except Exception:  # an unparseable pattern just gets no prefilter
        return None
    if not parsed or parsed[0] != (C.AT, C.AT_BEGINNING):
        return None
    r = _seq(parsed[1:])
    if r is None or r[1] or not r[0]:
        return None
    return re.compile("(?:" + "|".join(r[0]) + ")", regex.flags & ~re.VERBOSE)


# Required literals ----------------------------------------------------------------------------------
# Case-insensitive matching (re.IGNORECASE, str patterns) lets an ASCII letter match only its two
# cases, plus İ/ı for i, K (Kelvin sign) for k and ſ (long s) for s; uncased characters match only
# themselves (tests/test_prefilter.py checks this over every code point). So after folding those four
# characters and lower-casing (length-preserving once İ is gone), every match of a pattern contains
# the lower-cased form of one of the literal strings derived here.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"})
_Literals = tuple[str, ...]


def fold(text: str) -> str:
    """The text as :func:`required_literals` are looked for in it (lower case, see above)."""
    return text.lower() if text.isascii() else text.translate(_FOLD).lower()


def _better(a: _Literals | None, b: _Literals | None) -> _Literals | None:
    if a is None or b is None:
        return a if b is None else b
    key_a, key_b = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return a if key_a >= key_b else b


def _required(items: Any) -> _Literals | None:
    best: _Literals | None = None
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is C.LITERAL and (av < 128 or not _sre.unicode_iscased(av)):
            run.append(chr(av).lower())
            continue
        if run:
            best = _better(best, ("".join(run),))
            run = []
        if op is C.SUBPATTERN:
            best = _better(best, _required(av[3]))
        elif op is C.BRANCH:
            alts = [_required(sub) for sub in av[1]]
            if all(a is not None for a in alts):
                best = _better(best, tuple(sorted({x for a in alts for x in a})))  # type: ignore[union-attr]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            best = _better(best, _required(av[2]))
        elif op is C.ATOMIC_GROUP:
            best = _better(best, _required(av))
    return best


def required_literals(regex: re.Pattern[str]) -> _Literals | None:
    """Strings one of which the :func:`fold` of every string ``regex`` can find a match in contains;
    None when no such strings can be derived (then the pattern must always run)."""
    if regex.flags & re.LOCALE or not isinstance(regex.pattern, str):
        return None
    try:
        parsed = P.parse(regex.pattern, regex.flags)
    except Exception:  # no prefilter for what the parser of this Python version rejects
        return None
    return _required(list(parsed))
