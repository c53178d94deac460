"""Document-level verdicts: is what is left after cleaning an article at all?

Rejection codes (a rejected document is quarantined by the flow with its code, never lost):

- ``empty`` / ``too-short``: too little text left after cleaning (``Config.min_words``);
- ``error-page``: a "page not found" / server error page;
- ``archive-notice``: a web archive's or crawler's own notice instead of the page;
- ``wall``: a paywall, login or cookie wall stands where the article should be;
- ``listing``: an index or listing page: many short lines, no paragraph of prose;
- ``no-article``: a page of furniture whose article is missing: many lines removed, and no line
  that a rule did not remove reads like article text.

The pattern checks (error page, archive notice, wall) only look at short documents
(``Config.reject_max_words``), so a long article that merely mentions a 404 error or a paywall is
never rejected.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence

from .config import Config
from .features import LineInfo, line_info
from .model import Rejection
from .multiscan import text_prefilter
from .prefilter import forget_parsed

# Codes for documents that could not be processed (quarantined) rather than judged (rejected).
FAILURE_CODES = frozenset(
    {"exception", "extract-failed", "extract-timeout", "html-too-large", "empty-input", "decode-failed",
     "text-too-large"}
)

_ERROR_PAGE = re.compile(
    r"\b(error )?404\b.{0,40}\b(not found|nicht gefunden|introuvable|no encontrada|non trovata|"
    r"não encontrada|"
    r"niet gevonden|не найдена)|\bpage (was )?not found\b|\bseite (wurde )?nicht gefunden\b|"
    r"\bpage (est )?introuvable\b|\bpágina no encontrada\b|\bpagina non trovata\b|\bpágina não encontrada\b|"
    r"\bpagina niet gevonden\b|\bстраница не найдена\b|页面不存在|找不到页面|ページが見つかりません|"
    r"\bthe page you (are|were|'re) looking for (could not be found|cannot be found|does ?n[o']t exist|"
    r"is no longer available|has been (moved|removed))|\b(500 )?internal server error\b|"
    r"\bservice (temporarily )?unavailable\b|\baccess denied\b|\b403 forbidden\b",
    re.I,
)
_ARCHIVE = re.compile(
    r"\bwayback machine\b|\bthis (page|url|snapshot) (has been|was|is) (archived|crawled|captured)|"
    r"\b(hasn'?t|has not|not) (been )?archived\b|\bcrawled on\b|\bthe wayback machine has not\b|"
    r"\binternet archive\b.{0,60}\b(capture|crawl|snapshot)",
    re.I,
)
_WALL = re.compile(
    r"\b(subscribe|sign in|log in|register) (now )?to (continue|keep) reading\b|\bto continue reading\b|"
    r"\balready a subscriber\b|\bthis (article|content|story) is (only )?(available|reserved) (to|for) "
    r"(subscribers|members|premium)|\bsubscribers only\b|\bpremium (content|article)\b|"
    r"\bjetzt (weiterlesen|abonnieren|freischalten)\b|\bweiterlesen mit\b|\bnur für abonnenten\b|"
    r"\bréservé aux abonnés\b|\bcontenido exclusivo para suscriptores\b|\briservato agli abbonati\b|"
    r"\bexclusivo para assinantes\b|\bplease enable (javascript|cookies)\b|\bplease (accept|allow) cookies\b|"
    r"\bwe value your privacy\b|\bcookie wall\b|\bare you a robot\b|\bverify you are (a )?human\b|"
    r"\bcaptcha\b",
    re.I,
)


@functools.cache
def _checks() -> tuple[tuple[str, re.Pattern[str], str, Callable[[str], bool]], ...]:
    """The pattern checks, each with a prefilter that is True wherever its pattern matches (built on first
    use: RE2 compiles them in ~1 ms)."""
    checks = tuple((code, rx, what, text_prefilter(rx)) for code, rx, what in (
        ("error-page", _ERROR_PAGE, "an error page"),
        ("archive-notice", _ARCHIVE, "a web archive or crawler notice"),
        ("wall", _WALL, "a paywall, login or cookie wall"),
    ))
    forget_parsed()
    return checks


def judge(text: str, config: Config) -> Rejection | None:
    """Reject documents that are not articles; None for an article."""
    # at most reject_max_words + 1 pieces: the exact count up to reject_max_words, "more" beyond
    words = len(text.split(None, config.reject_max_words))
    if words == 0:
        return Rejection("empty", "no text left after cleaning")
    if text.count("\n") + 1 >= config.listing_min_lines:
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) >= config.listing_min_lines and not any(line_info(line.strip()).prose for line in lines):
            return Rejection("listing", f"{len(lines)} short lines and no paragraph of prose")
    if words > config.reject_max_words:
        return None
    for code, rx, what, may_match in _checks():
        if may_match(text) and (m := rx.search(text)):
            return Rejection(code, f"{what} ({m.group(0)!r}), {words} words")
    if words < config.min_words:
        return Rejection("too-short", f"{words} words left after cleaning (minimum {config.min_words})")
    return None


_ARTICLE_LINE_WORDS = 25


def missing_article(candidates: Sequence[str], removed: int, config: Config) -> Rejection | None:
    """``no-article`` when ``removed`` lines went and none of ``candidates`` (the lines no rule
    removed: kept ones and the line classifier's removals) reads like article text."""
    return missing_article_of(map(line_info, map(str.strip, candidates)), removed, config)


def missing_article_of(candidates: Iterable[LineInfo], removed: int, config: Config) -> Rejection | None:
    """:func:`missing_article` of the candidates' ``line_info(line.strip())``."""
    if removed < config.no_article_min_removed:
        return None
    for info in candidates:
        if info.prose or info.words >= _ARTICLE_LINE_WORDS:
            return None
    return Rejection("no-article", f"{removed} lines removed and no line of article text outside them")


def is_failure(rejection: Rejection | None) -> bool:
    return rejection is not None and rejection.code in FAILURE_CODES
