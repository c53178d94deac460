"""The rule catalogue as the line classifier applies it: which rule, if any, a line matches first.

The definition: the first ``line-regex`` rule, in catalogue order, that applies at the line's length
(``words <= max_words``) and zone, and whose pattern ``search``-es the stripped line. Everything here
only avoids work that cannot change that answer (tests/test_prefilter.py, tests/test_classify.py):

- a pattern whose top level is an alternation is run as its alternatives (a match of one is a match of
  the whole), so each alternative gets its own prefilter: anchored ones a first-character filter,
  the others the literals one of which every match contains (:mod:`cleaners.prefilter`);
- which rules and alternatives a line can meet depends only on its first character, zone and length
  class: that list is built once per combination and remembered;
- verdicts of lines met before are remembered (site furniture repeats across a run's documents);
- with RE2 installed, :meth:`Catalogue.scan` reads a whole document's lines once for all branches and
  section rules (:mod:`cleaners.multiscan`: a superset of the branches that match each line), and
  :meth:`Catalogue.match_among` confirms only those candidates, in catalogue order.

(One alternation of all patterns was measured 7x slower: Python's backtracking engine loses the
per-pattern literal optimisations in a big alternation.)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .config import Config
from .multiscan import LineScanner, line_scanner
from .prefilter import first_char_filter, fold, forget_parsed, required_literals, single_literal, top_level_branches
from .rules import Rule, load_rules

_Search = Callable[[str], "re.Match[str] | None"]


@dataclass(frozen=True)
class Branch:
    """One alternative of a rule's pattern (or the whole pattern) with its prefilters."""

    regex: re.Pattern[str]
    first: re.Pattern[str] | None
    """Matches every first character a match can start with; None: any (see ``first_char_filter``)."""
    clauses: tuple[tuple[str, ...], ...]
    """For the pattern to match, the :func:`fold`-ed line must contain one string of each (cheapest first)."""


_Plan = tuple[tuple[Rule, _Search, tuple[tuple[str, ...], ...]], ...]


@dataclass(frozen=True)
class Catalogue:
    """The enabled ``line-regex`` rules in catalogue order, and their branches."""

    rules: tuple[Rule, ...]
    max_words: int = 0
    sections: tuple[Rule, ...] = ()
    """``section-start`` rules: the line and all after it are boilerplate."""
    branches: tuple[tuple[Branch, ...], ...] = ()
    """Per rule, what it is run as."""
    _limits: tuple[int, ...] = ()
    """The distinct ``max_words`` of the rules, ascending: a line's length class is its index here."""
    _plans: dict[tuple[str, str, int], _Plan] = field(default_factory=dict, compare=False, repr=False)
    _seen: dict[tuple[str, str], Rule | None] = field(default_factory=dict, compare=False, repr=False)
    """Verdicts of lines met before (site furniture repeats across a run's documents)."""
    scanner: LineScanner | None = field(default=None, compare=False, repr=False)
    """Over every branch of every rule (numbered in catalogue order), then every section rule; or None."""
    _numbered: tuple[tuple[Rule, _Search], ...] = field(default=(), compare=False, repr=False)
    """Per branch number: its rule and the branch's search."""

    @property
    def branch_count(self) -> int:
        """How many branches are numbered (section rules follow them in :meth:`scan`'s numbers)."""
        return len(self._numbered)

    def scan(self, lines: Sequence[str]) -> list[tuple[int, ...]] | None:
        """Per stripped line, the numbers of the branches (and, from ``len(branch numbers)`` on, the section
        rules) that may match it, ascending; None: no scanner or unscannable text (try every rule)."""
        return None if self.scanner is None else self.scanner.candidates(lines)

    def match_among(self, line: str, zone: str, numbers: tuple[int, ...]) -> Rule | None:
        """:meth:`match` of a line, given its candidate branch numbers from :meth:`scan`."""
        words = -1
        numbered = self._numbered
        for n in numbers:
            if n >= len(numbered):
                break  # section rules
            rule, search = numbered[n]
            if rule.zone != "any" and rule.zone != zone:
                continue
            if words < 0:
                words = len(line.split())
            if words <= rule.max_words and search(line) is not None:
                return rule
        return None

    def _plan(self, first: str, zone: str, words: int) -> _Plan:
        """The alternatives (rule by rule, in order) a line of ``words`` words starting with ``first``
        can match in ``zone``, remembered per first character, zone and length class."""
        key = (first, zone, bisect_left(self._limits, words))
        plan = self._plans.get(key)
        if plan is None:
            plan = tuple(
                (rule, b.regex.search, b.clauses)
                for rule, branches in zip(self.rules, self.branches, strict=True)
                if words <= rule.max_words and rule.zone in ("any", zone)
                for b in branches if b.first is None or b.first.match(first) is not None
            )
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def match(self, line: str, words: int, zone: str) -> Rule | None:
        """The first rule matching ``line`` (stripped) that applies at this length and zone.

        ``words`` must be ``len(line.split())`` (the verdict is memoised per line and zone)."""
        if words > self.max_words:
            return None
        key = (line, zone)
        seen = self._seen
        found = seen.get(key, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        found = None
        folded = None
        for rule, search, clauses in self._plan(line[:1], zone, words):
            if clauses:
                if folded is None:
                    folded = fold(line)
                present = True
                for lits in clauses:  # (a loop, not all() over a generator: this runs ~20x per line)
                    if not (lits[0] in folded if len(lits) == 1 else any(map(folded.__contains__, lits))):
                        present = False
                        break
                if not present:
                    continue
            if search(line) is not None:
                found = rule
                break
        if len(seen) >= _MAX_SEEN:
            seen.clear()
        seen[key] = found
        return found


_UNSEEN = object()
_MAX_SEEN = 50_000
_MAX_PLANS = 8_192


@lru_cache(maxsize=64)
def catalogue(disabled: frozenset[str]) -> Catalogue:
    config = Config(disabled_rules=disabled)
    enabled = [r for r in load_rules() if config.rule_enabled(r.id)]
    rules = tuple(r for r in enabled if r.kind == "line-regex")
    sections = tuple(r for r in enabled if r.kind == "section-start")
    branches = tuple(tuple(map(_branch, top_level_branches(r.regex) or [r.regex])) for r in rules)
    limits = tuple(sorted({r.max_words for r in rules}))
    numbered = tuple((r, b.regex.search) for r, bs in zip(rules, branches, strict=True) for b in bs)
    scanner = line_scanner([b.regex for bs in branches for b in bs] + [r.regex for r in sections])
    forget_parsed()
    return Catalogue(rules, max(limits, default=0), sections, branches, limits, scanner=scanner, _numbered=numbered)


def _branch(regex: re.Pattern[str]) -> Branch:
    """The pattern with its prefilters.

    Literal tests only where no selective first-character filter exists (an anchored pattern fails at its
    first characters faster than the literal test), and only where they are likely cheaper than the
    pattern: each literal is one scan of the line (~0.1 µs), so more than a few only pay against a
    pattern the engine tries all along the line (measured on the dev lines: 11 literals 5 µs vs the
    weakly filtered ``comments.says`` 3 µs; 10 literals 1.2 µs vs 0.5 µs for a pattern starting with
    a literal ``(``, which the engine skips to).
    """
    first = first_char_filter(regex)
    weak = first is not None and _WEAK_FILTER.search(first.pattern) is not None
    if first is not None and not weak:
        return Branch(regex, first, ())
    literals = required_literals(regex)
    if literals is not None and len(literals) > _FEW_LITERALS and (weak or _literal_start(regex.pattern)):
        literals = None
    single = single_literal(regex)  # one `in` test first, then the set (which it may imply)
    clauses: list[tuple[str, ...]] = [(single,)] if single is not None else []
    if literals is not None and single not in literals:
        clauses.append(literals)
    return Branch(regex, first, tuple(clauses))


_FEW_LITERALS = 3


def _literal_start(pattern: str) -> bool:
    """The pattern starts with a literal character (not a class, group, anchor or repeat)."""
    if pattern.startswith("\\"):
        return not pattern[1:2].isalnum()
    return pattern[:1] not in ("", "^", "(", "[", ".") and pattern[1:2] not in ("*", "?", "{")


_WEAK_FILTER = re.compile(r"\\[SWDw]")
"""A first-character filter with one of these classes lets almost every line through."""
