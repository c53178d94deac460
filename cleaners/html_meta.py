"""Page metadata for ``clean_html``: the fields presswash keeps, found as trafilatura finds them, cheaper.

``trafilatura.bare_extraction(with_metadata=True)`` cost ~40% on top of extraction on the dev pages
(14 ms per page; bare ``extract`` takes ~33 ms), mostly for work whose results presswash drops
(categories, tags, license) and for the author search: a copy of the whole page, pruned with XPath
expressions whose EXSLT ``re:test`` calls back into Python for every element, then three page-wide
searches. :func:`page_metadata` runs the steps of ``trafilatura.metadata.extract_metadata`` (its own
helpers, same order, the date parameters ``bare_extraction`` passes) without categories, tags and
license; :func:`extract_author` finds what trafilatura's finds with rewritten expressions (``html_xpath``)
and without copying the page. tests/test_html_meta.py compares both with trafilatura's.
"""

from __future__ import annotations

from contextlib import suppress
from copy import deepcopy
from functools import cache
from html import unescape
from typing import Any

from .html_xpath import along, by_attribute, literal_tests

META_FIELDS = ("title", "author", "date", "sitename", "hostname", "language", "url", "description")
EXTENSIVE_DATE_SEARCH = False
"""htmldate's ``extensive_search`` (trafilatura turns it on): its fast search reads the URL, the header,
JSON-LD, abbr/time elements and date patterns in the markup; the extensive one then scans the free text
too. Measured on the 87 dev pages: +1.5 ms per page (~4% of the HTML path) for one more date found."""


@cache
def _author_xpaths() -> tuple[list[Any], Any, Any] | None:
    """The author expressions, and the discard expressions along ancestor-or-self and descendant axes."""
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

    try:
        discard = [literal_tests(x) for x in AUTHOR_DISCARD_XPATHS]
        return [by_attribute(literal_tests(x)) for x in AUTHOR_XPATHS], along("ancestor-or-self::", *discard), \
            along("descendant::", *discard)
    except (ValueError, SyntaxError):  # lxml's XPathSyntaxError is a SyntaxError
        return None


def extract_author(tree: Any) -> str | None:
    """``trafilatura.metadata.extract_author`` without copying and pruning the whole page first.

    trafilatura deletes the AUTHOR_DISCARD elements from a copy of the page, then takes the first
    AUTHOR_XPATHS match whose text is 3-119 characters. Here the author expressions run on the page
    itself, a match inside a discarded element is skipped, and only a match that contains discarded
    elements is copied and pruned before its text is read: the same matches in the same order, the
    same texts (the discard expressions test an element's own tag and attributes only).
    """
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.metadata import extract_author as slow_extract_author
    from trafilatura.utils import trim
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    compiled = _author_xpaths()
    if compiled is None:  # a trafilatura whose expressions this module cannot rewrite
        return slow_extract_author(tree)
    author_xpaths, discarded, inner_discards = compiled
    for expression in author_xpaths:
        for elem in expression(tree):
            if discarded(elem):
                continue
            if inner_discards(elem):
                elem = prune_unwanted_nodes(deepcopy(elem), AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(elem.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def page_metadata(tree: Any, url: str | None) -> dict[str, str]:
    """The META_FIELDS of a parsed page (those found), as ``bare_extraction(with_metadata=True)`` reports them.

    Follows ``trafilatura.metadata.extract_metadata`` step by step, without categories, tags and license.
    """
    from courlan import extract_domain
    from htmldate import find_date
    from trafilatura.metadata import (
        META_URL,
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )
    from trafilatura.settings import set_date_params
    from trafilatura.utils import line_processing

    date_config = set_date_params(EXTENSIVE_DATE_SEARCH)
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with suppress(Exception):  # as trafilatura: a bug in its JSON-LD reader costs the JSON-LD fields only
        metadata = extract_meta_json(tree, metadata)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    date_config["url"] = metadata.url
    metadata.date = find_date(tree, **date_config)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (found := META_URL.match(metadata.url)):
        metadata.sitename = found[1]
    out: dict[str, str] = {}
    for key in META_FIELDS:  # Document.clean_and_trim, for the fields kept
        value = getattr(metadata, key, None)
        if isinstance(value, str):
            value = line_processing(unescape(value if len(value) <= 10000 else value[:9999] + "…"))
        if value:
            out[key] = str(value)
    return out
