"""Plain-text cleaning: repair encoding, split lines, classify, guard, assemble, judge."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress, filterfalse
from operator import not_

from .classify import MODEL_RULE_ID, Verdict, _line_infos, classify_with_infos, is_prose
from .config import DEFAULT_CONFIG, Config
from .encoding import repair_text
from .features import LineInfo
from .model import CleanResult, Rejection, Removal
from .reject import judge, missing_article_of

_BLANK_RUNS = re.compile(r"\n{3,}")


def split_lines(text: str) -> list[str]:
    """Lines with trailing spaces removed; ``\\r\\n`` and ``\\r`` count as line breaks."""
    return list(map(str.rstrip, text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))


def assemble(lines: Sequence[str], keep: Sequence[bool]) -> str:
    """Join the kept lines, collapsing runs of blank lines to one and trimming the ends."""
    return _assembled([line for line, k in zip(lines, keep, strict=True) if k])


def _assembled(kept: list[str]) -> str:
    text = "\n".join(kept)
    return (_BLANK_RUNS.sub("\n\n", text) if "\n\n\n" in text else text).strip()


def _removals(lines: Sequence[str], verdicts: Sequence[Verdict | None]) -> list[Removal]:
    """``[Removal(v.rule_id, line.strip(), i, v.reason, v.score) for i, (line, v) in enumerate(zip(lines,
    verdicts)) if v is not None]``, each made without the frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field, ~0.6 µs; ~30 removals per document): its ``__dict__`` is filled in
    field order, so it is equal to, and pickles like, the one ``Removal(...)`` makes (tests compare both)."""
    out: list[Removal] = []
    new = object.__new__
    for i in compress(range(len(verdicts)), verdicts):
        v: Verdict = verdicts[i]  # type: ignore[assignment]
        removal = new(Removal)
        removal.__dict__.update(rule_id=v.rule_id, line=lines[i].strip(), line_no=i, reason=v.reason, score=v.score)
        out.append(removal)
    return out


def guess_title(lines: Sequence[str]) -> str | None:
    """The first non-empty line when it reads like a headline (short, no sentence end)."""
    for line in lines:
        stripped = line.strip()
        if stripped:
            words = stripped.split()
            if len(words) <= 25 and not stripped.endswith((".", ",", ";")):
                return stripped
            return None
    return None


def _apply_guard(lines: Sequence[str], verdicts: list[Verdict | None], config: Config) -> list[str]:
    """Over-removal guard: undo risky removals where they are unlikely to be right; returns flags.

    Two cases keep the lines that risky rules (and unsure model decisions) would remove:

    - ``clean-input-guard``: the document shows less boilerplate evidence than ``guard_min_evidence``
      (rule hits and sure model removals), so it is probably clean already and unsure removals
      would eat article text;
    - ``over-removal-guard``: the risky removals would take more than ``guard_max_removed_share`` of
      the document's words; when the document also shows ``guard_strong_evidence`` confident removals,
      only the risky lines that read like prose come back (a page of furniture around a missing
      article stays clean of its menus).
    """
    if not config.guard_enabled:
        return []
    ruled = list(compress(range(len(verdicts)), verdicts))  # the lines with a verdict (a Verdict is true)
    risky = [i for i in ruled if verdicts[i].risky]  # type: ignore[union-attr]
    if not risky:
        return []
    evidence = len(ruled) - len(risky)
    if evidence < config.guard_min_evidence:
        keep, flag = risky, "clean-input-guard"
    else:
        # words never run across the joining space: the sums of len(line.split()) over the lines
        removed = len(" ".join([lines[i] for i in risky]).split())
        share = config.guard_max_removed_share
        # the total is `removed` plus the words of the other lines, each non-blank one holding one at least:
        # that lower bound mostly settles it without counting (division is monotone, also in floating
        # point), and else the other lines' words are counted only until the share is reached
        staying = [True] * len(lines)
        for i in risky:
            staying[i] = False
        others = list(filterfalse(str.isspace, filter(None, compress(lines, staying))))
        at_least = removed + len(others)
        if at_least and removed / at_least <= share:
            return []
        total = removed
        for line in others:
            total += len(line.split())
            if removed / total <= share:
                return []
        if removed / (total or 1) <= share:
            return []
        # Little boilerplate evidence: the classifier is probably lost, give every risky line back.
        # Much evidence: the page is mostly furniture around a missing article, give back prose only.
        strong = evidence >= config.guard_strong_evidence
        keep, flag = [i for i in risky if not strong or is_prose(lines[i])], "over-removal-guard"
    for i in keep:
        verdicts[i] = None
    return [flag]


def clean_lines(
    lines: Sequence[str],
    config: Config,
    *,
    doc_id: str = "",
    title: str | None = None,
    site_boilerplate: frozenset[int] | None = None,
    line_model: bool = False,
) -> CleanResult:
    """Classify lines, apply the guard, assemble the text and judge the document.

    ``line_model`` turns on the learned line classifier. It is trained on raw paragraph-scraper text
    (article plus page furniture), so :func:`clean_text` turns it on; callers that pass text an
    extractor already reduced to the article (``clean_html``) get the rule catalogue only, which keeps
    extracted articles intact (measured: the classifier would cost ~0.012 F1 on scrapinghub_html).
    """
    (verdicts,), indexes, infos = classify_with_infos(
        [lines], config, site_boilerplate=[site_boilerplate], line_model=line_model)
    return _finish(lines, verdicts, config, doc_id, title, None if indexes is None or infos is None
                   else (indexes[0], infos[0]))


def _finish(
    lines: Sequence[str], verdicts: list[Verdict | None], config: Config, doc_id: str, title: str | None,
    infos: tuple[Sequence[int], Sequence[LineInfo]] | None = None,
) -> CleanResult:
    """The guard, the assembled text and the judgement of classified lines. ``infos``: the positions of
    the non-blank lines and their ``line_info(line.strip())``, when the classifier made them."""
    if len(lines) != len(verdicts):
        raise ValueError("one verdict per line")
    flags = _apply_guard(lines, verdicts, config)
    removed = _removals(lines, verdicts)
    text = _assembled(list(compress(lines, map(not_, verdicts))))
    rejected = judge(text, config)
    if rejected is None and len(removed) >= config.no_article_min_removed:  # else missing_article is None
        index: Sequence[int]
        line_infos: Sequence[LineInfo]
        if infos is None:
            index, _, line_infos = _line_infos(lines)
        else:
            index, line_infos = infos
        # the non-blank lines no rule removed (kept ones and the line classifier's removals)
        rejected = missing_article_of(
            [info for i, info in zip(index, line_infos, strict=True)
             if (v := verdicts[i]) is None or v.rule_id == MODEL_RULE_ID], len(removed), config)
    return CleanResult(
        id=doc_id,
        text=text,
        title=title if title is not None else guess_title(lines),
        removed=removed,
        rejected=rejected,
        flags=flags,
    )


def clean_text(
    text: str,
    *,
    url: str | None = None,
    config: Config | None = None,
    doc_id: str = "",
    site_boilerplate: frozenset[int] | None = None,
) -> CleanResult:
    """Clean one plain-text article.

    >>> body = "Body text of the story goes on. " * 5
    >>> r = clean_text("A headline\\n\\n" + body + "\\n\\nHave a tip we should know?")
    >>> r.text.endswith("goes on.")
    True
    >>> [(x.rule_id, x.line) for x in r.removed]
    [('prompt.news-tip', 'Have a tip we should know?')]
    """
    return clean_texts([text], urls=[url], config=config, doc_ids=[doc_id], site_boilerplate=[site_boilerplate])[0]


def clean_texts(
    texts: Sequence[str],
    *,
    urls: Sequence[str | None],
    config: Config | None = None,
    doc_ids: Sequence[str],
    site_boilerplate: Sequence[frozenset[int] | None],
) -> list[CleanResult]:
    """:func:`clean_text` of several texts (one url, id and set of learned lines each), the line model
    scoring all their lines at once; each result does not depend on the other texts."""
    config = config or DEFAULT_CONFIG
    results: list[CleanResult | None] = [None] * len(texts)
    todo: list[int] = []
    docs: list[list[str]] = []
    fixes: list[list[str]] = []
    for k, text in enumerate(texts):
        if len(text) > config.max_text_chars:
            results[k] = CleanResult(id=doc_ids[k], text="", url=urls[k], rejected=Rejection(
                "text-too-large", f"{len(text)} characters > max_text_chars={config.max_text_chars}"))
            continue
        repaired, fixed = repair_text(text, config)
        todo.append(k)
        docs.append(split_lines(repaired))
        fixes.append(fixed)
    if not todo:
        return results  # type: ignore[return-value]
    verdicts, indexes, infos = classify_with_infos(
        docs, config, site_boilerplate=[site_boilerplate[k] for k in todo], line_model=True)
    for n, (k, lines, found, fixed) in enumerate(zip(todo, docs, verdicts, fixes, strict=True)):
        result = _finish(lines, found, config, doc_ids[k], None,
                         None if indexes is None or infos is None else (indexes[n], infos[n]))
        result.url = urls[k]
        result.encoding_fixes = fixed
        results[k] = result
    return results  # type: ignore[return-value]
