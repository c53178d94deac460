"""presswash cleaners: pure functions from raw articles to clean text with an audit trail.

No I/O happens here: no files, no network, no Prefect. The public API:

    clean_text(text, url=None, config=None) -> CleanResult
    clean_html(html, url=None, config=None) -> CleanResult
    clean_documents(docs, config=None) -> Iterator[CleanResult]
"""

from .batch import clean_document, clean_documents, site_stats
from .config import DEFAULT_CONFIG, Config
from .html import clean_html
from .model import CleanResult, Document, Rejection, Removal
from .reject import FAILURE_CODES, is_failure
from .rules import Rule, load_rules
from .sitewide import SiteLineStats
from .text import clean_text

__all__ = [
    "DEFAULT_CONFIG",
    "FAILURE_CODES",
    "CleanResult",
    "Config",
    "Document",
    "Rejection",
    "Removal",
    "Rule",
    "SiteLineStats",
    "clean_document",
    "clean_documents",
    "clean_html",
    "clean_text",
    "is_failure",
    "load_rules",
    "site_stats",
]
