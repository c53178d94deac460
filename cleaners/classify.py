"""Per-line decisions with context: which lines of a document are boilerplate, and by which rule.

Three sources of verdicts, in order: the rule catalogue (zone-aware, :mod:`cleaners.catalogue`), the
site's repeated lines learned in this run, and the learned line classifier (``model.line-classifier``),
which weighs length, punctuation, vocabulary, position and neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import NamedTuple

from .catalogue import Catalogue, catalogue
from .config import Config
from .feature_matrix import feature_matrices
from .features import LineInfo, line_info
from .gc_untrack import untrack
from .model_line import load_model, predict
from .rules import Rule
from .sitewide import known_keys, line_key

MODEL_RULE_ID = "model.line-classifier"
SITE_RULE_ID = "site.repeated-line"


class Verdict(NamedTuple):
    """Why one line is boilerplate. A named tuple, not a frozen dataclass: the line model makes one per
    line it removes (~2.5x cheaper); a verdict is never empty, so it is true and None is not."""

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


def section_start(
    cat: Catalogue, infos: Sequence[LineInfo], min_prose_words: int,
    candidates: Sequence[tuple[int, ...]] | None = None,
) -> tuple[int, Rule] | None:
    """Where a boilerplate section (comments) opens: the first matching line after enough prose.

    Rules with ``zone = "any"`` are unmistakable headings and open the section wherever they stand;
    the others only once ``min_prose_words`` of prose lie above (a comment counter near the byline
    must not cut the article). ``candidates``: :meth:`Catalogue.scan` of the lines (section rule ``k``
    can only match a line whose candidates hold ``len(numbered branches) + k``).
    """
    if not cat.sections:
        return None
    first_section = cat.branch_count
    # only lines with a section rule among their candidates can open it (without candidates: every line)
    lines = range(len(infos)) if candidates is None else [
        j for j, found in enumerate(candidates) if found and found[-1] >= first_section]
    prose_words = at = 0
    for j in lines:
        info = infos[j]
        if info.prose:
            continue
        prose_words += sum([words for _, words, prose in infos[at:j] if prose])  # the prose above line j
        at = j
        enough = prose_words >= min_prose_words
        for rule in cat.sections:
            if ((enough or rule.zone == "any") and info.words <= rule.max_words
                    and rule.regex.search(info.text)):
                return j, rule
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
    return classify_many([lines], config, site_boilerplate=[site_boilerplate], line_model=line_model)[0]


def classify_many(
    docs: Sequence[Sequence[str]],
    config: Config,
    *,
    site_boilerplate: Sequence[frozenset[int] | None],
    line_model: bool = True,
) -> list[list[Verdict | None]]:
    """:func:`classify_lines` of several documents (``site_boilerplate``: one per document); the line
    model scores all their lines at once. Each document's verdicts are those it gets alone."""
    return classify_with_infos(docs, config, site_boilerplate=site_boilerplate, line_model=line_model)[0]


def classify_with_infos(
    docs: Sequence[Sequence[str]],
    config: Config,
    *,
    site_boilerplate: Sequence[frozenset[int] | None],
    line_model: bool = True,
) -> tuple[list[list[Verdict | None]], list[list[int]] | None, list[list[LineInfo]] | None]:
    """:func:`classify_many`, and per document the positions of its non-blank lines and their
    ``line_info(line.strip())`` (None when nothing was classified)."""
    if not config.remove_boilerplate:
        return [[None] * len(lines) for lines in docs], None, None
    use_model = line_model and config.model_enabled and config.rule_enabled(MODEL_RULE_ID)
    model = load_model(config.model_file) if use_model else None
    if model is not None:
        indexes, rows, all_infos, sizes = feature_matrices(docs)
    else:
        indexes, all_infos = [], []
        for lines in docs:
            index, _, infos = _line_infos(lines)
            indexes.append(index)
            all_infos.append(infos)
    out: list[list[Verdict | None]] = []
    ruled: list[bool] = []
    for lines, index, infos, learned in zip(docs, indexes, all_infos, site_boilerplate, strict=True):
        verdicts = _rule_verdicts(len(lines), index, infos, config, learned)
        out.append(verdicts)
        ruled += map(is_not, map(verdicts.__getitem__, index), repeat(None))
    if model is None or not ruled:
        return out, indexes, all_infos
    threshold = config.model_threshold if config.model_threshold is not None else model.threshold
    scores = predict(model, rows, ruled, skip_ruled=True, sizes=sizes)
    at = 0
    for verdicts, index, infos in zip(out, indexes, all_infos, strict=True):
        _model_verdicts(verdicts, index, infos, scores[at:at + len(index)], threshold, config)
        at += len(index)
    return out, indexes, all_infos


def _rule_verdicts(
    count: int, index: Sequence[int], infos: Sequence[LineInfo], config: Config,
    site_boilerplate: frozenset[int] | None,
) -> list[Verdict | None]:
    """The verdicts of the rule catalogue, the comment section and the site's repeated lines."""
    verdicts: list[Verdict | None] = [None] * count
    first, last = _prose_span(infos)
    cat = catalogue(config.disabled_rules)
    texts = list(map(_text_of, infos))
    candidates = cat.scan(texts)
    section = section_start(cat, infos, config.section_min_prose_words, candidates)
    if candidates is None:
        for j, (i, info) in enumerate(zip(index, infos, strict=True)):
            zone = _zone(j, first, last)
            verdicts[i] = _rule_verdict(cat, info, zone, zone != "body")
    else:  # only the lines with candidates can match a rule
        for j in compress(range(len(candidates)), candidates):
            zone = _zone(j, first, last)
            rule = cat.match_among(texts[j], zone, candidates[j])
            if rule is not None:
                verdicts[index[j]] = _rule_hit(rule, zone != "body")
    # then, where no rule removed the line: the comment section from its start, the site's repeated lines
    if section is not None:
        verdict = _rule_hit(section[1], True)
        for i in index[section[0]:]:
            if verdicts[i] is None:
                verdicts[i] = verdict
    if site_boilerplate and config.rule_enabled(SITE_RULE_ID):
        keys: list[object] = list(map((known_keys() or {}).get, texts))  # what _site_key looks up first
        for j in [j for j, key in enumerate(keys) if key is None]:
            if verdicts[index[j]] is None:
                keys[j] = _site_key(infos[j], line_key, {}, config.sitewide_max_words)
        for i in compress(index, map(site_boilerplate.__contains__, keys)):
            if verdicts[i] is None:
                verdicts[i] = _REPEATED
    return verdicts


_text_of = itemgetter(0)
_REPEATED = Verdict(SITE_RULE_ID, "repeated across documents of this site in the run", edge=True)


def _prose_span(infos: Sequence[LineInfo]) -> tuple[int, int]:
    """The positions of the first and last prose line of ``infos``; (len, -1) when there is none."""
    prose = list(map(_prose_of, infos))
    if True not in prose:
        return len(infos), -1
    return prose.index(True), len(prose) - 1 - prose[::-1].index(True)


_prose_of = itemgetter(2)


_hits: dict[tuple[int, bool], tuple[Rule, Verdict]] = {}


def _rule_hit(rule: Rule, edge: bool) -> Verdict:
    """``Verdict(rule.id, rule.description, rule.risky, edge=edge)``, made once per rule and edge (a
    verdict is immutable: lines removed by one rule share it)."""
    found = _hits.get((id(rule), edge))
    if found is None or found[0] is not rule:
        if len(_hits) >= 4096:
            _hits.clear()
        found = _hits[(id(rule), edge)] = (rule, Verdict(rule.id, rule.description, rule.risky, edge=edge))
    return found[1]


def _model_verdicts(
    verdicts: list[Verdict | None], index: Sequence[int], infos: Sequence[LineInfo], scores: Sequence[float],
    threshold: float, config: Config,
) -> None:
    """Add the line model's verdicts (``scores``: per non-blank line) to the lines no rule removed."""
    if len(scores) != len(index):
        raise ValueError("one score per non-blank line")
    first, last = _prose_span(infos)
    below = [j for j, p in enumerate(scores) if p < threshold]
    if below and below[0] == 0 and _headline(infos):
        del below[0]
    confident = config.model_confident_below
    for j in below:
        i = index[j]
        if verdicts[i] is None:
            p = scores[j]
            verdicts[i] = verdict = Verdict(MODEL_RULE_ID, _MODEL_REASON, p >= confident or infos[j].prose,
                                            round(1.0 - p, 4), not first <= j <= last)
            untrack(verdict)  # str, str, bool, float, bool: atomic (see gc_untrack)


_MODEL_REASON = "line classifier: reads like page furniture in this position"


_site_keys: dict[str, object] = {}
_MAX_SITE_KEYS = 20_000
_SITE_KEY_MAX_WORDS = 8
"""Only short lines' site keys are remembered: site furniture is short and repeats."""


def _site_key(
    info: LineInfo, line_key: Callable[[str], object], known: Mapping[str, object], max_words: int
) -> object:
    """``line_key(info.text)``: from ``known`` (keys the site statistics pass computed), else computed and
    remembered for short lines; None for lines of more than ``max_words`` words, which site statistics
    never count."""
    key = known.get(info.text)
    if key is not None:
        return key
    if info.words > _SITE_KEY_MAX_WORDS:
        # info.words counts CJK characters too: without them it is len(text.split())
        if info.words > max_words and (info.text.isascii() or _without_cjk(info.text)
                                       or len(info.text.split(None, max_words)) > max_words):
            return None  # never counted (sitewide.short_lines): no key to look up, none to collide
        return line_key(info.text)
    key = _site_keys.get(info.text)
    if key is None:
        key = line_key(info.text)
        if len(_site_keys) >= _MAX_SITE_KEYS:
            _site_keys.clear()
        _site_keys[info.text] = key
    return key


def _without_cjk(text: str) -> bool:
    """True only if ``text`` has no character of ``features._CJK`` (all from U+3040 to U+D7AF: their UTF-8
    lead bytes are in ``_CJK_LEAD``, tests check each one); ~4x cheaper than splitting a long line."""
    return text.encode("utf-8", "surrogatepass").translate(_CJK_MARK).find(b"\xff") < 0


_CJK_LEAD = bytes(range(0xE3, 0xEE))
_CJK_MARK = bytes.maketrans(_CJK_LEAD + b"\xff", b"\xff" * (len(_CJK_LEAD) + 1))
"""Each byte of ``_CJK_LEAD`` to 0xFF (which UTF-8 never holds)."""


def _headline(infos: Sequence[LineInfo]) -> bool:
    """The first line reads like the article's headline: short, no full stop, right before prose."""
    head = infos[0]
    return (
        len(infos) > 1 and infos[1].prose and not head.prose and head.words <= 25
        and not head.text.endswith((".", ":", ";", ","))
    )


def _rule_verdict(cat: Catalogue, info: LineInfo, zone: str, edge: bool) -> Verdict | None:
    rule = cat.match(info.text, len(info.text.split()), zone)
    return None if rule is None else _rule_hit(rule, edge)


def _line_infos(lines: Sequence[str]) -> tuple[list[int], list[list[float]], list[LineInfo]]:
    """What ``document_features`` returns, without the feature rows only the line model reads."""
    index = [i for i, line in enumerate(lines) if line.strip()]
    return index, [], [line_info(lines[i].strip()) for i in index]
