"""html_meta: the cheaper metadata path finds exactly what trafilatura's metadata extraction finds."""

from __future__ import annotations

import gzip
import json
import random
from typing import Any

import pytest
import trafilatura
from conftest import bench_file
from lxml.etree import XPath
from trafilatura.metadata import extract_author as trafilatura_author
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html

from cleaners.html_meta import EXTENSIVE_DATE_SEARCH, META_FIELDS, extract_author, page_metadata
from cleaners.html_xpath import _alternatives, along, by_attribute, literal_tests

# class/id tokens around the literals of trafilatura's author, title and discard expressions
TOKENS = ["author", "Author", "author-name", "authorname", "AuthorName", "byline", "Byline", "byl", "writer",
          "screenname", "posted-by", "comments", "Comments", "comment-list", "commentlist", "sidebar", "quote",
          "print", "category", "meta-date", "post-title", "entry-title", "article-title", "post__title",
          "headline", "title", "date", "is-hidden", "article-share", "zuozhe", "x", "my-author-box",
          "nocomments", "page-sidebar-left", "channel-name", "journalist-name"]
TAGS = ["div", "span", "a", "p", "section", "h1", "h2", "h3", "strong", "address", "time", "figure", "li", "rel"]


def random_page(seed: int) -> str:
    rng = random.Random(seed)

    def block(depth: int) -> str:
        tag = rng.choice(TAGS)
        attrs = ""
        for attr in ("class", "id"):
            if rng.random() < 0.5:
                attrs += f' {attr}="{" ".join(rng.sample(TOKENS, rng.randint(1, 2)))}"'
        if rng.random() < 0.1:
            attrs += ' rel="author"' if rng.random() < 0.5 else ' itemprop="author"'
        words = " ".join(rng.choice(["Jane", "Doe", "by", "Smith", "posted", "on", "May", "me"])
                         for _ in range(rng.randint(0, 4)))
        inner = "".join(block(depth + 1) for _ in range(rng.randint(0, 3) if depth < 4 else 0))
        return f"<{tag}{attrs}>{words}{inner}</{tag}>{rng.choice(['', ' tail text'])}"

    return "<html><body>" + "".join(block(0) for _ in range(12)) + "</body></html>"


def dev_pages(limit: int) -> list[tuple[str, str]]:
    with gzip.open(bench_file("scrapinghub_html.jsonl.gz"), "rt", encoding="utf-8") as f:
        return [(r["url"], r["html"]) for r in map(json.loads, f)][:limit]


def rewritten_expressions() -> list[Any]:
    from trafilatura import xpaths

    return [x for name in dir(xpaths) if name.endswith(("XPATH", "XPATHS"))
            for x in getattr(xpaths, name) if isinstance(x, XPath)]


def test_literal_alternatives() -> None:
    assert _alternatives("author-?name|AuthorName") == ["author-name", "authorname", "AuthorName"]
    assert _alternatives("^[Cc]omments|article-(?:share|support)") == [
        "^Comments", "^comments", "article-share", "article-support"]
    for pattern in ("a.b", "x*", "[a-z]uthor", "foo$", r"\bfoo", "a+", "(a|b)", "x{2}", "a?"):
        assert _alternatives(pattern) is None, pattern


def rewrites(expression: Any) -> list[Any]:
    fast = literal_tests(expression)
    try:
        return [fast, by_attribute(fast)]
    except ValueError:  # a shape by_attribute does not rewrite
        return [fast]


def test_rewritten_expressions_select_the_same_elements() -> None:
    expressions = rewritten_expressions()
    fast = [rewrites(x) for x in expressions]
    assert sum(f[0].path != x.path for f, x in zip(fast, expressions, strict=True)) >= 5  # some were rewritten
    assert sum(len(f) == 2 for f in fast) >= 10
    for seed in range(20):
        tree = load_html(random_page(seed))
        for original, rewritten in zip(expressions, fast, strict=True):
            expected = original(tree)
            for x in rewritten:
                assert x(tree) == expected, (original.path, x.path)


def test_expressions_along_an_axis() -> None:
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, OVERALL_DISCARD_XPATH

    expressions = AUTHOR_DISCARD_XPATHS + OVERALL_DISCARD_XPATH
    selects_self = along("self::", *expressions)
    for seed in range(10):
        tree = load_html(random_page(seed))
        selected = {e for x in expressions for e in x(tree)}
        for element in tree.iter():
            assert bool(selects_self(element)) == (element in selected)


@pytest.mark.parametrize("seed", range(60))
def test_author_as_trafilatura_finds_it(seed: int) -> None:
    tree = load_html(random_page(seed))
    assert extract_author(tree) == trafilatura_author(tree)


def test_author_inside_and_around_discarded_elements() -> None:
    cases = [
        '<div class="comments"><span class="author">Ann Commenter</span></div><p class="byline">Bo Writer</p>',
        '<span class="author">Cy Reporter <time>May 3</time> and Di Editor</span>',
        '<div class="sidebar"><a rel="author">Side Bar</a></div>',
        '<div class="author"><figure>Photo credit</figure>Ed Staff<div class="date">today</div>tail</div>',
    ]
    for body in cases:
        tree = load_html(f"<html><body>{body}<p>Some text of the article here.</p></body></html>")
        assert extract_author(tree) == trafilatura_author(tree), body


def reference_metadata(html: str, url: str | None) -> dict[str, str]:
    """What ``bare_extraction(with_metadata=True)`` reports (it calls extract_metadata like this)."""
    doc = extract_metadata(load_html(html), url, set_date_params(EXTENSIVE_DATE_SEARCH), False)
    return {k: str(v) for k in META_FIELDS if (v := getattr(doc, k, None))}


def test_page_metadata_is_what_bare_extraction_reports() -> None:
    html = random_page(7).replace("<html>", '<html><head><title>A title - Site</title>'
                                  '<meta name="author" content="Jane Doe"></head>')
    doc: Any = trafilatura.bare_extraction(html, url="https://example.org/a", with_metadata=True,
                                           date_extraction_params=set_date_params(EXTENSIVE_DATE_SEARCH))
    assert reference_metadata(html, "https://example.org/a") == {
        k: str(v) for k in META_FIELDS if (v := getattr(doc, k, None))}


def test_page_metadata_on_dev_pages() -> None:
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

    for url, html in dev_pages(25):
        tree = load_html(html)
        assert page_metadata(tree, url) == reference_metadata(html, url), url
        assert extract_author(tree) == trafilatura_author(tree), url
        for original in AUTHOR_XPATHS + AUTHOR_DISCARD_XPATHS:
            for rewritten in rewrites(original):
                assert rewritten(tree) == original(tree), (url, rewritten.path)
