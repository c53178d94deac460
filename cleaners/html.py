"""HTML to article text with trafilatura, keeping its metadata, then presswash's text cleaning."""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_CONFIG, Config
from .encoding import decode_bytes, repair_text
from .model import CleanResult, Rejection
from .text import clean_lines, split_lines

META_FIELDS = ("title", "author", "date", "sitename", "hostname", "language", "url", "description")


def extract(html: str, url: str | None) -> tuple[str, dict[str, str]] | None:
    """The article text and metadata of a page; None when trafilatura finds no article."""
    import trafilatura

    doc: Any = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True, deduplicate=False
    )
    if doc is None or not getattr(doc, "text", None):
        return None
    meta = {k: str(v) for k in META_FIELDS if (v := getattr(doc, k, None))}
    return str(doc.text), meta


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
    extracted = extract(html, url)
    if extracted is None:
        return CleanResult(
            id=doc_id, text="", url=url, encoding_fixes=fixes,
            rejected=Rejection("no-article", "the HTML extractor found no article text"),
        )
    text, meta = extracted
    repaired, repair_fixes = repair_text(text, config)
    result = clean_lines(split_lines(repaired), config, doc_id=doc_id, title=meta.get("title"))
    result.url = url or meta.get("url")
    result.encoding_fixes = fixes + repair_fixes
    result.meta = meta
    return result
