"""Shortcuts in ``classify`` (rule verdicts, the comment section, the site rule) give the reference answers.

The references are the plain definitions: every rule tried on every line (``Catalogue.match``, what
``_rule_verdicts`` does without a scanner), the comment section found by trying each line, and the site rule
looking up ``line_key`` of every line the statistics would count.
"""

from __future__ import annotations

import gzip
import json

from conftest import bench_file

from cleaners import classify
from cleaners.classify import SITE_RULE_ID, Verdict, _rule_hit, _zone, catalogue, section_start
from cleaners.config import Config
from cleaners.features import line_info
from cleaners.sitewide import line_key, remembering_keys, short_lines
from cleaners.text import split_lines


def _texts() -> list[str]:
    with gzip.open(bench_file("trafilatura_text.jsonl.gz"), "rt", encoding="utf-8") as f:
        return [json.loads(line)["raw_text"] for line in f][:150]


def _reference(lines: list[str], config: Config, learned: frozenset[int] | None) -> list[Verdict | None]:
    index = [i for i, line in enumerate(lines) if line.strip()]
    infos = [line_info(lines[i].strip()) for i in index]
    prose = [j for j, info in enumerate(infos) if info.prose]
    first, last = (prose[0], prose[-1]) if prose else (len(infos), -1)
    cat = catalogue(config.disabled_rules)
    verdicts: list[Verdict | None] = [None] * len(lines)
    for j, (i, info) in enumerate(zip(index, infos, strict=True)):
        zone = _zone(j, first, last)
        rule = cat.match(info.text, len(info.text.split()), zone)
        verdicts[i] = None if rule is None else _rule_hit(rule, zone != "body")
    section = section_start(cat, infos, config.section_min_prose_words)
    if section is not None:
        for i in index[section[0]:]:
            verdicts[i] = verdicts[i] or _rule_hit(section[1], True)
    for i, info in zip(index, infos, strict=True):
        if verdicts[i] is None and learned and len(info.text.split()) <= config.sitewide_max_words and (
                line_key(info.text) in learned):
            verdicts[i] = Verdict(SITE_RULE_ID, "repeated across documents of this site in the run", edge=True)
    return verdicts


def test_rule_verdicts_are_the_reference_ones() -> None:
    texts = _texts()
    for config in (Config(), Config(sitewide_max_words=5, section_min_prose_words=0)):
        for n, text in enumerate(texts):
            lines = split_lines(text)
            # learn every third short line of the document, and a key no line has
            learned = frozenset([key for k, (key, _) in enumerate(short_lines(text, config)) if k % 3 == n % 3]
                                + [line_key("no such line")])
            want = _reference(lines, config, learned)
            for remember in (False, True):  # keys looked up from the statistics pass, or computed
                if remember:
                    with remembering_keys():
                        list(short_lines(text, config))
                        got = classify.classify_lines(lines, config, site_boilerplate=learned, line_model=False)
                else:
                    got = classify.classify_lines(lines, config, site_boilerplate=learned, line_model=False)
                assert got == want, n


def _section_reference(cat: object, infos: list, min_words: int) -> object:
    """The definition: the first non-prose line a section rule matches, once enough prose lies above it (or
    wherever it stands for a rule of zone "any")."""
    prose_words = 0
    for j, info in enumerate(infos):
        if not info.prose:
            for rule in cat.sections:  # type: ignore[attr-defined]
                if ((prose_words >= min_words or rule.zone == "any") and info.words <= rule.max_words
                        and rule.regex.search(info.text)):
                    return j, rule
        else:
            prose_words += info.words
    return None


def test_section_start_with_and_without_candidates_is_the_reference() -> None:
    cat = catalogue(frozenset())
    found = 0
    for text in _texts():
        infos = [line_info(line.strip()) for line in split_lines(text) if line.strip()]
        candidates = cat.scan([info.text for info in infos])
        for min_words in (0, 30, 200, 10_000):
            want = _section_reference(cat, infos, min_words)
            found += want is not None
            assert section_start(cat, infos, min_words, candidates) == want
            assert section_start(cat, infos, min_words) == want
    assert found  # the texts open comment sections


def _model_reference(verdicts: list[Verdict | None], index: list[int], infos: list, scores: list[float],
                     threshold: float, config: Config) -> None:
    prose = [j for j, info in enumerate(infos) if info.prose]
    first, last = (prose[0], prose[-1]) if prose else (len(infos), -1)
    for j, (i, p) in enumerate(zip(index, scores, strict=True)):
        if verdicts[i] is None and p < threshold and not (j == 0 and classify._headline(infos)):
            verdicts[i] = Verdict(classify.MODEL_RULE_ID,
                                  "line classifier: reads like page furniture in this position",
                                  risky=p >= config.model_confident_below or infos[j].prose,
                                  score=round(1.0 - p, 4), edge=not first <= j <= last)


def test_model_verdicts_are_the_reference_ones() -> None:
    import random

    rng = random.Random(8)
    config = Config()
    for n, text in enumerate(_texts()):
        lines = split_lines(text)
        index = [i for i, line in enumerate(lines) if line.strip()]
        infos = [line_info(lines[i].strip()) for i in index]
        for threshold in (0.0, 0.3, 0.5, 1.0):
            scores = [rng.random() for _ in index]
            if scores and n % 2:
                scores[0] = 0.0  # a first line the model would remove: kept when it reads like a headline
            ruled = [None if rng.random() < 0.7 else _rule_hit(catalogue(frozenset()).rules[0], False)
                     for _ in lines]
            got, want = list(ruled), list(ruled)
            classify._model_verdicts(got, index, infos, scores, threshold, config)
            _model_reference(want, index, infos, scores, threshold, config)
            assert got == want


def test_without_cjk_is_true_only_without_cjk_characters() -> None:
    """``_site_key`` takes ``LineInfo.words`` as the split count of a long line without CJK characters."""
    import sys

    from cleaners.features import _CJK

    for c in range(sys.maxunicode + 1):
        ch = chr(c)
        if _CJK.match(ch):
            assert ch.encode("utf-8", "surrogatepass")[0] in classify._CJK_LEAD, hex(c)
            assert not classify._without_cjk(f"a {ch} b")
    assert classify._without_cjk("plain text, déjà vu — “quoted” \ud800") is False  # a surrogate: not known
    assert classify._without_cjk("plain text, déjà vu — “quoted”")
