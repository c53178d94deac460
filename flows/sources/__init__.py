"""Readers. ``open_source`` picks one from the URI; each yields Documents (or ReadFailures)."""

from __future__ import annotations

from .base import FieldMap, Item, ReadFailure, Source
from .local import LocalSource


def open_source(uri: str, fields: FieldMap | None = None) -> Source:
    """A reader for ``uri``: a local file or directory (``.txt``, ``.html``, ``.json``, ``.jsonl[.gz]``)."""
    if "://" in uri and not uri.startswith("file://"):
        raise ValueError(f"unsupported source: {uri!r}")
    return LocalSource(uri.removeprefix("file://"), fields)


__all__ = ["FieldMap", "Item", "LocalSource", "ReadFailure", "Source", "open_source"]
