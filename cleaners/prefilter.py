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
