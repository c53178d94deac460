"""Document-level verdicts: is what is left after cleaning an article at all?"""

from __future__ import annotations

from .config import Config
from .model import Rejection

# Codes for documents that could not be processed (quarantined) rather than judged (rejected).
FAILURE_CODES = frozenset(
    {"exception", "extract-failed", "extract-timeout", "html-too-large", "empty-input", "decode-failed",
     "text-too-large"}
)


def judge(text: str, config: Config) -> Rejection | None:
    """Reject documents with too little article text left."""
    words = len(text.split())
    if words == 0:
        return Rejection("empty", "no text left after cleaning")
    if words < config.min_words:
        return Rejection("too-short", f"{words} words left after cleaning (minimum {config.min_words})")
    return None


def is_failure(rejection: Rejection | None) -> bool:
    return rejection is not None and rejection.code in FAILURE_CODES
