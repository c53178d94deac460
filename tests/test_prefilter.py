"""Required-literal prefilters never hide a match (so rule verdicts and features cannot change).

- ``fold`` maps every code point to the representative of its case class as the regex engine sees
  it (simple lower case plus re._casefix's extra equivalences);
- every character of every derived literal is matched, under re.IGNORECASE, only by characters that
  fold to it (checked over all of Unicode);
- on rule examples, dev lines and generated lines: a pattern match implies one of its literals.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from re import _constants as _C  # type: ignore[attr-defined]
from re import _parser as _P  # type: ignore[attr-defined]

import pytest
from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import features as F
from cleaners import features_fast
from cleaners.classify import catalogue
from cleaners.prefilter import _fold_char, fold, required_literals, single_literal, top_level_branches
from cleaners.rules import load_rules

_ALL = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
_FEATURE_PATTERNS = [F._URL, F._EMAIL_HANDLE, F._SEPARATORS, F._DATE_TIME, F._COUNTER, F._CREDIT, F._BYLINE,
                     F._QUOTE, F._COMMENT_MARK]


def _patterns() -> list[re.Pattern[str]]:
    return [r.regex for r in load_rules()] + _FEATURE_PATTERNS


@functools.cache
def _literal_sets() -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
    out = []
    for rx in _patterns():
        for min_length in (1, 3):
            found = required_literals(rx, min_length)
            if found is not None:
                out.append((rx, found))
        for part in [rx, *(top_level_branches(rx) or [])]:
            if (single := single_literal(part)) is not None:
                out.append((part, (single,)))
            if part is not rx and (found := required_literals(part)) is not None:
                out.append((part, found))
    return out


def test_fold_is_the_engine_case_class_of_every_code_point() -> None:
    assert fold(_ALL) == "".join(map(_fold_char, map(ord, _ALL)))
    assert len(fold("İSTANBUL")) == len("İSTANBUL")


def _pattern_literals(items: object) -> set[int]:
    """Every LITERAL code point in a parsed pattern, however deep."""
    found: set[int] = set()
    if isinstance(items, (list, tuple)) or type(items).__name__ == "SubPattern":
        for item in items:  # type: ignore[attr-defined]
            if isinstance(item, tuple) and len(item) == 2 and item[0] is _C.LITERAL:
                found.add(item[1])
            else:
                found |= _pattern_literals(item)
    return found


@pytest.mark.slow
def test_pattern_characters_are_matched_only_by_characters_folding_to_them() -> None:
    codes = set().union(*(_pattern_literals(_P.parse(rx.pattern, rx.flags)) for rx in _patterns()))
    for code in sorted(codes):
        c = chr(code)
        for flags in (re.IGNORECASE, 0):
            for m in re.finditer(re.escape(c), _ALL, flags):
                assert fold(m.group()) == _fold_char(code), (c, m.group())


def test_ascii_letters_case_classes() -> None:  # the fast, common part of the slow test above
    for c in "abcdefghijklmnopqrstuvwxyz":
        matched = {m.group() for m in re.finditer(c, _ALL, re.IGNORECASE)}
        assert {fold(x) for x in matched} == {c}


def _implied(line: str) -> None:
    folded = fold(line)
    for rx, lits in _literal_sets():
        if rx.search(line):
            assert any(lit in folded for lit in lits), (rx.pattern[:60], line, lits)


def test_rule_examples_contain_their_literals() -> None:
    for rule in load_rules():
        for line in (*rule.examples, *rule.counterexamples):
            _implied(line)
            _implied(line.upper())
            _implied(line.replace("i", "İ").replace("s", "ſ").replace("k", "\u212a"))


def test_dev_lines_contain_the_literals_of_the_patterns_they_match() -> None:
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for k, record in enumerate(f):
                if k % 10:  # a tenth of the documents keeps this test fast
                    continue
                for line in json.loads(record)["raw_text"].splitlines():
                    if line.strip():
                        _implied(line.strip())


_FRAGMENTS = [lit for _, lits in _literal_sets() for lit in lits]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8), st.sampled_from(["İ", "ſ", "K", "Σ"])),
                max_size=8), st.booleans())
def test_generated_lines_contain_the_literals_of_the_patterns_they_match(parts: list[str], upper: bool) -> None:
    line = "".join(parts)
    _implied(line.upper() if upper else line)


def test_catalogue_with_prefilters_agrees_with_plain_rules() -> None:
    cat = catalogue(frozenset())
    rules = list(cat.rules)
    samples = [ex.upper() for r in rules for ex in (*r.examples, *r.counterexamples)]
    for line in samples:
        words = len(line.split())
        for zone in ("head", "body", "tail"):
            hit = cat.match(line, words, zone)
            first = next((r for r in rules if words <= r.max_words and r.zone in ("any", zone)
                          and r.regex.search(line)), None)
            assert hit == first, (line, zone)


def test_separator_literals_cover_the_pattern() -> None:
    scan = features_fast._SCAN  # the separator bit of the literal scan (see also tests/test_literal_scan.py)
    for line in ("a | b", "Home › News", "- item", "x / y", "a•b"):
        assert bool(F._SEPARATORS.search(line)) <= bool(scan.scan.scan(fold(line).encode()) & scan.sep)


def _first_rule(rules: list, line: str, words: int, zone: str) -> object:  # type: ignore[type-arg]
    """The definition of ``Catalogue.match``: the first applicable rule whose whole pattern matches."""
    return next((r for r in rules if words <= r.max_words and r.zone in ("any", zone) and r.regex.search(line)),
                None)


def test_catalogue_agrees_with_plain_rules_on_dev_lines() -> None:
    cat = catalogue(frozenset())
    rules = list(cat.rules)
    checked = hits = 0
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for k, record in enumerate(f):
                if k % 4:
                    continue
                for raw in json.loads(record)["raw_text"].splitlines():
                    line = raw.strip()
                    if not line:
                        continue
                    words = len(line.split())
                    for zone in ("head", "body", "tail"):
                        cat._seen.clear()
                        hit = cat.match(line, words, zone)
                        assert hit == _first_rule(rules, line, words, zone), (line, zone)
                        checked += 1
                        hits += hit is not None
    assert checked > 10_000 and hits > 100


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=6),
                          st.sampled_from(["(", ")", "/", "|", ": ", " says: ", "© 2020", "12", "\u00a0", "»", "..."])),
                max_size=8), st.sampled_from(["head", "body", "tail"]), st.booleans())
def test_catalogue_agrees_with_plain_rules_on_generated_lines(parts: list[str], zone: str, upper: bool) -> None:
    cat = catalogue(frozenset())
    line = "".join(parts).strip()
    line = line.upper() if upper else line
    words = len(line.split())
    cat._seen.clear()
    assert cat.match(line, words, zone) == _first_rule(list(cat.rules), line, words, zone)


def test_top_level_branches_split_only_the_top_level() -> None:
    split = top_level_branches(re.compile(r"^a(b|c)|[|(]x|\|y|z[]|]", re.I))
    assert split is not None and [b.pattern for b in split] == [r"^a(b|c)", r"[|(]x", r"\|y", r"z[]|]"]
    assert all(b.flags == re.I | re.U for b in split)
    assert top_level_branches(re.compile(r"(?i)a|b")) is None  # global flags
    assert top_level_branches(re.compile(r"(a)|\1")) is None  # references between alternatives
    assert top_level_branches(re.compile(r"(a|b)")) is None  # nothing to split
    for rule in load_rules():
        branches = top_level_branches(rule.regex) or [rule.regex]
        for line in (*rule.examples, *rule.counterexamples):
            assert bool(rule.regex.search(line)) == any(b.search(line) for b in branches), (rule.id, line)


def test_building_the_catalogue_forgets_the_parsed_patterns() -> None:
    """The parses serve the prefilters while they are built; kept, they cost ~2 MB in ~37,000 objects."""
    from cleaners.catalogue import catalogue
    from cleaners.prefilter import parse

    cat = catalogue(frozenset({"no.such-rule-forget-parsed"}))  # a new build, not an earlier one's cache
    assert parse.cache_info().currsize == 0
    assert cat.match("Share this:", 2, "tail") is not None  # and the catalogue works, built from them
