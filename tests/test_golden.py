"""The seed articles: tails are boilerplate and go, every body paragraph stays exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaners import clean_text

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CASES = sorted(p.name for p in (GOLDEN / "input").glob("*.txt"))


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.strip().split("\n\n") if p.strip()]


@pytest.mark.parametrize("name", CASES)
def test_sample_cleans_to_expected_paragraphs(name: str) -> None:
    result = clean_text((GOLDEN / "input" / name).read_text(encoding="utf-8"))
    expected = (GOLDEN / "expected" / name).read_text(encoding="utf-8")
    assert paragraphs(result.text) == paragraphs(expected)
    assert result.rejected is None
    assert all(r.rule_id for r in result.removed)


def test_shared_syndicated_paragraph_survives_in_both() -> None:
    texts = [clean_text((GOLDEN / "input" / n).read_text(encoding="utf-8")).text for n in CASES]
    shared = set(paragraphs(texts[0])) & set(paragraphs(texts[1]))
    assert any(p.startswith("Following a report in the Washington Post") for p in shared)


def test_every_tail_line_is_accounted_for() -> None:
    result = clean_text((GOLDEN / "input" / "000_ad5899ca170648f4.txt").read_text(encoding="utf-8"))
    assert {r.line for r in result.removed} == {
        "Watch the clip above, via CNN.",
        "[image via screengrab]",
        "Follow Justin Baragona on Twitter: @justinbaragona",
        "Have a tip we should know?",
        "Filed Under:",
    }
