"""The exact RE2 translation (:mod:`cleaners.re2_exact`) finds a match exactly where Python's engine does,
and ``needs_repair``'s one-pass check (:mod:`cleaners.repair_check`) never says "nothing to repair" wrongly."""

from __future__ import annotations

import functools
import re
import unicodedata

import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fast_path import _mojibake, dev_documents

from cleaners import badness_scan, repair_check
from cleaners.config import Config
from cleaners.encoding import _HTML_ENTITY, _needs_ftfy, needs_repair
from cleaners.re2_exact import Unsupported, exact_re2, re2_search

_SMALL = [r"^[ÃÂ][ ]", r"a\s?b", r"[^A-Za-z]x", r"\w[.]\W", r"x.y", r"(?s)x.y", r"(?:ab|c){2,3}d", r"[\d_]+z",
          r"é|ß[^\n]", r"\A\S"]


@functools.cache
def _exact_search(pattern: str) -> tuple[re.Pattern[str], object]:
    regex = re.compile(pattern)
    search = re2_search(exact_re2(regex))
    assert search is not None
    return regex, search


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdxyzé ßÃÂ\n\t\u00a0\u2003_.,1٣Zğ")), max_size=12))
def test_small_patterns_match_where_python_does(text: str) -> None:
    for pattern in _SMALL:
        regex, search = _exact_search(pattern)
        assert search(text.encode()) == (regex.search(text) is not None), (pattern, text)  # type: ignore[operator]


def test_unsupported_patterns_are_refused() -> None:
    for pattern in (r"(a)\1", r"a(?=b)", r"(?i)a", r"(?m)^a", r"a$"):
        with pytest.raises(Unsupported):
            exact_re2(re.compile(pattern))


_SUSPECT = sorted(set("".join(MOJIBAKE_CATEGORIES.values()) + "ÂÃÎÐØÙàâ×²³√±∂≈°‚ÄâóβΒΓΞΟВГРСЂў€āŒœ"
                      + "éèüöäÉÜÖ’“”–— \n\t\u2003.,!?aZ1_{}"))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(_SUSPECT), max_size=40), st.text(max_size=10))
def test_looks_bad_is_is_bad(suspect: str, other: str) -> None:
    for text in (suspect, other + suspect, suspect + other):
        assert badness_scan.looks_bad(text) == is_bad(text), repr(text)


def test_looks_bad_is_is_bad_on_dev_texts() -> None:
    texts = [d.text or "" for d in dev_documents()]
    texts += [_mojibake(t) for t in texts[:60]]
    verdicts = [is_bad(t) for t in texts]
    assert 60 <= sum(verdicts) < len(texts) // 2
    assert [badness_scan.looks_bad(t) for t in texts] == verdicts
    assert exact_re2(BADNESS_RE) == exact_re2(BADNESS_RE)  # built once (cached)


def test_nfc_suspects_cover_what_is_normalized_needs() -> None:
    suspects = set(repair_check.nfc_suspects(0x110000))
    assert max(suspects) < repair_check.NFC_LIMIT
    assert set(repair_check.nfc_suspects()) == suspects
    others = "".join(chr(c) for c in range(0x110000) if c not in suspects and not 0xD800 <= c <= 0xDFFF)
    # CPython's normalize returns its argument itself only when the quick check says yes for every character
    # (no "maybe", no "no", combining class 0 throughout), which is what makes is_normalized answer at once
    assert unicodedata.normalize("NFC", others) is others
    for code in (0x301, 0x1161, 0x11A8, 0x212B, 0x0958, 0x0CD5):  # combining, Hangul V and T, singleton, excluded
        one = chr(code)
        assert code in suspects and unicodedata.normalize("NFC", one) is not one
    sample = others[::1000]
    assert unicodedata.normalize("NFC", sample) is sample


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(_SUSPECT + list("e\u0301\u0308\u0327AÅ\u212b\u1100\u1161\x00\r\x1b\ufb01"
                                                        "\u2028&#;x\ud800\u093c\u0915")), max_size=30))
def test_nothing_to_repair_only_when_nothing_is_to_repair(text: str) -> None:
    if repair_check.nothing_to_repair(text):
        assert repair_check.NEEDS_FTFY_CHARS.search(text) is None
        assert unicodedata.is_normalized("NFC", text)
        assert not is_bad(text)
    assert needs_repair(text, Config()) == _needs_repair_reference(text)


def _needs_repair_reference(text: str) -> bool:
    """``needs_repair`` as it was defined before the one-pass check."""
    if text.isascii():
        return _needs_ftfy(text)
    return _needs_ftfy(text) or not unicodedata.is_normalized("NFC", text) or is_bad(text)


def test_needs_repair_on_dev_texts() -> None:
    texts = [d.text or "" for d in dev_documents()]
    texts += [t + "\u0301" for t in texts[:20]] + [t + "\x00" for t in texts[20:30]]
    texts += [t + "&amp;" for t in texts[30:40]]
    verdicts = [_needs_repair_reference(t) for t in texts]
    assert 60 < sum(verdicts) < len(texts) // 2
    assert [needs_repair(t, Config()) for t in texts] == verdicts
    assert _HTML_ENTITY.search("&amp;")
