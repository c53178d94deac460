"""Document-level rejection: precise reason codes, and long articles are never rejected for a mention."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import Config, clean_text
from cleaners.reject import _checks, judge, missing_article

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



def test_page_without_its_article_is_rejected_as_no_article() -> None:
    """Menus, deals and teaser headlines around a missing article: once a rule removed the only
    prose (an affiliate disclosure), nothing reads like article text and the page is rejected."""
    furniture = [
        "Latest Apple Headlines",
        "AppleInsider has affiliate partnerships and may earn commission on products purchased through "
        "affiliate links. These partnerships do not influence our editorial content.",
        *(f"SAVE ${i}0.00 - Deal number {i} on a laptop model" for i in range(1, 8)),
        "Copyright © 2019 AppleInsider. All rights reserved.",
        "Privacy Policy",
    ]
    config = Config(no_article_min_removed=2)
    result = clean_text("\n".join(furniture), config=config)
    assert result.rejected is not None and result.rejected.code == "no-article"
    # the same furniture around an article: kept, not rejected
    article = clean_text("\n".join([*furniture[:5], PROSE * 2, PROSE, *furniture[5:]]), config=config)
    assert article.rejected is None and PROSE.strip() in article.text
    # fewer removals than the threshold: no verdict
    assert missing_article(["Deals", "Home"], 1, config) is None
    assert missing_article(["Deals", "Home"], 2, config) is not None
    assert missing_article(["Deals", PROSE], 2, config) is None
    long_line = " ".join(["word"] * 30)  # a long unpunctuated line still counts as article text
    assert missing_article(["Deals", long_line], 2, config) is None


_PIECES = [
    "404", "error 404", "Error", "page", "Page", "PAGE", "was", "not found", "NOT FOUND", "nicht gefunden",
    "Seite wurde", "introuvable", "est", "página no encontrada", "Pagina non trovata", "Página não encontrada",
    "pagina niet gevonden", "СТРАНИЦА НЕ НАЙДЕНА", "страница", "页面不存在", "找不到页面", "ページが見つかりません",
    "the page you", "'re", "are", "looking for", "could not be found", "doesn't exist", "does nt exist",
    "has been moved", "500", "internal server error", "service", "temporarily", "unavailable", "access denied",
    "403 forbidden", "wayback machine", "this snapshot", "has been", "archived", "hasnt", "crawled on",
    "internet archive", "capture", "subscribe", "sign in", "now", "to continue reading", "keep reading",
    "already a subscriber", "this story is only reserved for members", "subscribers only", "premium content",
    "jetzt weiterlesen", "weiterlesen mit", "nur für abonnenten", "réservé aux abonnés", "captcha",
    "are you a robot", "verify you are a human", "please enable cookies", "we value your privacy", "İ", "ſ",
    "K", "ß", "x", "42", " ", "  ", "\n", "\t", "-", ".", ":", "é",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=14), st.sampled_from(["", " ", "\n", "  "]))
@settings(max_examples=600, deadline=None)
def test_prefilters_of_the_pattern_checks_hold_wherever_a_pattern_matches(pieces: list[str], glue: str) -> None:
    text = glue.join(pieces)
    for variant in (text, text.upper(), text.lower(), text.title()):
        for code, rx, _, may_match in _checks():
            if rx.search(variant):
                assert may_match(variant), (code, variant)


def test_prefilters_of_the_pattern_checks_on_dev_texts_and_their_pieces() -> None:
    from test_feature_matrix import _dev_texts

    found = skipped = 0
    for text in _dev_texts():
        for piece in (text, text[:300], text[-300:], " ".join(text.split()[:150])):
            for _, rx, _, may_match in _checks():
                if rx.search(piece):
                    assert may_match(piece)
                    found += 1
                skipped += not may_match(piece)
    assert found and skipped  # matches to hold on, and texts the prefilters rule out
