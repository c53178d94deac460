"""What every reader yields: Documents, or ReadFailures for inputs it could not read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from cleaners import Document


@dataclass(frozen=True)
class ReadFailure:
    """An input that could not be turned into a Document. It is quarantined, never dropped."""

    id: str
    source: str
    code: str
    message: str
    url: str | None = None
    raw: bytes = b""
    """What was read before the failure (possibly truncated), kept for the quarantine record."""


Item = Document | ReadFailure


@dataclass(frozen=True)
class FieldMap:
    """Which JSON fields hold what, for JSON/JSONL inputs."""

    text: str = "text"
    html: str = "html"
    id: str = "id"
    url: str = "url"
    extra: tuple[str, ...] = field(default=("title", "author", "date", "language", "site"))


class Source(Protocol):
    """A readable collection of articles. Iterating twice gives the same items in the same order."""

    uri: str

    def __iter__(self) -> Iterator[Item]: ...
