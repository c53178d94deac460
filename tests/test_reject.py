"""Document-level rejection: precise reason codes, and long articles are never rejected for a mention."""

from __future__ import annotations

import pytest

from cleaners import Config, clean_text
from cleaners.reject import judge

PROSE = (
    "The city council voted on Tuesday to extend the harbour project by another two years, after engineers "
    "warned that the sea wall would not be finished before the winter storms arrived on the coast. "
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("404 - Page not found\nThe page you are looking for could not be found.", "error-page"),
        ("Seite nicht gefunden\nDie angeforderte Seite existiert leider nicht mehr.", "error-page"),
        ("Wayback Machine\nThe Wayback Machine has not archived that URL. Try searching for it instead.",
         "archive-notice"),
        ("Big story about the budget\nSubscribe now to continue reading. Already a subscriber? Sign in here.",
         "wall"),
        ("", "empty"),
        ("Only a few words here.", "too-short"),
        ("\n".join(f"Section {i} index entry" for i in range(45)), "listing"),
    ],
)
def test_non_articles_are_rejected_with_a_reason(text: str, code: str) -> None:
    rejection = judge(text, Config())
    assert rejection is not None and rejection.code == code, rejection


def test_long_article_mentioning_errors_and_paywalls_is_kept() -> None:
    text = PROSE * 4 + "Visitors saw a 404 page not found error when the site crashed. " + PROSE * 4
    text += "Readers who subscribe to continue reading get the full report, the paper said. " + PROSE
    assert judge(text, Config()) is None


def test_article_is_not_rejected() -> None:
    assert judge(PROSE * 2, Config()) is None


def test_clean_text_reports_the_rejection() -> None:
    result = clean_text("Page not found\n\nSorry, the page you were looking for does not exist.")
    assert result.rejected is not None and result.rejected.code == "error-page"


def test_min_words_is_configurable() -> None:
    assert judge("one two three four five six", Config(min_words=5)) is None
