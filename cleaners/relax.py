"""A Python regex as a looser, case-insensitive RE2 pattern.

:func:`relaxed` rewrites a parsed pattern so that wherever the original ``search``-es a match in a line, the
relaxed pattern (RE2, case-insensitive) matches in that line too: a superset, it may also match where the
original does not, never the other way round. Candidates found with it are confirmed by the original.

Characters are compared by their :func:`~cleaners.prefilter.fold`: the engine matches a pattern character,
with or without IGNORECASE, only with characters whose fold is the fold of the pattern character
(tests/test_prefilter.py checks every code point), and RE2's case-insensitive matching of a fold matches
every character of that fold but those listed in ``_RE2_MISSES``, which are added (tests/test_multiscan.py
checks every code point). So:

- a literal character becomes its fold;
- a character class of literals and small ranges becomes the set of the folds of the characters it can
  match (from its members, their simple upper and lower cases; tests/test_multiscan.py checks every code
  point against every class of the catalogue); ``\\s`` and ``\\d`` add the characters the engine's own
  classes match; anything else (``\\w``, negated classes, ``.``) becomes "any character but a line break";
- zero-width tests other than top-level ``^`` and ``$`` (``\\b``, look-arounds, anchors inside groups) are
  dropped (they add little to a prefilter);
- repeats with a large upper bound lose the bound, elements at either end that a match need not contain
  are cut (:func:`_trim`), and a pattern split by runs of "any characters" keeps one piece (:func:`_segment`):
  a smaller automaton.

Parts of a pattern without IGNORECASE stay exact (case-sensitive in RE2). With ``text=True`` the relaxed
pattern is for any string, line breaks included (``ftfy``'s mojibake test on whole documents): "any
character" then includes ``\\n`` where the original's does, ``$`` also matches before a line break, and
no trimming assumes a single line.

Returns None for what it does not model (back-references, conditionals): such patterns are always run.
"""

from __future__ import annotations

import functools
import re
from re import _constants as C  # type: ignore[attr-defined]
from typing import Any

from .prefilter import _fold_char, parse

ANY = "[^\\n]"
ANY_NL = "(?s:.)"
_MAX_RANGE = 4096
"""Ranges larger than this become "any character" (enumerating their folds would cost too much)."""
_CATEGORY_LIMITS = {C.CATEGORY_SPACE: 0x3001, C.CATEGORY_DIGIT: 0x20000}
"""No character at or above these is a space / decimal digit (tests/test_multiscan.py checks)."""
_MAX_BOUND = 16
"""Repeat bounds above this become unbounded."""


class _Unsupported(Exception):
    pass


def _hs_char(code: int) -> str:
    if code < 128 and (chr(code).isalnum() or chr(code) == " "):
        return chr(code)
    return f"\\x{{{code:x}}}"


_RE2_MISSES = {ord("i"): (0x130, 0x131)}
"""Characters whose fold is the key that RE2's case-insensitive match of the key misses (İ, ı)."""


def _char_set(codes: set[int], folded: bool = True) -> str:
    """RE2 for one character of ``codes``: folds (matched case-insensitively), or exact characters."""
    if folded:
        codes = codes.union(*(_RE2_MISSES[c] for c in codes if c in _RE2_MISSES))
    body = _set_body(codes)
    return body if folded else f"(?-i:{body})"


def _set_body(codes: set[int]) -> str:
    if not codes:
        raise _Unsupported("empty class")
    if len(codes) == 1:
        return _hs_char(next(iter(codes)))
    parts: list[str] = []
    ordered = sorted(codes)
    start = prev = ordered[0]
    for c in [*ordered[1:], -2]:
        if c == prev + 1:
            prev = c
            continue
        parts.append(_hs_char(start) if start == prev else f"{_hs_char(start)}-{_hs_char(prev)}")
        start = prev = c
    return "[" + "".join(parts) + "]"


def _folds_of(code: int, ignore_case: bool) -> set[int]:
    """Folds of every character a class member ``code`` can match (a superset, see the module doc)."""
    found = {ord(_fold_char(code))}
    if ignore_case:
        c = chr(code)
        for other in (c.lower(), c.upper()):
            if len(other) == 1:
                found.add(ord(_fold_char(ord(other))))
    return found


@functools.cache
def _category(category: Any) -> frozenset[int]:
    """The characters of ``\\s`` or ``\\d`` in a Unicode pattern (``str.isspace`` / ``str.isdecimal``)."""
    engine = re.compile(r"\s" if category is C.CATEGORY_SPACE else r"\d")  # what the engine matches
    return frozenset(map(ord, engine.findall("".join(map(chr, range(_CATEGORY_LIMITS[category]))))))


def _class(items: Any, ignore_case: bool, text: bool = False) -> str:
    """A class: the folds of what it matches (IGNORECASE), or exactly its members; else any character."""
    codes: set[int] = set()
    for op, av in items:
        if op is C.CATEGORY and av in (C.CATEGORY_SPACE, C.CATEGORY_DIGIT):
            codes |= _category(av)  # uncased: their folds are themselves
        elif op is C.LITERAL:
            codes |= _folds_of(av, ignore_case) if ignore_case else {av}
        elif op is C.RANGE and av[1] - av[0] <= _MAX_RANGE:
            for code in range(av[0], av[1] + 1):
                codes |= _folds_of(code, ignore_case) if ignore_case else {code}
        else:  # NEGATE, CATEGORY, huge ranges: any character
            return ANY_NL if text else ANY
    if not text:
        codes.discard(ord("\n"))
    return _char_set(codes, folded=ignore_case)


@functools.cache
def _literal(code: int, ignore_case: bool) -> str:
    """One literal character (patterns repeat their letters: remembered, ~13k per catalogue build)."""
    return _char_set({ord(_fold_char(code))}) if ignore_case else _char_set({code}, folded=False)


def _seq(items: Any, flags: int, top: bool = False, text: bool = False) -> str:
    return "".join(_one(op, av, flags, top, text) for op, av in items)


_IGNORECASE, _DOTALL = int(re.IGNORECASE), int(re.DOTALL)
"""The flags as plain ints: ``int & re.IGNORECASE`` runs the enum's Python-level ``__rand__`` (~30k calls per
catalogue build)."""


def _one(op: Any, av: Any, flags: int, top: bool = False, text: bool = False) -> str:
    ignore_case = bool(flags & _IGNORECASE)
    if op is C.LITERAL:
        if av == ord("\n") and not text:
            raise _Unsupported("line break")
        return _literal(av, ignore_case)
    if op is C.ANY:
        return ANY_NL if flags & _DOTALL else ANY
    if op is C.NOT_LITERAL:
        return ANY_NL if text else ANY
    if op is C.IN:
        return _class(av, ignore_case, text)
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return "(?:" + _seq(sub, (flags | add_flags) & ~del_flags, text=text) + ")"
    if op is C.ATOMIC_GROUP:
        return "(?:" + _seq(av, flags, text=text) + ")"
    if op is C.BRANCH:
        return "(?:" + "|".join(_seq(sub, flags, text=text) for sub in av[1]) + ")"
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        body = "(?:" + _seq(sub, flags, text=text) + ")"
        if hi is C.MAXREPEAT or hi > _MAX_BOUND:
            return body + ("*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}")
        return body + f"{{{lo},{hi}}}"
    if op is C.AT:
        if not top:
            return ""  # inside groups: dropped (a superset)
        if av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
            return "^"
        if av in (C.AT_END, C.AT_END_STRING):
            return "(?m:$)" if text else "$"  # Python's `$` also matches before a final line break
        return ""  # word boundaries: dropped (a superset)
    if op in (C.ASSERT, C.ASSERT_NOT):
        return ""
    raise _Unsupported(str(op))


_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)


def _any_run(item: Any, flags: int) -> bool:
    """``item`` relaxes to "any characters but a line break, any number of them" (in line mode)."""
    op, av = item
    return (op in _REPEATS and av[0] == 0 and (av[1] is C.MAXREPEAT or av[1] > _MAX_BOUND)
            and _seq(av[2], flags) == ANY)


def _droppable(op: Any, av: Any, anchors: tuple[Any, ...]) -> bool:
    """A repeat that may match nothing, or a zero-width test other than ``anchors``."""
    return (op in _REPEATS and av[0] == 0) or op in (C.ASSERT, C.ASSERT_NOT) or (op is C.AT and av not in anchors)


def _trim(items: list[Any], flags: int, text: bool) -> list[Any]:
    """The relaxed pattern without elements at its ends that a match need not contain: a match (in a line,
    which holds no line break) exists exactly when one of the shorter pattern does.

    - at the end: a repeat that may match nothing, a zero-width test other than ``$``; ``x{2,9}`` -> ``x{2}``;
      ``<any run>$`` (it can always run to the line end);
    - at the start (only when not anchored): a repeat that may match nothing, a zero-width test;
      ``^<any run>`` (it can start anywhere).
    """
    while items:
        op, av = items[-1]
        if _droppable(op, av, (C.AT_END, C.AT_END_STRING)):
            items.pop()
        elif op is C.AT and not text and len(items) >= 2 and _any_run(items[-2], flags):
            del items[-2:]
        elif op in _REPEATS:
            items[-1] = (op, (av[0], av[0], av[2]))  # `x{2,9}` at the end: `x{2}` is there too
            break
        else:
            break
    if len(items) >= 2 and items[0] == (C.AT, C.AT_BEGINNING) and _any_run(items[1], flags):
        del items[:2]
    while items:
        op, av = items[0]
        if _droppable(op, av, (C.AT_BEGINNING, C.AT_BEGINNING_STRING)):
            del items[0]
        else:
            break
    return items


def _unbounded_any(item: Any, flags: int, text: bool) -> bool:
    op, av = item
    return (op in _REPEATS and (av[1] is C.MAXREPEAT or av[1] > _MAX_BOUND)
            and _seq(av[2], flags, text=text) in (ANY, ANY_NL))


def _literal_weight(items: Any) -> int:
    """Literal characters at the top level of a piece, or in every alternative of a group there (roughly)."""
    weight = 0
    for op, av in items:
        if op is C.LITERAL:
            weight += 1
        elif op is C.SUBPATTERN:
            weight += _literal_weight(av[3])
        elif op is C.BRANCH:
            weight += min(_literal_weight(sub) for sub in av[1])
    return weight


def _segment(items: list[Any], flags: int, text: bool) -> list[Any]:
    """One of the pieces between top-level runs of "any characters": every match contains a match of each
    piece, so one piece is a looser pattern (a much smaller automaton). The first piece when the pattern is
    anchored, else the one with the most literal characters."""
    pieces: list[list[Any]] = [[]]
    for item in items:
        if _unbounded_any(item, flags, text):
            pieces.append([])
        else:
            pieces[-1].append(item)
    if len(pieces) == 1:
        return items
    if pieces[0] and pieces[0][0] == (C.AT, C.AT_BEGINNING) and _literal_weight(pieces[0]) >= _MIN_WEIGHT:
        return pieces[0]
    best = max(pieces, key=_literal_weight)
    if _literal_weight(best) < _MIN_WEIGHT:
        return items
    return [item for item in best if item[0] is not C.AT]


_MIN_WEIGHT = 3


def relaxed(regex: re.Pattern[str], *, text: bool = False) -> str | None:
    """The relaxed RE2 pattern (case-insensitive, UTF-8) to search one line (a string without ``\\n``), or
    with ``text`` any string; None (see module doc)."""
    if not isinstance(regex.pattern, str) or regex.flags & (re.MULTILINE | re.DOTALL | re.LOCALE):
        return None
    try:
        items = _trim(list(parse(regex)), regex.flags, text)
        items = _segment(items, regex.flags, text)
        return "(?i)" + _seq(items, regex.flags, top=True, text=text)
    except (_Unsupported, re.error, RecursionError):
        return None
