"""A Python regex as an RE2 pattern that matches the same strings (for the patterns it can translate).

:mod:`cleaners.relax` makes loose prefilters; this is exact, for a small subset: literals, character classes,
``.``, alternation, groups without flags, repeats and ``^``/``\\A``, without
IGNORECASE, MULTILINE or LOCALE. That is enough for ftfy's ``BADNESS_RE``. Every character class becomes the
explicit list of code points it matches (negations and ``.`` as complements; ``\\w``, ``\\s``, ``\\d`` as the
Python engine itself matches them over all code points), so RE2's own idea of ``\\w`` never enters.
Surrogates are left out: a UTF-8 subject cannot contain them (callers fall back to the Python pattern).

Whether a search finds a match then depends only on the set of strings the pattern matches, which is the
same in both engines (no back-references or look-arounds are translated). tests/test_re2_exact.py compares.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np

_C: Any = importlib.import_module("re._constants")
_P: Any = importlib.import_module("re._parser")
_K: Any = importlib.import_module("re._compiler")

_MAX_CODE = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)


class Unsupported(Exception):
    """The pattern uses something this module does not translate."""


CODE_POINT_PIECE = 1 << 14
"""Code points per piece when scanning all of them (a 64 kB string: one 4.5 MB string, freed at once, would raise
glibc's mmap threshold for the rest of the process, which then kept ~2.5 MiB more of later large allocations)."""


def code_points(start: int) -> str:
    """Code points ``start`` to ``start + CODE_POINT_PIECE - 1`` (those that exist, surrogates included), one each."""
    stop = min(start + CODE_POINT_PIECE, _MAX_CODE + 1)
    return np.arange(start, stop, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


@functools.lru_cache(maxsize=16)
def _category_ranges(category: Any, flags: int) -> tuple[tuple[int, int], ...]:
    """The code point ranges the Python engine matches with a category (``\\w``, ``\\s``, ``\\d`` ...)."""
    state = _P.State()
    state.flags = flags
    item = (_C.IN, [(_C.CATEGORY, category)])
    repeat = (_C.MAX_REPEAT, (1, _C.MAXREPEAT, _P.SubPattern(state, [item])))
    compiled = _K.compile(_P.SubPattern(state, [repeat]), flags)
    ranges: list[tuple[int, int]] = []
    for start in range(0, _MAX_CODE + 1, CODE_POINT_PIECE):
        for m in compiled.finditer(code_points(start)):
            first, last = start + m.start(), start + m.end() - 1
            if ranges and ranges[-1][1] == first - 1:  # a range running on from the piece before
                first = ranges.pop()[0]
            ranges.append((first, last))
    return tuple(ranges)


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for a, b in sorted(ranges):
        if a > start:
            out.append((start, a - 1))
        start = max(start, b + 1)
    if start <= _MAX_CODE:
        out.append((start, _MAX_CODE))
    return out


def _class_ranges(op: Any, av: Any, flags: int) -> list[tuple[int, int]]:
    if op is _C.LITERAL:
        return [(av, av)]
    if op is _C.NOT_LITERAL:
        return _complement([(av, av)])
    if op is _C.ANY:
        return [(0, _MAX_CODE)] if flags & re.DOTALL else _complement([(10, 10)])
    if op is _C.IN:
        negate = bool(av) and av[0][0] is _C.NEGATE
        out: list[tuple[int, int]] = []
        for o, a in av[1:] if negate else av:
            if o is _C.LITERAL:
                out.append((a, a))
            elif o is _C.RANGE:
                out.append((a[0], a[1]))
            elif o is _C.CATEGORY:
                out += _category_ranges(a, flags)
            else:
                raise Unsupported(str(o))
        return _complement(out) if negate else out
    raise Unsupported(str(op))


def re2_class(ranges: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    parts = []
    for a, b in merged:  # without surrogates, which RE2 (UTF-8) refuses in a class
        pieces = [(a, min(b, _SURROGATES[0] - 1)), (max(a, _SURROGATES[1] + 1), b)] if a <= _SURROGATES[1] and \
            b >= _SURROGATES[0] else [(a, b)]
        parts += [f"\\x{{{x:x}}}" if x == y else f"\\x{{{x:x}}}-\\x{{{y:x}}}" for x, y in pieces if x <= y]
    if not parts:
        raise Unsupported("empty class")
    return "[" + "".join(parts) + "]"


def _seq(items: list[tuple[Any, Any]], flags: int) -> str:
    return "".join(_item(op, av, flags) for op, av in items)


def _item(op: Any, av: Any, flags: int) -> str:
    if op in (_C.LITERAL, _C.IN, _C.ANY, _C.NOT_LITERAL):
        return re2_class(_class_ranges(op, av, flags))
    if op is _C.BRANCH:
        return "(?:" + "|".join(_seq(list(b), flags) for b in av[1]) + ")"
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise Unsupported("inline flags")
        return "(?:" + _seq(list(sub), flags) + ")"
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):  # greedy or lazy: the same strings match
        lo, hi, sub = av
        if hi != _C.MAXREPEAT and hi > 1000:
            raise Unsupported("bound")
        bound = f"{{{lo},}}" if hi == _C.MAXREPEAT else f"{{{lo},{hi}}}"
        return "(?:" + _seq(list(sub), flags) + ")" + bound
    if op is _C.AT and av in (_C.AT_BEGINNING, _C.AT_BEGINNING_STRING):  # without MULTILINE: position 0
        return "\\A"
    raise Unsupported(f"{op} {av}")


@functools.lru_cache(maxsize=8)
def exact_re2(regex: re.Pattern[str]) -> str:
    """The RE2 pattern (UTF-8) of ``regex``; raises :class:`Unsupported`."""
    if not isinstance(regex.pattern, str) or regex.flags & (re.IGNORECASE | re.MULTILINE | re.LOCALE):
        raise Unsupported("flags")
    parsed = _P.parse(regex.pattern, regex.flags)
    return _seq(list(parsed), regex.flags)


def re2_search(pattern: str, max_mem: int = 32 << 20) -> Callable[[bytes], bool] | None:
    """``search(data) -> bool`` over UTF-8 bytes with RE2 (which falls back from its DFA to an exact but slower
    engine when the DFA runs out of memory: answers never depend on the budget); None without RE2."""
    try:
        from re2 import _re2
    except ImportError:  # pragma: no cover - RE2 is a dependency
        return None
    options = _re2.RE2.Options()
    options.never_capture = True
    options.log_errors = False
    options.max_mem = max_mem
    regex = _re2.RE2(pattern.encode(), options)
    if not regex.ok():  # pragma: no cover
        return None
    match, unanchored = regex.Match, _re2.RE2.Anchor.UNANCHORED

    def search(data: bytes) -> bool:
        return bool(match(unanchored, data, 0, len(data))[0][0] >= 0)

    return search
