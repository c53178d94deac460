"""Per-line decisions with context: which lines of a document are boilerplate, and by which rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .config import Config
from .rules import Rule, load_rules

_SENTENCE_END = re.compile(r"[.!?…:;\"'”’»)\]]\s*$")


@dataclass(frozen=True)
class Verdict:
    """Why one line is boilerplate."""

    rule_id: str
    reason: str
    risky: bool = False
    score: float | None = None


def is_prose(line: str) -> bool:
    """A line that reads like article body text: long enough and ending like a sentence."""
    words = line.split()
    return len(words) >= 12 and _SENTENCE_END.search(line) is not None


def content_span(lines: Sequence[str]) -> tuple[int, int]:
    """Indices of the first and last prose line; (len, -1) when there is none.

    Lines before the first are the head zone, lines after the last the tail zone.
    """
    prose = [i for i, line in enumerate(lines) if is_prose(line)]
    if not prose:
        return len(lines), -1
    return prose[0], prose[-1]


def _in_zone(rule: Rule, index: int, span: tuple[int, int]) -> bool:
    if rule.zone == "tail":
        return index > span[1]
    if rule.zone == "head":
        return index < span[0]
    return True


def classify_lines(
    lines: Sequence[str],
    config: Config,
    *,
    site_boilerplate: frozenset[str] | None = None,
) -> list[Verdict | None]:
    """One verdict (or None: keep) per line.

    ``site_boilerplate`` holds the normalised lines learned to repeat across this document's site.
    """
    from .sitewide import line_key

    rules = [r for r in load_rules() if config.rule_enabled(r.id)] if config.remove_boilerplate else []
    span = content_span(lines)
    verdicts: list[Verdict | None] = []
    for index, line in enumerate(lines):
        verdict: Verdict | None = None
        if line.strip():
            for rule in rules:
                if _in_zone(rule, index, span) and rule.matches_line(line):
                    verdict = Verdict(rule.id, rule.description, rule.risky)
                    break
            if (
                verdict is None
                and site_boilerplate
                and config.rule_enabled("site.repeated-line")
                and line_key(line) in site_boilerplate
            ):
                verdict = Verdict("site.repeated-line", "repeated across documents of this site in the run")
        verdicts.append(verdict)
    return verdicts
