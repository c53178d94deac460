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

Nothing is hand-kept: change the pattern and the branches and conditions follow. The branches are
:func:`cleaners.prefilter.top_level_branches` (the rule catalogue splits its patterns the same way);
patterns it does not split (global inline flags, references between groups) are searched whole.
"""

from __future__ import annotations

import _sre
import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

from .prefilter import _MAX_CLASS, _better, _fold_char, required_literals, top_level_branches

_DIGIT = re.compile(r"\d")


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


_MAX_STRINGS = 256


def _exact(items: Any) -> set[str] | None:
    """The folded strings a parsed sequence matches when they are few: literals, sets of uncased
    characters, groups and alternations of them (``\\.(com|org)`` -> ``.com``, ``.org``); else None.
    Like :func:`cleaners.prefilter.required_literals`, a character is folded as the engine folds case,
    so the fold of every string the sequence matches is one of them."""
    out = {""}
    for op, av in items:
        options: set[str] | None
        if op is C.LITERAL:
            options = {_fold_char(av)}
        elif op is C.IN and len(av) <= _MAX_CLASS and all(
                o is C.LITERAL and not _sre.unicode_iscased(a) for o, a in av):
            options = {chr(a) for _, a in av}
        elif op is C.SUBPATTERN:
            options = _exact(av[3])
        elif op is C.BRANCH:
            options = set()
            for alternative in av[1]:
                sub = _exact(alternative)
                if sub is None:
                    return None
                options |= sub
        else:
            return None
        if options is None:
            return None
        out = {a + b for a in out for b in options}
        if len(out) > _MAX_STRINGS:
            return None
    return out


def adjacent_literals(regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """``prefilter.required_literals(regex, 1)``, or a stronger set where adjacent top-level elements
    of the pattern match only a few strings together: every match contains the fold of one of them
    (``\\b\\w+\\.(com|de)\\b`` needs ``.com`` or ``.de``, not only ``com`` or ``de``)."""
    best = required_literals(regex, 1)
    items = list(P.parse(regex.pattern, regex.flags))
    for i in range(len(items)):
        for j in range(i + 1, len(items) + 1):
            found = _exact(items[i:j])
            if found is None:
                break
            if found and min(map(len, found)) >= 1:
                best = _better(best, tuple(sorted(x for x in found if not any(y != x and y in x for y in found))))
    return best


class BranchSearch:
    """``regex.search(line) is not None``, one branch at a time behind exact necessary conditions."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.branches = tuple(
            (branch, adjacent_literals(branch), _starts_with_digit(P.parse(branch.pattern, branch.flags)))
            for branch in top_level_branches(regex) or [regex]
        )

    def search(self, line: str, folded: str) -> bool:
        """Whether ``regex`` matches in ``line``; ``folded`` is ``prefilter.fold(line)``."""
        return self.search_mask(line, -1, folded)  # no scan: every bit set, the literals looked for in folded

    @property
    def conditions(self) -> list[tuple[str, ...]]:
        """The literal sets of the branches that have one, in branch order: bit ``k`` of the ``mask``
        of :meth:`search_mask` stands for the ``k``-th of them."""
        return [literals for _, literals, _ in self.branches if literals is not None]

    def search_mask(self, line: str, mask: int, folded: str | None = None, gate: int = -1) -> bool:
        """:meth:`search`, where a clear bit ``k`` of ``mask`` says that no literal of the ``k``-th set of
        :attr:`conditions` occurs in the folded line (found by one multi-literal scan); with ``folded``
        (the scan did not run: every bit set), the literals are also looked for in it, as :meth:`search` does.
        A clear bit ``i`` of ``gate`` says that branch ``i`` (of all branches) cannot match either."""
        first_digit: int | None = -1  # -1: not looked for yet; None: the line has no digit
        bit = 1
        for branch, literals, digit_first in self.branches:
            open_ = gate & 1
            gate >>= 1
            if literals is not None:
                seen = mask & bit
                bit <<= 1
                if not seen or (folded is not None and not any(map(folded.__contains__, literals))):
                    continue
            if not open_:
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
