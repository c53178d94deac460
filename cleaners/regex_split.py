"""``regex.search(line) is not None`` for a pattern that is one big alternation, found faster.

Python's engine tries every branch of an alternation at every position of the line, so a pattern like
``features._DATE_TIME`` (nine branches) costs ~15 µs on an 80-character line. A top-level alternation
matches somewhere exactly when one of its branches does, so :class:`BranchSearch` compiles each branch
on its own (same flags) and gives each a cheap necessary condition derived from the branch itself:

- the literals every match of the branch contains (:func:`cleaners.prefilter.required_literals`), looked
  for in the :func:`cleaners.prefilter.fold`-ed line;
- for a branch whose match must begin with a digit (after zero-width assertions such as ``\\b``), the
  search starts at the line's first digit: no match can start before it, and assertions still see the
  characters before the start position (``pos`` is not a slice).

Nothing is hand-kept: change the pattern and the branches and conditions follow. Patterns the splitter
does not understand (inline flags, verbose mode) are searched whole.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

from .prefilter import required_literals

_DIGIT = re.compile(r"\d")
_BACKREFERENCE = re.compile(r"\\[1-9]|\\g<|\(\?P=|\(\?\(")


def split_alternation(pattern: str) -> list[str]:
    """The top-level branches of a pattern's source (``a|(b|c)|[|]`` -> ``a``, ``(b|c)``, ``[|]``)."""
    out: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a ']' right after '[' or '[^' is a literal
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def _starts_with_digit(items: Any) -> bool:
    """Every match of the parsed sequence begins with a ``\\d`` character (zero-width items skipped)."""
    items = list(items)
    while items and items[0][0] in (C.AT, C.ASSERT, C.ASSERT_NOT):
        items = items[1:]
    if not items:
        return False
    op, av = items[0]
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _starts_with_digit(av[2])
    return bool(op is C.IN and av == [(C.CATEGORY, C.CATEGORY_DIGIT)])


class BranchSearch:
    """``regex.search(line) is not None``, one branch at a time behind exact necessary conditions."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        parts = split_alternation(regex.pattern) if not regex.flags & re.VERBOSE else [regex.pattern]
        branches: list[tuple[re.Pattern[str], tuple[str, ...] | None, bool]] = []
        for part in parts:
            try:
                branch = re.compile(part, regex.flags)
                parsed = P.parse(part, regex.flags)
            except re.error:  # e.g. a global inline flag in a later branch: search the whole pattern
                branches = [(regex, None, False)]
                break
            branches.append((branch, required_literals(branch, 1), _starts_with_digit(parsed)))
        if _BACKREFERENCE.search(regex.pattern):
            branches = [(regex, None, False)]  # group numbers change when split
        self.branches = tuple(branches)

    def search(self, line: str, folded: str) -> bool:
        """Whether ``regex`` matches in ``line``; ``folded`` is ``prefilter.fold(line)``."""
        first_digit: int | None = -1  # -1: not looked for yet; None: the line has no digit
        for branch, literals, digit_first in self.branches:
            if literals is not None and not any(map(folded.__contains__, literals)):
                continue
            if digit_first:
                if first_digit == -1:
                    m = _DIGIT.search(line)
                    first_digit = None if m is None else m.start()
                if first_digit is not None and branch.search(line, first_digit) is not None:
                    return True
            elif branch.search(line) is not None:
                return True
        return False
