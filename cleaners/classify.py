"""Per-line decisions with context: which lines of a document are boilerplate, and by which rule.

Three sources of verdicts, in order: the rule catalogue (one combined regex per line, zone-aware), the
site's repeated lines learned in this run, and the learned line classifier (``model.line-classifier``),
which weighs length, punctuation, vocabulary, position and neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .config import Config
from .feature_matrix import feature_matrix
from .features import LineInfo, line_info
from .model_line import load_model, predict
from .prefilter import first_char_filter, fold, required_literals
from .rules import Rule, load_rules

MODEL_RULE_ID = "model.line-classifier"
_Candidate = tuple[Rule, re.Pattern[str], int, str, tuple[str, ...] | None]
SITE_RULE_ID = "site.repeated-line"


@dataclass(frozen=True)
class Verdict:
    """Why one line is boilerplate."""

    rule_id: str
    reason: str
    risky: bool = False
    score: float | None = None
    edge: bool = False
    """The line lies in the head or tail zone (outside the span of prose lines)."""


def is_prose(line: str) -> bool:
    """A line that reads like article body text: long enough and ending like a sentence."""
    return line_info(line.strip()).prose


def content_span(lines: Sequence[str]) -> tuple[int, int]:
    """Indices of the first and last prose line; (len, -1) when there is none.

    Lines before the first are the head zone, lines after the last the tail zone.
    """
    prose = [i for i, line in enumerate(lines) if is_prose(line)]
    if not prose:
        return len(lines), -1
    return prose[0], prose[-1]


@dataclass(frozen=True)
class Catalogue:
    """The enabled rules, each with its compiled pattern, word limit and zone.

    A line only meets the patterns of rules that apply at its length and zone. (One alternation of
    all patterns was measured 7x slower: Python's backtracking engine loses the per-pattern literal
    prefix optimisations in a big alternation.)
    """

    rules: tuple[tuple[Rule, re.Pattern[str], int, str], ...]
    max_words: int = 0
    sections: tuple[Rule, ...] = ()
    """``section-start`` rules: the line and all after it are boilerplate."""

    filters: tuple[re.Pattern[str] | None, ...] = ()
    """Per rule, a first-character prefilter (:mod:`cleaners.prefilter`), or None."""
    literals: tuple[tuple[str, ...] | None, ...] = ()
    """Per rule, the literals one of which the :func:`fold`-ed line must contain for the pattern to
    match (:func:`cleaners.prefilter.required_literals`), or None."""
    _by_first: dict[str, tuple[_Candidate, ...]] = field(default_factory=dict, compare=False, repr=False)

    def _candidates(self, first: str) -> tuple[_Candidate, ...]:
        """The rules a line starting with ``first`` can match (in catalogue order), memoised."""
        found = self._by_first.get(first)
        if found is None:
            found = tuple(
                (*entry, lits) for entry, f, lits in zip(self.rules, self.filters, self.literals, strict=True)
                if f is None or f.match(first) is not None
            )
            if len(self._by_first) < 4096:
                self._by_first[first] = found
        return found

    _seen: dict[tuple[str, str], Rule | None] = field(default_factory=dict, compare=False, repr=False)
    """Verdicts of lines met before (site furniture repeats across a run's documents)."""

    def match(self, line: str, words: int, zone: str) -> Rule | None:
        """The first rule matching ``line`` (stripped) that applies at this length and zone.

        ``words`` must be ``len(line.split())`` (the verdict is memoised per line and zone)."""
        if words > self.max_words:
            return None
        key = (line, zone)
        if key in self._seen:
            return self._seen[key]
        found = None
        folded = None
        for rule, regex, max_words, rule_zone, lits in self._candidates(line[:1]):
            if words <= max_words and (rule_zone == "any" or rule_zone == zone):
                if lits is not None:
                    if folded is None:
                        folded = fold(line)
                    if not any(map(folded.__contains__, lits)):
                        continue
                if regex.search(line):
                    found = rule
                    break
        if len(self._seen) >= _MAX_SEEN:
            self._seen.clear()
        self._seen[key] = found
        return found


_MAX_SEEN = 50_000


@lru_cache(maxsize=64)
def catalogue(disabled: frozenset[str]) -> Catalogue:
    config = Config(disabled_rules=disabled)
    enabled = [r for r in load_rules() if config.rule_enabled(r.id)]
    rules = tuple((r, r.regex, r.max_words, r.zone) for r in enabled if r.kind == "line-regex")
    sections = tuple(r for r in enabled if r.kind == "section-start")
    filters = tuple(first_char_filter(regex) for _, regex, *_ in rules)
    literals = tuple(_useful_literals(f, regex) for f, (_, regex, *_) in zip(filters, rules, strict=True))
    return Catalogue(rules, max((r.max_words for r, *_ in rules), default=0), sections, filters, literals)


def _useful_literals(first_char: re.Pattern[str] | None, regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """The literals worth testing before the pattern: only where no selective first-character
    prefilter exists (an anchored pattern fails at its first characters faster than the test)."""
    if first_char is not None and not _WEAK_FILTER.search(first_char.pattern):
        return None
    return required_literals(regex)


_WEAK_FILTER = re.compile(r"\\[SWD]")
"""A first-character filter with one of these classes lets almost every line through."""


def section_start(cat: Catalogue, infos: Sequence[LineInfo], min_prose_words: int) -> tuple[int, Rule] | None:
    """Where a boilerplate section (comments) opens: the first matching line after enough prose.

    Rules with ``zone = "any"`` are unmistakable headings and open the section wherever they stand;
    the others only once ``min_prose_words`` of prose lie above (a comment counter near the byline
    must not cut the article).
    """
    if not cat.sections:
        return None
    prose_words = 0
    for j, info in enumerate(infos):
        if not info.prose:
            enough = prose_words >= min_prose_words
            for rule in cat.sections:
                if ((enough or rule.zone == "any") and info.words <= rule.max_words
                        and rule.regex.search(info.text)):
                    return j, rule
        if info.prose:
            prose_words += info.words
    return None


def _zone(j: int, first: int, last: int) -> str:
    return "head" if j < first else "tail" if j > last else "body"


def classify_lines(
    lines: Sequence[str],
    config: Config,
    *,
    site_boilerplate: frozenset[int] | None = None,
    line_model: bool = True,
) -> list[Verdict | None]:
    """One verdict (or None: keep) per line.

    ``site_boilerplate`` holds the normalised lines learned to repeat across this document's site.
    ``line_model``: also apply the learned classifier (trained on raw paragraph-scraper text).
    """
    from .sitewide import known_keys, line_key

    verdicts: list[Verdict | None] = [None] * len(lines)
    if not config.remove_boilerplate:
        return verdicts
    use_model = line_model and config.model_enabled and config.rule_enabled(MODEL_RULE_ID)
    model = load_model(config.model_file) if use_model else None
    index, rows, infos = feature_matrix(lines) if model is not None else _line_infos(lines)
    prose = [j for j, info in enumerate(infos) if info.prose]
    first, last = (prose[0], prose[-1]) if prose else (len(infos), -1)
    cat = catalogue(config.disabled_rules)
    use_site = bool(site_boilerplate) and config.rule_enabled(SITE_RULE_ID)
    known = (known_keys() or {}) if use_site else {}
    ruled: list[bool] = []
    section = section_start(cat, infos, config.section_min_prose_words)
    for j, (i, info) in enumerate(zip(index, infos, strict=True)):
        zone = _zone(j, first, last)
        verdict = _rule_verdict(cat, info, zone, zone != "body")
        if verdict is None and section is not None and j >= section[0]:
            rule = section[1]
            verdict = Verdict(rule.id, rule.description, rule.risky, edge=True)
        if verdict is None and use_site and _site_key(info, line_key, known) in site_boilerplate:  # type: ignore[operator]
            verdict = Verdict(SITE_RULE_ID, "repeated across documents of this site in the run", edge=True)
        verdicts[i] = verdict
        ruled.append(verdict is not None)
    if model is not None and len(rows):
        threshold = config.model_threshold if config.model_threshold is not None else model.threshold
        for j, (i, p, hit) in enumerate(zip(index, predict(model, rows, ruled, skip_ruled=True), ruled, strict=True)):
            if not hit and p < threshold and not (j == 0 and _headline(infos)):
                verdicts[i] = Verdict(
                    MODEL_RULE_ID,
                    "line classifier: reads like page furniture in this position",
                    risky=p >= config.model_confident_below or infos[j].prose,
                    score=round(1.0 - p, 4),
                    edge=not first <= j <= last,
                )
    return verdicts


_site_keys: dict[str, object] = {}
_MAX_SITE_KEYS = 20_000
_SITE_KEY_MAX_WORDS = 8
"""Only short lines' site keys are remembered: site furniture is short and repeats."""


def _site_key(info: LineInfo, line_key: Callable[[str], object], known: Mapping[str, object]) -> object:
    """``line_key(info.text)``: from ``known`` (keys the site statistics pass computed), else computed and
    remembered for short lines."""
    key = known.get(info.text)
    if key is not None:
        return key
    if info.words > _SITE_KEY_MAX_WORDS:
        return line_key(info.text)
    key = _site_keys.get(info.text)
    if key is None:
        key = line_key(info.text)
        if len(_site_keys) >= _MAX_SITE_KEYS:
            _site_keys.clear()
        _site_keys[info.text] = key
    return key


def _headline(infos: Sequence[LineInfo]) -> bool:
    """The first line reads like the article's headline: short, no full stop, right before prose."""
    head = infos[0]
    return (
        len(infos) > 1 and infos[1].prose and not head.prose and head.words <= 25
        and not head.text.endswith((".", ":", ";", ","))
    )


def _rule_verdict(cat: Catalogue, info: LineInfo, zone: str, edge: bool) -> Verdict | None:
    rule = cat.match(info.text, len(info.text.split()), zone)
    return None if rule is None else Verdict(rule.id, rule.description, rule.risky, edge=edge)


def _line_infos(lines: Sequence[str]) -> tuple[list[int], list[list[float]], list[LineInfo]]:
    """What ``document_features`` returns, without the feature rows only the line model reads."""
    index = [i for i, line in enumerate(lines) if line.strip()]
    return index, [], [line_info(lines[i].strip()) for i in index]
