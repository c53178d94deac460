"""HTML to article text with trafilatura, keeping its metadata, then presswash's text cleaning.

Extraction runs on a tree parsed once here, so its size can be checked before trafilatura sees it. The
metadata presswash keeps (title, author, date, site name, ...) is read from that tree first, as trafilatura
reads it but without the parts presswash drops (``html_meta``); then elements trafilatura would delete
anyway are deleted (``PRE_CLEAN``) and trafilatura extracts the article from the same tree, favouring
precision (``favor_precision``) and falling back to its default balance when that leaves almost nothing.

After extraction, HTML-specific lines are removed (each named by its rule id, like catalogue rules):

- ``html.title``: a line repeating the page title (the title is kept in ``CleanResult.title``);
- ``html.link-dense``: the lines of a short paragraph, list item or heading that is mostly link text
  (related-story teasers, "Read more: ..." lines, tag lists) — found in trafilatura's ``include_links``
  output tree.

Bounding work (a pathological page must not stall a batch): size is checked first (``max_html_bytes``),
then the parsed tree: above ``FAST_ABOVE_BLOCKS`` block elements trafilatura runs without its fallback
extractors (jusText's neighbour search is quadratic: 10,000 short paragraphs take a minute), above
``MAX_ELEMENTS`` elements the page is quarantined (``extract-failed``). libxml2 caps nesting depth at 256
by itself. As a backstop, when called in the main thread on a Unix system a ``SIGALRM`` timer enforces
``html_timeout_s`` (``extract-timeout``); worker threads (Prefect's task runner) rely on the structural
limits, since signals can only be handled in the main thread. The result depends only on the input and
the config, except when the timer fires.
"""

from __future__ import annotations

import dataclasses
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from .config import DEFAULT_CONFIG, Config
from .encoding import decode_bytes, repair_text
from .html_guard import drop_absurd_attributes
from .html_meta import page_metadata
from .model import CleanResult, Rejection, Removal
from .text import clean_lines, split_lines

EXTRACT_OPTIONS: dict[str, Any] = {  # trafilatura.settings.Extractor's arguments
    "comments": False,
    "tables": True,
    "links": True,  # links are stripped after measuring link density
    "dedup": False,
    "output_format": "txt",  # the body tree is what is used: no text rendering inside trafilatura
}
LINK_DENSITY = 0.6
"""A block with at least this share of its characters inside links is navigation ..."""
LINK_BLOCK_MAX_WORDS = 40
"""... unless it is longer than this (a paragraph of prose with many links is still prose)."""
PRECISION_FIRST = True
"""Extract with trafilatura's ``favor_precision`` first ..."""
PRECISION_MIN_CHARS = 900
"""... and again without it when that leaves less than this (it sometimes keeps only a footer)."""
FAST_ABOVE_BLOCKS = 2_000
"""Block elements (p, div, li, td, ...) above which the fallback extractors are skipped."""
MAX_ELEMENTS = 30_000
PRE_CLEAN = ("head", "nav", "footer", "aside", "menu", "style", "svg", "iframe", "link", "button", "input",
             "select", "option", "textarea", "embed", "object", "canvas", "video", "audio", "map", "area",
             "source", "track", "param", "use")
"""Elements deleted (tails kept) before extraction: trafilatura deletes them all itself (its MANUALLY_CLEANED),
but only after several XPath passes over the whole page, whose cost grows with the page's elements. Not
here: ``script`` (JSON-LD feeds trafilatura's forum detection and its baseline), ``noscript`` (measured:
changes one dev page), ``form``, ``figure``, ``math``, ``time`` (trafilatura reads them before deleting)."""
_PRE_CLEAN_XPATH = "//script[not(@type='application/ld+json')] | //body//meta"
"""Also deleted before extraction: scripts but JSON-LD (see above) and ``<meta>`` in the body (stripped by
trafilatura, MANUALLY_STRIPPED)."""
_BLOCKS = ("p", "item", "head", "quote", "cell")  # in trafilatura's output tree
_HTML_BLOCKS = ("p", "div", "li", "td", "tr", "dd", "dt", "blockquote", "pre", "section", "article",
                "h1", "h2", "h3", "h4", "h5", "h6")
_COUNT_BLOCKS = "count(" + "|".join(f"//{tag}" for tag in _HTML_BLOCKS) + ")"
_NORM = re.compile(r"\W+")


class ExtractTimeout(BaseException):
    """Extraction ran longer than ``Config.html_timeout_s``.

    A BaseException, like KeyboardInterrupt: trafilatura wraps its fallback extractors in ``except
    Exception`` and would swallow it, finishing the extraction the timer was meant to stop."""


@dataclasses.dataclass
class Extracted:
    text: str
    meta: dict[str, str]
    link_blocks: frozenset[str]
    """Normalised text of blocks that are mostly links."""


def _norm(text: str) -> str:
    return _NORM.sub(" ", text).strip().lower()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ExtractTimeout after ``seconds`` — only in the main thread on Unix; elsewhere a no-op."""
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    )
    if not usable:
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        raise ExtractTimeout(f"extraction took longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _block_lines(el: Any) -> list[str]:
    """The text lines of a block as the text output will show them (``<lb/>`` breaks a line)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag == "lb":
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts).split("\n")


def _wordy(ch: str) -> bool:
    return ch.isalnum() and ord(ch) < 0x2E80  # not CJK: no spaces between words there


def _keep_word_gaps(ref: Any) -> None:
    """Put back the space trafilatura trims between a link and the word after (or before) it."""
    text = "".join(ref.itertext())
    if not text:
        return
    if ref.tail and _wordy(ref.tail[0]) and _wordy(text[-1]):
        ref.tail = " " + ref.tail
    prev = ref.getprevious()
    before = prev.tail if prev is not None else ref.getparent().text
    if before and _wordy(before[-1]) and _wordy(text[0]) and ref.text:
        ref.text = " " + ref.text


def _link_blocks(body: Any) -> frozenset[str]:
    """Normalised texts of short blocks whose text is mostly inside links; then unwrap the links."""
    from lxml import etree

    found: set[str] = set()
    for el in body.iter(*_BLOCKS):
        text = "".join(el.itertext()).strip()
        if not text or len(text.split()) > LINK_BLOCK_MAX_WORDS:
            continue
        linked = sum(len("".join(ref.itertext())) for ref in el.iter("ref"))
        if linked >= LINK_DENSITY * len(text):
            found.update(key for line in _block_lines(el) if (key := _norm(line)))
    for ref in body.iter("ref"):
        _keep_word_gaps(ref)
    etree.strip_tags(body, "ref")
    return frozenset(found)


@cache
def _options(precision: bool, fast: bool) -> Any:
    """trafilatura's options, built once (reading its config costs ~0.1 ms; trafilatura never changes them)."""
    from trafilatura.settings import Extractor

    return Extractor(precision=precision, fast=fast, **EXTRACT_OPTIONS)


def _body_text(doc: Any) -> tuple[str, frozenset[str]] | None:
    """The text of an extraction's body (links unwrapped) and its link-dense blocks; None without a body."""
    from trafilatura.xml import xmltotxt

    if doc is None or doc.body is None:
        return None
    links = _link_blocks(doc.body)
    return xmltotxt(doc.body, False), links


def extract(html: str, url: str | None, config: Config | None = None) -> Extracted | Rejection:
    """The article text and metadata of a page, or why there is none."""
    import trafilatura
    from lxml import etree
    from trafilatura.utils import load_html

    config = config or DEFAULT_CONFIG
    with time_limit(config.html_timeout_s):
        tree = load_html(html)
        if tree is None:  # trafilatura refuses fragments ("<p>...</p>"); give them a document around
            tree = load_html(f"<html><body>{html}</body></html>")
        if tree is None:
            return Rejection("no-article", "the page could not be parsed as HTML")
        elements = int(tree.xpath("count(//*)"))
        if elements > MAX_ELEMENTS:
            why = f"{elements} HTML elements > {MAX_ELEMENTS}: too costly to extract"
            return Rejection("extract-failed", why)
        fast = int(tree.xpath(_COUNT_BLOCKS)) > FAST_ABOVE_BLOCKS
        meta = page_metadata(tree, url)
        etree.strip_elements(tree, *PRE_CLEAN, with_tail=False)  # after the metadata, which reads <head>
        for element in tree.xpath(_PRE_CLEAN_XPATH):
            element.drop_tree()  # keeps the tail
        # bare_extraction works on a copy of the tree, so a second extraction can start from the same one.
        # No url: it would only make link targets absolute (urljoin per link), and the links are dropped.
        found = None
        if PRECISION_FIRST:
            found = _body_text(trafilatura.bare_extraction(tree, options=_options(True, fast)))
        if found is None or len(found[0]) < PRECISION_MIN_CHARS:
            found = _body_text(trafilatura.bare_extraction(tree, options=_options(False, fast)))
    if found is None or not found[0].strip():
        return Rejection("no-article", "the HTML extractor found no article text")
    text, links = found
    declared_language = str(tree.get("lang") or "").strip()
    if "language" not in meta and declared_language:
        meta["language"] = declared_language  # <html lang>, which trafilatura does not report
    return Extracted(text, meta, links)


def html_removals(lines: Sequence[str], title: str | None, link_blocks: frozenset[str]) -> list[Removal]:
    """Lines that only HTML structure reveals as boilerplate (see the module docstring)."""
    title_key = _norm(title) if title else None
    removed: list[Removal] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        key = _norm(stripped)
        if title_key and key == title_key:
            removed.append(Removal("html.title", stripped, i, "repeats the page title"))
        elif key and key in link_blocks:
            removed.append(Removal("html.link-dense", stripped, i, "a short block that is mostly link text"))
    return removed


def clean_extracted(text: str, meta: dict[str, str], link_blocks: frozenset[str], config: Config,
                    doc_id: str = "") -> CleanResult:
    """Remove HTML-specific lines, then run the plain-text cleaning on the rest (line numbers kept)."""
    lines = split_lines(text)
    removals = html_removals(lines, meta.get("title"), link_blocks) if config.remove_boilerplate else []
    removals = [r for r in removals if config.rule_enabled(r.rule_id)]
    total = sum(len(line.split()) for line in lines) or 1
    flags: list[str] = []
    share = sum(len(r.line.split()) for r in removals) / total
    if config.guard_enabled and share > config.guard_max_removed_share:
        removals, flags = [], ["over-removal-guard"]
    dropped = {r.line_no for r in removals}
    kept = [i for i in range(len(lines)) if i not in dropped]
    result = clean_lines([lines[i] for i in kept], config, doc_id=doc_id, title=meta.get("title"))
    result.removed = sorted(
        removals + [dataclasses.replace(r, line_no=kept[r.line_no]) for r in result.removed],
        key=lambda r: r.line_no,
    )
    result.flags = flags + result.flags
    return result


def clean_html(
    html: str | bytes,
    *,
    url: str | None = None,
    config: Config | None = None,
    doc_id: str = "",
    content_type: str | None = None,
) -> CleanResult:
    """Extract the article from HTML (str, or bytes in any charset) and clean its text."""
    config = config or DEFAULT_CONFIG
    fixes: list[str] = []
    size = len(html)
    if size > config.max_html_bytes:
        return CleanResult(
            id=doc_id, text="", url=url,
            rejected=Rejection("html-too-large", f"{size} bytes > max_html_bytes={config.max_html_bytes}"),
        )
    if isinstance(html, bytes):
        html, fixes = decode_bytes(html, content_type, is_html=True)
    html, absurd_tags = drop_absurd_attributes(html)
    try:
        extracted = extract(html, url, config)
    except ExtractTimeout as exc:
        extracted = Rejection("extract-timeout", str(exc))
    if isinstance(extracted, Rejection):
        return CleanResult(id=doc_id, text="", url=url, encoding_fixes=fixes, rejected=extracted)
    repaired, repair_fixes = repair_text(extracted.text, config)
    result = clean_extracted(repaired, extracted.meta, extracted.link_blocks, config, doc_id)
    result.url = url or extracted.meta.get("url")
    result.encoding_fixes = fixes + repair_fixes
    result.meta = extracted.meta
    if absurd_tags:
        result.flags.append("html-attributes-dropped")  # see cleaners.html_guard
    return result
