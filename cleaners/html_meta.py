"""Page metadata for ``clean_html``: the fields presswash keeps, found like trafilatura finds them, cheaper.

``trafilatura.bare_extraction(with_metadata=True)`` cost ~30% on top of extraction on the dev pages
(measured: 14 ms of 37 ms per page), mostly for work whose results presswash drops: categories, tags
and license (never written), and the author search's XPath expressions, whose EXSLT ``re:test`` calls
back into Python for every element with a class or id. :func:`page_metadata` runs the same steps as
``trafilatura.metadata.extract_metadata`` (same helpers, same order, same date parameters as
``bare_extraction`` passes) minus categories, tags and license, and searches the author with
equivalent expressions in which each ``re:test`` of a fixed set of strings is rewritten as XPath's own
``contains``/``starts-with`` (:func:`fast_xpath`; an expression it cannot rewrite exactly is used as it
is). tests/test_html.py checks the fields against ``extract_metadata`` and the rewritten expressions
against the originals.
"""

from __future__ import annotations

import re
from contextlib import suppress
from copy import deepcopy
from functools import cache
from html import unescape
from itertools import product
from typing import Any

META_FIELDS = ("title", "author", "date", "sitename", "hostname", "language", "url", "description")
REGEXP_NS = "http://exslt.org/regular-expressions"
_RE_TEST = re.compile(r"re:test\(\s*(@[\w:-]+)\s*,\s*'([^']*)'\s*\)")
_MAX_LITERALS = 64
_PREDICATES = re.compile(r"\[[^\[\]]*\]")  # innermost predicates


def _alternatives(pattern: str) -> list[str] | None:
    """All strings a regex of literals, ``[..]`` classes of literals, ``?`` and ``(?:a|b)`` groups matches.

    A leading ``^`` in a branch is kept as a ``^`` prefix of its strings. None when the pattern uses
    anything else (then it has no such finite list, or this parser does not know it).
    """
    out: list[str] = []
    for branch in _split_top(pattern):
        anchored = branch.startswith("^")
        strings = _sequence(branch[1:] if anchored else branch)
        if strings is None or "" in strings:
            return None
        out.extend("^" + s if anchored else s for s in strings)
        if len(out) > _MAX_LITERALS:
            return None
    return out


def _split_top(pattern: str) -> list[str]:
    """Split on ``|`` outside parentheses and brackets."""
    parts, depth, start, in_class = [], 0, 0, False
    for i, ch in enumerate(pattern):
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _sequence(branch: str) -> list[str] | None:
    atoms: list[list[str]] = []
    i = 0
    while i < len(branch):
        ch = branch[i]
        if ch == "[":
            end = branch.find("]", i)
            chars = branch[i + 1:end]
            if end < 0 or not chars or not all(c.isalnum() or c in "_- " for c in chars) or chars[0] == "-" \
                    or "-" in chars[1:-1]:
                return None
            atom, i = sorted(set(chars)), end + 1
        elif branch.startswith("(?:", i):
            depth, j = 0, i
            for j in range(i, len(branch)):
                depth += {"(": 1, ")": -1}.get(branch[j], 0)
                if depth == 0:
                    break
            inner = _alternatives(branch[i + 3:j])
            if depth or inner is None or any(s.startswith("^") for s in inner):
                return None
            atom, i = inner, j + 1
        elif ch.isalnum() or ch in "_- ":
            atom, i = [ch], i + 1
        else:
            return None
        if branch[i:i + 1] == "?":
            atom, i = [*atom, ""], i + 1
        atoms.append(atom)
    strings = ["".join(parts) for parts in product(*atoms)]
    return strings if len(strings) <= _MAX_LITERALS else None


def _rewrite(match: re.Match[str]) -> str:
    attr, pattern = match.group(1), match.group(2)
    strings = _alternatives(pattern)
    if strings is None:
        return match.group(0)
    tests = [f"starts-with({attr}, '{s[1:]}')" if s.startswith("^") else f"contains({attr}, '{s}')"
             for s in strings]
    return "(" + " or ".join(tests) + ")"


def fast_xpath(expression: Any) -> Any:
    """The same XPath with each ``re:test(@attr, 'literal|alternatives')`` written with ``contains``."""
    from lxml.etree import XPath

    return XPath(_RE_TEST.sub(_rewrite, expression.path), namespaces={"re": REGEXP_NS})


def _axis(expression: Any, axis: str) -> Any:
    """``expression`` (a union of ``//``/``.//`` paths) evaluated along ``axis`` of an element instead."""
    from lxml.etree import XPath

    path, parts, depth, start = expression.path.strip(), [], 0, 0
    for i, ch in enumerate(path + "|"):
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            part = path[start:i].strip()
            start = i + 1
            step = part.removeprefix(".").removeprefix("//")
            bare = step
            while (shorter := _PREDICATES.sub("", bare)) != bare:
                bare = shorter
            if len(step) == len(part) or "/" in bare:
                raise ValueError(f"not one descendant step: {part}")
            parts.append(axis + step)
    return XPath("|".join(parts), namespaces={"re": REGEXP_NS})


@cache
def _author_xpaths() -> tuple[list[Any], Any, Any] | None:
    """The author expressions, and the discard expressions along ancestor-or-self and descendant axes."""
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

    try:
        discard = [fast_xpath(x) for x in AUTHOR_DISCARD_XPATHS]
        joined = type(discard[0])("|".join(x.path.strip() for x in discard), namespaces={"re": REGEXP_NS})
        return [fast_xpath(x) for x in AUTHOR_XPATHS], _axis(joined, "ancestor-or-self::"), \
            _axis(joined, "descendant::")
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
    from trafilatura.settings import Extractor
    from trafilatura.utils import line_processing

    date_config = {**Extractor().date_params}  # what bare_extraction passes (EXTENSIVE_DATE_SEARCH)
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
