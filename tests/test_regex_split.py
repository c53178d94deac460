"""``regex_split.BranchSearch`` answers exactly as ``regex.search`` does.

Checked for the feature patterns it is used with (and the other alternations of ``cleaners.features``)
on the non-blank lines of the dev benchmark texts and on generated lines built from the patterns' own
vocabulary, digits, separators and case variants; plus the splitter on tricky pattern sources.
"""

from __future__ import annotations

import gzip
import json
import re

import pytest
from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import features as F
from cleaners.prefilter import fold
from cleaners.regex_split import BranchSearch

_PATTERNS = [F._DATE_TIME, F._CREDIT, F._COUNTER, F._URL, F._COMMENT_MARK, F._SEPARATORS, F._EMAIL_HANDLE]


def _dev_lines() -> list[str]:
    lines = []
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for row in f:
                lines += [t.strip() for t in json.loads(row)["raw_text"].splitlines() if t.strip()]
    return lines


def _same(fast: BranchSearch, line: str) -> None:
    assert fast.search(line, fold(line)) == (fast.regex.search(line) is not None), (fast.regex.pattern, line)


@pytest.mark.parametrize("regex", _PATTERNS, ids=lambda r: r.pattern[:20])
def test_branch_search_equals_search_on_dev_lines(regex: re.Pattern[str]) -> None:
    fast = BranchSearch(regex)
    assert len(fast.branches) > 1  # really split
    for line in _dev_lines():
        _same(fast, line)


_PIECES = [
    "12:30", "3.5.2021", "1999", "2020", "Jan", "MÄR", "5 min ago", "vor 3 Stunden", "2021年5月", "3月4日",
    "(Photo: AP)", "Photo:", "Getty Images", "REUTERS", "/ AFP", "dpa", "photographs by", "Foto: ", "1 of 12",
    "12 comments", "(3)", "1.2k", "www.x", "https://", "a.com", "says:", "Leave a reply", "| ", " » ", "@a",
    "#tag", "ſ", "İ", "K", "٣", "²", "x1", "_1", ":", ".", "-", "/", " ", "h", "00",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=5)), max_size=10).map("".join))
def test_branch_search_equals_search_on_generated_lines(line: str) -> None:
    for regex in _PATTERNS:
        _same(BranchSearch(regex), line)


def test_branches_are_the_top_level_alternatives() -> None:
    assert [b.pattern for b, *_ in BranchSearch(re.compile(r"a|(b|c)|[|]|[^]|]x|\|y")).branches] == [
        "a", "(b|c)", "[|]", "[^]|]x", r"\|y"]
    assert len(BranchSearch(re.compile("abc")).branches) == 1
    # group numbers would change when split: searched whole
    assert len(BranchSearch(re.compile(r"(a)\1|b")).branches) == 1
