"""The values that travel through presswash: a raw Document in, a CleanResult out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One raw article as a reader found it.

    Exactly one of ``text`` (plain text) or ``html`` (markup, str or undecoded bytes) is normally set;
    ``raw`` holds undecoded plain-text bytes when the charset is unknown.
    """

    id: str
    text: str | None = None
    html: str | bytes | None = None
    raw: bytes | None = None
    url: str | None = None
    source: str | None = None
    """Where the reader got it: a file path, an S3 key, a WARC record, a fetched URL."""
    content_type: str | None = None
    """The HTTP Content-Type header, when there was one (it may name a charset)."""
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Removal:
    """One removed line, with the rule that removed it."""

    rule_id: str
    line: str
    line_no: int
    """0-based index of the line in the repaired text."""
    reason: str = ""
    score: float | None = None
    """Confidence of a learned decision; None for a pattern rule."""


@dataclass(frozen=True)
class Rejection:
    """Why a whole document was not written as an article."""

    code: str
    message: str


@dataclass
class CleanResult:
    """The outcome of cleaning one document: the text kept and an account of everything else."""

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    removed: list[Removal] = field(default_factory=list)
    rejected: Rejection | None = None
    encoding_fixes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    """Notes that do not reject the document, e.g. ``over-removal-guard``."""
    meta: dict[str, str] = field(default_factory=dict)
    """Metadata from extraction or the reader: author, date, sitename, language, ..."""

    @property
    def ok(self) -> bool:
        return self.rejected is None

    def removed_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.removed:
            counts[r.rule_id] = counts.get(r.rule_id, 0) + 1
        return counts
