"""First-character prefilters for anchored rule patterns (a speed-up that never changes a verdict).

Most catalogue patterns start with ``^`` and an alternation of words, so a line can only match when its
first character is one the pattern can start with. :func:`first_char_filter` derives that set from the
parsed pattern, as a small regex with the pattern's own flags (so case folding is exactly the engine's),
and returns None whenever it cannot be sure (unanchored patterns, patterns that can match the empty
string, constructs it does not model). A rule's full pattern then only runs on lines whose first
character passes.
"""

from __future__ import annotations

import _sre
import functools
import itertools
import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from re._casefix import _EXTRA_CASES
from typing import Any

_CATEGORIES = {
    C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W", C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D",
}
_Result = tuple[list[str], bool] | None
"""Regex fragments for the possible first characters, and whether the sequence can match empty."""


@functools.lru_cache(maxsize=1024)
def parse(regex: re.Pattern[str]) -> Any:
    """The parsed pattern (``re._parser``), once per pattern: the prefilters and :mod:`cleaners.relax` each
    read it (callers must not change it). Raises what the parser raises. :func:`forget_parsed` when done."""
    return P.parse(regex.pattern, regex.flags)


def forget_parsed() -> None:
    """Drop the parsed patterns :func:`parse` remembers, once the prefilters that read them are built: for
    the rule catalogue ~2 MB in ~37,000 small objects that every full garbage collection would walk
    (a later build parses again)."""
    parse.cache_clear()


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
        parsed = list(parse(regex))
    except Exception:  # an unparseable pattern just gets no prefilter
        return None
    if not parsed or parsed[0] != (C.AT, C.AT_BEGINNING):
        return None
    r = _seq(parsed[1:])
    if r is None or r[1] or not r[0]:
        return None
    return re.compile("(?:" + "|".join(r[0]) + ")", regex.flags & ~re.VERBOSE)


# Required literals ----------------------------------------------------------------------------------
# With re.IGNORECASE a cased pattern character c matches a character x exactly when the engine's simple
# lower-case of x lies in c's class: its simple lower-case plus the extra equivalences of re._casefix
# (i/ı, s/ſ, σ/ς, ...); without it, and for uncased characters, only x == c matches. :func:`fold` maps
# every character to the smallest member of that class: str.lower() is the simple lower-case mapping
# for every character but İ (whose full mapping has two characters, so it is mapped first) and a
# final Σ (ς, in σ's class). So every match of a pattern contains the fold of one of the literal
# strings :func:`required_literals` derives from it (tests/test_prefilter.py checks every code point).
_REP: dict[int, int] = {}
for _lo, _others in _EXTRA_CASES.items():
    _REP[_lo] = min(_lo, *_others)
_TO_REP = {chr(k): chr(v) for k, v in _REP.items() if k != v}
_NEEDS_REP = re.compile("[" + "".join(re.escape(chr(k)) for k, v in _REP.items() if k != v) + "]")
_Literals = tuple[str, ...]


def fold(text: str) -> str:
    """The text as :func:`required_literals` are looked for in it (same length, lower case, see above)."""
    if text.isascii():
        return text.lower()
    text = text.replace("\u0130", "i").lower()
    if _NEEDS_REP.search(text) is None:
        return text
    # one str.replace per character present: the same as text.translate(_TO_REP) (no target is a key),
    # ~50x faster on a long text (translate looks up every character of the text in Python)
    for c in set(_NEEDS_REP.findall(text)):
        text = text.replace(c, _TO_REP[c])
    return text


def _fold_char(code: int) -> str:
    lo = _sre.unicode_tolower(code) if _sre.unicode_iscased(code) else code
    return chr(_REP.get(lo, lo))


def _weight(literal: str) -> int:
    """How selective a literal is: its length, a non-ASCII character counting three."""
    return len(literal) if literal.isascii() else sum(1 if c.isascii() else 3 for c in literal)


def _strength(lits: _Literals) -> tuple[int, int]:
    return min(map(_weight, lits)), -len(lits)


def _better(a: _Literals | None, b: _Literals | None) -> _Literals | None:
    if a is None or b is None:
        return a if b is None else b
    return a if _strength(a) >= _strength(b) else b


def _required(items: Any) -> _Literals | None:
    best: _Literals | None = None
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is C.LITERAL:
            run.append(_fold_char(av))
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
        elif op is C.IN and len(av) <= _MAX_CLASS and all(o is C.LITERAL and not _sre.unicode_iscased(a)
                                                         for o, a in av):
            best = _better(best, tuple(sorted({chr(a) for _, a in av})))  # uncased: only itself matches
    return best


_MAX_CLASS = 16


def required_literals(regex: re.Pattern[str], min_length: int = 3) -> _Literals | None:
    """Strings one of which the :func:`fold` of every string ``regex`` finds a match in contains; None
    when no such strings of at least ``min_length`` characters can be derived (run the pattern always)."""
    if regex.flags & re.LOCALE or not isinstance(regex.pattern, str):
        return None
    try:
        parsed = parse(regex)
    except Exception:  # no prefilter for what the parser of this Python version rejects
        return None
    found = _required(list(parsed))
    if found is None or min(map(_weight, found)) < min_length:
        return None
    # a literal that contains another one adds nothing
    return tuple(x for x in found if not any(y != x and y in x for y in found))


# Top-level branches ---------------------------------------------------------------------------------
_FLAG_GROUP = re.compile(r"\(\?[aiLmsux-]*[:)]")
_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def top_level_branches(regex: re.Pattern[str]) -> list[re.Pattern[str]] | None:
    """The alternatives of ``regex``'s top-level ``|``, each compiled with its flags, or None when it has
    fewer than two or could not be split safely (references between groups, global inline flags).

    ``regex.search(s)`` finds a match exactly when one of them does: the engine tries the alternatives at
    every position, and a match of one is a match of the whole. Each alternative then gets its own
    prefilters (a pattern mixing ``^``-anchored and unanchored alternatives gets none as a whole).
    """
    pattern = regex.pattern
    if not isinstance(pattern, str) or _BACKREF.search(pattern) or regex.flags & re.VERBOSE:
        return None
    pieces: list[str] = []
    depth = start = i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):  # a ']' right after '[' or '[^' is a literal
                i += 1
            continue
        elif c == "(":
            flags = _FLAG_GROUP.match(pattern, i) if depth == 0 else None
            if flags is not None and flags.group().endswith(")"):
                return None  # global inline flags apply to every alternative
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            pieces.append(pattern[start:i])
            start = i + 1
        i += 1
    pieces.append(pattern[start:])
    if len(pieces) < 2 or depth != 0 or in_class:
        return None
    try:
        return [re.compile(p, regex.flags) for p in pieces]
    except re.error:
        return None


def single_literal(regex: re.Pattern[str]) -> str | None:
    """One string (as :func:`fold` gives it) that every match of ``regex`` contains, found among the top-level
    elements of the pattern: the most selective one, or None. One ``in`` test is far cheaper than a set of
    alternatives, so a weakly filtered pattern like ``^[\\w ]{1,40}\\s(says|said|...)\\s?:`` can first ask
    for its ``:``. Whitespace and single letters or digits are too common to be worth a test."""
    if regex.flags & re.LOCALE or not isinstance(regex.pattern, str):
        return None
    try:
        items = list(parse(regex))
    except Exception:  # no prefilter for what the parser of this Python version rejects
        return None
    best: str | None = None
    for is_run, group in itertools.groupby(items, key=lambda item: item[0] is C.LITERAL):
        elements = list(group)
        clauses = [("".join(_fold_char(av) for _, av in elements),)] if is_run else [
            found for element in elements if (found := _required([element])) is not None]
        for clause in clauses:
            if (len(clause) == 1 and _worth_testing(clause[0])
                    and (best is None or _weight(clause[0]) > _weight(best))):
                best = clause[0]
    return best


def _worth_testing(literal: str) -> bool:
    return _weight(literal.strip()) >= 2 or (len(literal) == 1 and not literal.isspace() and not literal.isalnum())
