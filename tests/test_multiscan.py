"""The RE2 line prefilter never hides a match, and the catalogue's verdicts with it are the plain rules' verdicts.

- every character class of the catalogue, relaxed, matches (in RE2) every code point the class matches
  (checked over all of Unicode); RE2's case-insensitive match of a fold matches every character of that
  fold; ``\\s``/``\\d`` have no members beyond the limits relax.py assumes;
- candidates ⊇ true matches, per branch and section rule, on rule examples, dev lines, the bench corpus
  and generated lines; ``classify_lines`` gives the same verdicts with and without the scanner.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from re import _compiler as _CO  # type: ignore[attr-defined]
from re import _constants as _C  # type: ignore[attr-defined]
from re import _parser as _P  # type: ignore[attr-defined]
from typing import Any

import pytest
from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import relax
from cleaners.catalogue import Catalogue, catalogue
from cleaners.classify import classify_lines
from cleaners.config import Config
from cleaners.multiscan import LineScanner, line_scanner
from cleaners.prefilter import fold
from cleaners.rules import load_rules
from cleaners.text import split_lines

pytest.importorskip("re2")
_ALL = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)


def _patterns(cat: Catalogue) -> list[re.Pattern[str]]:
    return [b.regex for bs in cat.branches for b in bs] + [r.regex for r in cat.sections]


def _check(scanner: LineScanner, patterns: list[re.Pattern[str]], lines: list[str]) -> int:
    """Assert candidates ⊇ matches for each line; the number of (pattern, line) matches seen."""
    found = scanner.candidates(lines)
    assert found is not None and len(found) == len(lines)
    hits = 0
    for line, numbers in zip(lines, found, strict=True):
        assert list(numbers) == sorted(set(numbers))
        for i, rx in enumerate(patterns):
            if rx.search(line) is not None:
                hits += 1
                assert i in numbers, (rx.pattern[:60], line)
    return hits


def test_every_catalogue_pattern_is_relaxed_and_compiled() -> None:
    cat = catalogue(frozenset())
    assert cat.scanner is not None and cat.scanner.always == ()
    assert cat.branch_count == sum(map(len, cat.branches))


def test_remembered_literals_relax_as_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    """``relax._literal`` is remembered per character and case flag: every catalogue pattern relaxes to the same
    RE2 text with the memory as with each literal computed afresh (for lines and for whole texts)."""
    patterns = _patterns(catalogue(frozenset()))
    remembered = [(relax.relaxed(rx), relax.relaxed(rx, text=True)) for rx in patterns]
    monkeypatch.setattr(relax, "_literal", relax._literal.__wrapped__)
    assert remembered == [(relax.relaxed(rx), relax.relaxed(rx, text=True)) for rx in patterns]
    assert any(pattern is not None for pattern, _ in remembered)


def test_category_limits() -> None:
    beyond = "".join(chr(c) for c in range(0x3001, 0x110000) if not 0xD800 <= c < 0xE000)
    assert re.search(r"\s", beyond) is None
    at = 0x20000 - 0x3001 - 0x800  # (no surrogates in `beyond`)
    assert beyond[at] == "\U00020000" and re.search(r"\d", beyond[at:]) is None
    assert relax._category(_C.CATEGORY_SPACE) == frozenset(c for c in range(0x3001) if chr(c).isspace())


def _classes(items: Any, flags: int) -> Iterator[tuple[Any, int]]:
    """Every character class (IN) of a parsed pattern, with the flags in force there."""
    for op, av in items:
        if op is _C.IN:
            yield av, flags
        elif op is _C.SUBPATTERN:
            yield from _classes(av[3], (flags | av[1]) & ~av[2])
        elif op is _C.BRANCH:
            for sub in av[1]:
                yield from _classes(sub, flags)
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            yield from _classes(av[2], flags)
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            yield from _classes(av[1], flags)
        elif op is _C.ATOMIC_GROUP:
            yield from _classes(av, flags)


def _class_regex(items: Any, flags: int) -> re.Pattern[str]:
    """One class of a parsed pattern as a Python regex, with the flags in force where it stands."""
    state = _P.State()
    state.flags = flags
    return _CO.compile(_P.SubPattern(state, [(_C.IN, items)]), flags)  # type: ignore[no-any-return]


def _relaxed_class(items: Any, flags: int) -> Any:
    """The relaxed class as the scanner runs it (RE2, case-insensitive outside exact parts)."""
    import re2

    return re2.compile("(?i)" + relax._class(items, bool(flags & re.IGNORECASE)))


def test_re2_case_insensitive_fold_matches_every_character_of_that_fold() -> None:
    """RE2 ``(?i)`` of ``relax._char_set({fold(x)})`` matches ``x``, for every code point ``x`` (with
    ``_RE2_MISSES``): with the fold property of the engine, a relaxed pattern matches what the original does."""
    import re2

    classes: dict[str, list[str]] = {}
    for x, rep in zip(_ALL, fold(_ALL), strict=True):
        if x != rep:  # (a character that is its own fold is matched by itself)
            classes.setdefault(rep, []).append(x)
    checked = 0
    for rep, members in classes.items():
        rx = re2.compile("(?i)^" + relax._char_set({ord(rep)}) + "$")
        for x in members:
            assert rx.search(x) is not None, (rep, x)
            checked += 1
    assert checked > 1400


@pytest.mark.slow
def test_relaxed_classes_match_every_code_point_the_class_matches() -> None:
    seen: set[tuple[str, int]] = set()
    for rx in _patterns(catalogue(frozenset())):
        parsed = _P.parse(rx.pattern, rx.flags)
        for items, flags in _classes(parsed, rx.flags):
            key = (repr(items), flags & re.IGNORECASE)
            if key in seen:
                continue
            seen.add(key)
            original = _class_regex(items, flags)
            matched = "".join(m.group() for m in original.finditer(_ALL)).replace("\n", "")
            assert len(_relaxed_class(items, flags).findall(matched)) == len(matched), items
    assert len(seen) > 20


def test_relaxed_classes_on_cased_letters() -> None:  # the fast, common part of the slow test above
    rx = re.compile(r"[A-ZÀ-ÖØ-ÞА-Я]|(?-i:[A-Z])|[a-z]", re.IGNORECASE)
    parsed = _P.parse(rx.pattern, rx.flags)
    sample = "".join(chr(c) for c in range(0x3000)) + "İıſKÅẞ"
    for items, flags in _classes(parsed, rx.flags):
        original = _class_regex(items, flags)
        matched = "".join(m.group() for m in original.finditer(sample))
        assert matched and len(_relaxed_class(items, flags).findall(matched)) == len(matched)


def _variants(line: str) -> list[str]:
    return [line, line.upper(), line.replace("i", "İ").replace("s", "ſ").replace("k", "\u212a")]


def test_candidates_hold_every_match_on_rule_examples() -> None:
    cat = catalogue(frozenset())
    assert cat.scanner is not None
    patterns = _patterns(cat)
    lines = [v for r in load_rules() for ex in (*r.examples, *r.counterexamples) for v in _variants(ex.strip())]
    assert _check(cat.scanner, patterns, lines) > len(load_rules())


def _dev_lines(step: int) -> Iterator[list[str]]:
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for k, record in enumerate(f):
                if k % step == 0:
                    lines = [ln.strip() for ln in split_lines(json.loads(record)["raw_text"])]
                    yield [ln for ln in lines if ln]


def test_candidates_hold_every_match_on_dev_lines() -> None:
    cat = catalogue(frozenset())
    assert cat.scanner is not None
    patterns = _patterns(cat)
    assert sum(_check(cat.scanner, patterns, lines) for lines in _dev_lines(3)) > 100


_PIECES = [ex for r in load_rules() for ex in r.examples] + [
    "(", ")", "[", "]", "/", "|", ": ", " says: ", "© 2020", "12", "\u00a0", "»", "...", "\t", "\u2028", "İ", "ſ",
    "\u212a", "Σ", "ς", "٣", "\u3000"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6).map(lambda s: s.replace("\n", " "))),
                max_size=6), st.booleans())
def test_candidates_hold_every_match_on_generated_lines(parts: list[str], upper: bool) -> None:
    cat = catalogue(frozenset())
    assert cat.scanner is not None
    line = "".join(parts)
    lines = [line.upper() if upper else line, "x", line[::-1]]
    _check(cat.scanner, _patterns(cat), [ln for ln in lines if "\n" not in ln])


def test_match_among_candidates_is_match() -> None:
    cat = catalogue(frozenset())
    assert cat.scanner is not None
    for lines in _dev_lines(5):
        lines = [v for ln in lines for v in _variants(ln)]
        found = cat.scan(lines)
        assert found is not None
        for line, numbers in zip(lines, found, strict=True):
            for zone in ("head", "body", "tail"):
                cat._seen.clear()
                assert cat.match_among(line, zone, numbers) == cat.match(line, len(line.split()), zone), line


def test_unscannable_text_means_no_candidates_answer() -> None:
    scanner = line_scanner([re.compile("a", re.I), re.compile("b")])
    assert scanner is not None
    assert scanner.candidates(["\ud800 a"]) is None
    assert scanner.candidates([]) == []
    assert scanner.candidates(["a", "b", "A", "B", "ab"]) == [(0,), (1,), (0,), (), (0, 1)]


def _verdicts(texts: list[str], scanner: LineScanner | None) -> list[object]:
    cat = catalogue(frozenset())
    kept = cat.scanner
    object.__setattr__(cat, "scanner", scanner)
    try:
        cat._seen.clear()
        return [classify_lines(split_lines(t), Config()) for t in texts]
    finally:
        object.__setattr__(cat, "scanner", kept)


def test_classify_lines_same_with_and_without_the_scanner() -> None:
    texts = ["\n".join(lines) for lines in _dev_lines(4)]
    texts += ["\n".join(v for r in load_rules() for v in r.examples), "ok \ud800\nFollow us on Twitter"]
    cat = catalogue(frozenset())
    assert cat.scanner is not None
    assert _verdicts(texts, cat.scanner) == _verdicts(texts, None)


@pytest.mark.parametrize(("pattern", "text"), [
    (r"a$", "xa\n"), (r"a[^b]c", "a\nc"), (r"a\sc", "a\nc"), (r"a.*b$", "a b\n"), (r"^x.{0,80}y$", "xy\n"),
    (r"(?-i:A)b\W", "Ab\n"), (r"é\d", "É٣"), (r"a\nb", "a\nb"),
])
def test_relaxed_for_text_keeps_matches_across_line_breaks(pattern: str, text: str) -> None:
    import re2

    regex = re.compile(pattern, re.IGNORECASE if pattern.startswith("é") else 0)
    assert regex.search(text) is not None
    loose = relax.relaxed(regex, text=True)
    assert loose is not None and re2.search(loose, text) is not None, loose


def test_badness_prefilter_holds_every_bad_dev_text() -> None:
    from ftfy.badness import is_bad

    from cleaners import badness_scan

    may_be_bad = badness_scan._re2_prefilter()
    assert may_be_bad is not None
    texts = [ln for lines in _dev_lines(2) for ln in lines]
    texts += [t.encode("utf-8").decode("cp1252", errors="replace") for t in texts[::7]]
    bad = [t for t in texts if is_bad(t)]
    assert len(bad) > 50 and all(map(may_be_bad, bad))
    assert sum(map(may_be_bad, texts)) < len(texts) / 2


def test_remembered_candidates_are_the_scanned_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """``candidates`` remembers the answers for short lines: a scanner asked the same lines again (and a
    fresh one) gives the same answers, only short lines are remembered, the memory is emptied when full,
    and a line that cannot be encoded still makes the answer None among remembered lines."""
    from cleaners import multiscan

    patterns = _patterns(catalogue(frozenset()))
    docs = [lines + lines[:3] for lines in _dev_lines(7)]
    used = multiscan.LineScanner(patterns)
    first = [used.candidates(lines) for lines in docs]
    assert used._memo and all(len(line) <= multiscan._MEMO_MAX_CHARS for line in used._memo)
    assert any(len(line) > multiscan._MEMO_MAX_CHARS for lines in docs for line in lines)
    again = [used.candidates(lines) for lines in docs]
    fresh = multiscan.LineScanner(patterns)
    assert first == again
    assert again == [[(fresh.candidates([line]) or [None])[0] for line in lines] for lines in docs]
    short = [line for lines in docs for line in lines if len(line) <= multiscan._MEMO_MAX_CHARS]
    assert used.candidates([*short[:2], "\ud800"]) is None
    monkeypatch.setattr(multiscan, "_MAX_MEMO", 5)
    small = multiscan.LineScanner(patterns)
    assert small.candidates(short[:40]) == fresh.candidates(short[:40]) and len(small._memo) <= 5
