"""The multi-literal scan of ``features_fast`` only ever says "cannot match" where the definition agrees.

- every condition bit is a *necessary* condition: wherever the Python pattern (or branch) matches, or
  ``features.vocabulary_bits`` is not zero, the scan reports its bit (dev lines and generated lines with
  vocabulary words in awkward company: apostrophes, underscores, İ, non-ASCII letters, CJK);
- ``line_entry`` gives the reference features with the scan and without it (every bit set);
- ``folded_of`` is ``prefilter.fold`` for every code point.
"""

from __future__ import annotations

import gzip
import json
import re
import struct
from collections.abc import Sequence

import pytest
from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import features as F
from cleaners import features_fast as FF
from cleaners.literal_scan import LiteralScan, literal, prefix, word
from cleaners.prefilter import fold
from cleaners.regex_split import adjacent_literals
from cleaners.text import split_lines


def _dev_lines() -> list[str]:
    lines: list[str] = []
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for record in f:
                lines += [t.strip() for t in split_lines(json.loads(record)["raw_text"]) if t.strip()]
    return lines


def _mask(line: str) -> int:
    return FF._SCAN.scan.scan(FF.scan_bytes(line, line.lower()))


def _check_necessary(line: str) -> None:
    scan = FF._SCAN
    mask = _mask(line)
    if F.vocabulary_bits(line):
        assert mask & scan.vocab, line
    for bit, regex in ((scan.quote, F._QUOTE), (scan.sep, F._SEPARATORS), (scan.byline, F._BYLINE)):
        if regex.search(line):
            assert mask & bit, (line, regex.pattern)
    for shift, search in ((scan.url, FF._URL_BRANCHES), (scan.date, FF._DATE_TIME),
                          (scan.counter, FF._COUNTER), (scan.credit, FF._CREDIT), (scan.mark, FF._MARK)):
        k = 0
        for branch, literals, _ in search.branches:
            if literals is None:
                continue
            if branch.search(line):
                assert mask >> (shift + k) & 1, (line, branch.pattern)
            k += 1
        want = search.regex.search(line) is not None
        assert search.search_mask(line, mask >> shift) == want, line
        assert search.search_mask(line, -1, fold(line)) == want, line  # no scan: literals tested in Python
    if F._COMMENT_MARK.search(line):
        assert mask & scan.mark_any, line
    for i, (branch, _, _) in enumerate(FF._DATE_TIME.branches[: len(FF._DATE_GATES)]):
        if branch.search(line):
            assert mask >> (scan.date_gate + i) & 1, (line, branch.pattern)
    gate = scan.date_open | (mask >> scan.date_gate & scan.date_gates)
    assert FF._DATE_TIME.search_mask(line, mask >> scan.date, None, gate) == (F._DATE_TIME.search(line) is not None)


def _check_entry(line: str) -> None:
    words = F.word_count(line)
    row, bits, info, mark, key = FF.line_entry(line)
    assert key == line.casefold() or (key is None and not line.isascii() and words > FF._EAGER_KEY_WORDS)
    want, want_bits = F._own(line, words)
    assert list(struct.unpack(f"={len(want)}d", row)) == want, line
    assert bits == want_bits
    assert (info.text, info.words, info.prose) == (line, words, F.line_info(line).prose)
    assert mark == (F._COMMENT_MARK.search(line) is not None)


def test_scan_is_active_where_re2_is_installed() -> None:
    pytest.importorskip("re2")
    assert FF._SCAN.scan.active
    assert FF._SCAN.scan.scan(b"nothing to see") != FF._SCAN.scan.all


def _reference_mask(conditions: Sequence[Sequence[bytes] | None], data: bytes) -> int:
    """The scan's definition: Python's ``re`` over bytes, one pattern at a time."""
    return sum(1 << k for k, c in enumerate(conditions) if c is None or any(re.search(p, data) for p in c))


_CONDITIONS: list[list[bytes] | None] = [
    [word("share"), word("sign", "in"), prefix("abonn"), literal("年")],
    [prefix("ab"), b"(?:^|[^0-9A-Za-z_])x|y", literal("(")],  # a body with "|" is not regrouped
    None,
    [word("in"), literal("é"), b"[0-9]+:[0-9]+"],
    [literal(" "), word("a", "b", "c")],
]
_SMALL = LiteralScan(_CONDITIONS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["share", "sign", "in", "abonn", "ab", "年", "x", "y", "(", "é", "12", ":", "a", "b",
                                 "c", " ", "-", "_", "\n", "İ", "Z"]), max_size=14))
def test_scan_equals_the_patterns_one_by_one(pieces: list[str]) -> None:
    if not _SMALL.active:
        pytest.skip("re2 not installed")
    data = "".join(pieces).encode()
    assert _SMALL.scan(data) == _reference_mask(_CONDITIONS, data), data


def test_scan_equals_the_patterns_one_by_one_on_dev_lines() -> None:
    scan = FF._SCAN.scan
    if not scan.active:
        pytest.skip("re2 not installed")
    for line in _dev_lines()[::9]:
        lower = line.lower()
        folded = FF.folded_of(line, lower)
        data = lower.encode() if folded is lower else (lower + "\n" + folded).encode()
        assert scan.scan(data) == _reference_mask(scan.conditions, data), line


def test_conditions_are_necessary_on_dev_lines() -> None:
    for line in _dev_lines()[::2]:  # every other line: ~12,800 lines
        _check_necessary(line)


_VOCAB_PIECES = sorted({*F._VOCAB.words, *(s for g in F._VOCAB.stems.values() for s, _ in g),
                        *(p for g in F._VOCAB.phrases.values() for p, _, _ in g), *F._VOCAB.cjk_groups})
_COMPANY = ["'", "_", "İ", "ı", "é", "Ä", "ſ", "K", "1", "-", " ", "  ", ".", "’", "\u0307", "x", "ß", "Σ", "ς",
            "(", ")", ":", "/", "@", "#", "|", "«", "2024", "12:30", "١٢", "１９", "۳", "H", "h", "12.5.", "3/4-2020",
            "1999", "20", "12H30", "9h05", "of", "Photo", "年", "月", "\t", "\x1c",
            "•", "›", "·", "\xa0", "\u2009", "\u3000", "\x85", " | ", " - ", "» ", "By ", "von", "АВТОР", "Words:",
            "AP", "/ ", "(Foto/dpa)", "3 of 10", "١ OF ٢", "Source:", "ſource", "Crédit :", "ИСТОЧНИК:", "Reuters",
            "\ud800", "\udfff", "comments", "COMMENTS", "(3)", "says", "SAYS:", "ſays", "dit", "говорит",
            "Leave a Reply", "thoughts on", "comentários", "Kommentar", "コメント"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_VOCAB_PIECES), st.sampled_from(_COMPANY),
                          st.sampled_from(_VOCAB_PIECES).map(str.upper), st.text(max_size=8)),
                min_size=1, max_size=30))
def test_conditions_are_necessary_on_generated_lines(pieces: list[str]) -> None:
    for joiner in ("", " "):
        line = joiner.join(pieces).strip()
        if line:
            _check_necessary(line)
            _check_entry(line)


_FOLD_COMPANY = [*_COMPANY, *sorted(FF._TO_REP), *(c.upper() for c in sorted(FF._TO_REP)), "ΣΑΣ", "σ", "Straße"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FOLD_COMPANY), st.text(max_size=4)), max_size=12))
def test_line_mask_is_the_scan_of_scan_bytes(pieces: list[str]) -> None:
    if not FF._SCAN.scan.active:
        pytest.skip("re2 not installed")
    for line in ("".join(pieces), " ".join(pieces)):
        lower = line.lower()
        assert FF.line_mask(line, lower) == FF._SCAN.scan.scan(FF.scan_bytes(line, lower)), line


def test_line_mask_is_the_scan_of_scan_bytes_for_every_code_point() -> None:
    if not FF._SCAN.scan.active:
        pytest.skip("re2 not installed")
    for c in range(0x80, 0x110000, 7):
        line = "ab " + chr(c) + "x"
        lower = line.lower()
        assert FF.line_mask(line, lower) == FF._SCAN.scan.scan(FF.scan_bytes(line, lower)), c
    for c in sorted(FF._TO_REP):  # the characters that need the fold, each alone
        assert FF.line_mask(c, c.lower()) & FF._SCAN.rep, c
    for line in ("İnstagram", "SİGN İN", "Photo İNSTAGRAM"):  # İ: only the fold has the word
        lower = line.lower()
        assert FF.line_mask(line, lower) & FF._SCAN.vocab, line
        assert not FF._SCAN.scan.scan(lower.encode()) & FF._SCAN.vocab, line


def test_lines_with_lone_surrogates() -> None:
    for line in ("ok \ud800", "\udcff share", "Photo: AP\udc80", "sign\ud800in"):
        _check_necessary(line)
        _check_entry(line)


def test_line_entry_equals_the_definition_with_and_without_the_scan(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lines = _dev_lines()[::7]
    for line in lines:
        _check_entry(line)
    monkeypatch.setattr(FF, "_SCAN", FF._Scan(available=False))
    assert not FF._SCAN.scan.active and FF._SCAN.scan.scan(b"") == FF._SCAN.scan.all
    for line in lines[:2000]:
        _check_entry(line)


def test_literal_scan_patterns() -> None:
    scan = LiteralScan([[word("share")], [prefix("abonn")], [literal("年")], None, [word("sign", "in")]])
    if not scan.active:
        pytest.skip("re2 not installed")
    cases = {
        "share": 0b1001, "shares": 0b1000, "re-share it": 0b1001, "xshare": 0b1000, "_share": 0b1000,
        "éshare": 0b1001,  # a non-ASCII neighbour may be a non-word character: reported (a candidate)
        "abonnieren": 0b1010, "jetzt abonnieren": 0b1010, "xabonn": 0b1000, "2021年": 0b1100, "": 0b1000,
        "sign in": 0b11000, "sign-in.": 0b11000, "sign — in": 0b11000, "signin": 0b1000, "sign inside": 0b1000,
        "design in": 0b1000, "sign  x in": 0b1000,
    }
    for text, want in cases.items():
        assert scan.scan(text.encode()) == want, text
    with pytest.raises(ValueError):
        LiteralScan([[]])


def test_adjacent_literals() -> None:
    assert adjacent_literals(re.compile(r"\b\w+\.(COM|de|co\.uk)\b", re.I)) == (".co.uk", ".com", ".de")
    assert adjacent_literals(re.compile(r"\((photo|image)s?\b")) == ("(image", "(photo")
    assert adjacent_literals(re.compile(r"ſtraße|x")) == ("straße", "x")  # folded as the line is
    assert adjacent_literals(re.compile(r"\d+[a-z]")) is None


_PATTERN_BITS = ["(", ")", ".", "com", "De", "ſ", "K", "İ", "photo", "Image", "s", " ", "12", "jan", "Mär", "/", "ap",
                 "afp", "ago", "vor", "min", "年", "月", "2020", ":", "-", "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PATTERN_BITS), max_size=12))
def test_adjacent_literals_are_necessary(pieces: list[str]) -> None:
    line = "".join(pieces)
    folded = fold(line)
    for search in (FF._URL_BRANCHES, FF._DATE_TIME, FF._COUNTER, FF._CREDIT):
        for branch, literals, _ in search.branches:
            if literals is not None and branch.search(line):
                assert any(x in folded for x in literals), (line, branch.pattern)


def test_folded_of_is_fold_for_every_code_point() -> None:
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for k in range(0, len(points), 64):
        chunk = "".join(points[k : k + 64])
        for text in (chunk, "Ab " + chunk, chunk.upper()):
            assert FF.folded_of(text, text.lower()) == fold(text), k


def test_separator_condition_is_the_pattern_in_the_lower_case() -> None:
    """The byte patterns that replace ``_SEPARATORS``' literals: ``\\s`` is exactly ``_SPACE_CHARS``, no character
    but themselves lowers to a space or separator character, and the scan's bit is set exactly where the pattern
    matches (lines of separators, spaces and letters in every arrangement)."""
    assert FF._SEP_CONDITION_OF.get(F._SEPARATORS.pattern), "_SEPARATORS changed: update _SEP_CONDITION_OF"
    space = re.compile(r"\s")
    assert [c for c in range(0x110000) if space.match(chr(c))] == list(map(ord, FF._SPACE_CHARS))
    special = set(FF._SPACE_CHARS + "|»›•·/>-")
    for c in map(chr, range(0x110000)):
        if special.intersection(c.lower()):
            assert c.lower() == c, hex(ord(c))
    if not FF._SCAN.scan.active:
        pytest.skip("re2 not installed")
    pieces = ["|", "»", "›", "•", "·", "/", ">", "-", " ", "\t", "\xa0", "\u3000", "\u2028", "a", "É", "İ", "ſ"]
    lines = [a + b + c + d for a in pieces for b in pieces for c in pieces for d in pieces]
    for line in lines:
        lower = line.lower()
        want = F._SEPARATORS.search(line) is not None
        assert bool(FF._SCAN.scan.scan(lower.encode("utf-8", "surrogatepass")) & FF._SCAN.sep) == want, repr(line)


def test_byline_condition_holds_for_every_first_character() -> None:
    """Every character a ``_BYLINE`` match can start with (``first_char_filter``, tests/test_prefilter.py) gives a
    lower case the condition accepts; and the condition is not "always" (it has a selective filter)."""
    from cleaners.prefilter import first_char_filter

    first = first_char_filter(F._BYLINE)
    assert first is not None and FF._first_character_condition(F._BYLINE) is not None
    if not FF._SCAN.scan.active:
        pytest.skip("re2 not installed")
    scan = FF._SCAN
    starts = [chr(c) for c in range(0x110000) if first.match(chr(c))]
    assert starts
    for c in starts:
        line = c + "y Smith"
        assert scan.scan.scan(line.lower().encode("utf-8", "surrogatepass")) & scan.byline, hex(ord(c))
    assert not scan.scan.scan(b"x by smith") & scan.byline


def test_branch_conditions_are_current() -> None:
    """Each replacement condition still names a branch of a pattern the scan reads (else it is silently unused)."""
    patterns = {b.pattern for search in (FF._URL_BRANCHES, FF._DATE_TIME, FF._COUNTER, FF._CREDIT, FF._MARK)
                for b, literals, _ in search.branches if literals is not None}
    assert set(FF._BRANCH_CONDITION_OF) <= patterns


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["(", ")", "/", " ", "AP", "afp", "EPA", "reuters", "ſ", "K", "1", "12", "٣", "of",
                                 "OF", "photo", "Crédit", "source", "ſource", "ИСТОЧНИК", "ᲄ", "s", ":", "x", "İ",
                                 "\xa0"]),
                max_size=10))
def test_credit_branch_conditions_are_necessary(pieces: list[str]) -> None:
    for line in ("".join(pieces), " ".join(pieces)):
        if line.strip():
            _check_necessary(line.strip())


def test_changed_by_lower_is_every_non_ascii_character_lower_changes() -> None:
    want = [chr(c) for c in range(0x80, 0x110000) if chr(c).lower() != chr(c)]
    assert FF._changed_by_lower() == "".join(want)


def _check_line_scan(line: str) -> None:
    scan = FF._SCAN
    mask, lower = FF.line_scan(line)
    assert mask & ~scan.cased == FF.line_mask(line, line.lower()) & ~scan.cased, line
    if mask & scan.needs_lower:
        assert lower == line.lower(), line


def test_line_scan_is_line_mask_of_the_lower_case_for_every_code_point() -> None:
    if not FF._SCAN.scan.active:
        pytest.skip("re2 not installed")
    for c in range(0x80, 0x110000, 7):  # (the cased set itself is checked on every code point above)
        _check_line_scan("Sign in " + chr(c) + " ſhare")
        _check_line_scan(chr(c) + "x AFP")
    for line in _dev_lines()[::5]:
        if not line.isascii():
            _check_line_scan(line)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_FOLD_COMPANY), st.sampled_from(_VOCAB_PIECES), st.text(max_size=4)),
                min_size=1, max_size=12))
def test_line_scan_is_line_mask_of_the_lower_case(pieces: list[str]) -> None:
    if not FF._SCAN.scan.active:
        pytest.skip("re2 not installed")
    for line in ("é" + "".join(pieces), "É " + " ".join(pieces), " ".join(pieces) + " ü"):
        _check_line_scan(line)
