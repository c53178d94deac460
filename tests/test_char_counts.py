"""``char_counts`` (many lines at once, NumPy) gives exactly the per-line counts ``line_entry`` makes.

Compared with the written-out definitions (``str.split``, ``str.isalpha`` ... on each character) and
with ``features_fast._counts`` (the per-line path), on generated lines: any code point incl. lone
surrogates and astral characters, whitespace of every kind, empty and very long lines.
"""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import features as F
from cleaners import features_fast as FF
from cleaners.char_counts import INITIALS, SAMPLE, TABLE_LIMIT, char_counts


def _definition(line: str) -> tuple[int, int, int, int, int, int, bool, int]:
    toks = line.split()
    initials = [t[0] for t in toks[:INITIALS]]
    sample = line[:SAMPLE]
    return (len(toks), sum(c.isalpha() for c in initials), sum(c.isupper() for c in initials),
            sum(c.isalpha() for c in sample), sum(c.isdigit() for c in sample), sample.count(" "),
            sample.upper() != sample, len(F._CJK.findall(line)))


def _check(lines: list[str]) -> None:
    got = char_counts(lines)
    assert len(got) == len(lines)
    for line, counts in zip(lines, got, strict=True):
        if counts is None:
            assert max(map(ord, line)) >= TABLE_LIMIT
            continue
        assert (*counts[:6], counts[6] > 0, counts[7]) == _definition(line), line
        if line.strip():  # line_entry's own counting (stripped, non-blank lines)
            mine = FF._counts(line, line[:SAMPLE])
            assert (*mine[:6], mine[6] > 0, mine[7]) == (*counts[:6], counts[6] > 0, counts[7])


_SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
_PIECES = ["ſtraße", "İSTANBUL", "ΣΊΣΥΦΟΣ", "Ǆemal ǅ ǆ", "ﬁne", "١٢٣ ٤", "²³ ½", "2021年5月3日", "Комментарии (3)",
           "評論 コメント 댓글", "\u3040\u30ff\u3400\u4dbf\u4e00\u9fff\uac00\ud7af \u303f\u3100\ud7b0",
           "\ud800", "\udfff x", "\ud83d\ude00", "😀 emoji", "𝐀𝐁 math", "ǰ", "ŉ", "x" * 300, "A" * 200]
_char = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=sys.maxunicode),  # surrogates included
    st.sampled_from(_SPACES), st.sampled_from("aZ09 .,:"),
)
_line = st.one_of(st.text(_char, max_size=80), st.sampled_from(_PIECES),
                  st.lists(st.sampled_from(_PIECES + list(_SPACES)), max_size=60).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, max_size=12))
def test_char_counts_equal_the_definitions(lines: list[str]) -> None:
    _check(lines)


def test_char_counts_of_edge_cases() -> None:
    _check([])
    _check([""])
    _check(["", "", "a"])
    _check(["a b", "\ud83d\ude00", "c"])  # a line with an astral character among table lines
    long_words = " ".join(f"W{k}x" for k in range(300))
    _check([long_words, "x" * 100_000, " ".join(["É"] * 45), "ÀÉ" * 120, "a" + " " * 500 + "B"])
    _check(["\u0130", "ß" * 200, "ﬀ", "\u0345", "\u1e9e", "ǅ"])  # upper() expands or maps title case


def test_cjk_pass_skipped_only_below_every_cjk_character() -> None:
    """Batches whose code points all lie below the first ``features._CJK`` character skip the CJK pass: that
    bound is the regex's own first character (every code point checked), and batches right at it count."""
    from cleaners.char_counts import _first_cjk

    first = next(c for c in range(TABLE_LIMIT) if F._CJK.match(chr(c)))
    assert _first_cjk() == first
    below, at = chr(first - 1), chr(first)
    _check([f"a {below} b", "x y"])  # skipped: no CJK character can be there
    _check([f"a {below} b", f"{at}{at} c", "x y"])
    _check(["\uffff", f"{at} x", "plain"])


def test_sample_sums_exact_at_the_largest_sample() -> None:
    """Each packed field of a sample reaches ``SAMPLE`` (sums kept modulo 2**32 over long batches)."""
    full = "é" * SAMPLE  # a letter that upper() changes: three fields at their largest
    digits = "1" * SAMPLE
    spaces = "a" + " " * (SAMPLE - 2) + "b"
    _check([full, digits, spaces] * 200 + ["ß" * 400] * 50)
