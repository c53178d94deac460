"""Result rows built in the cleaning worker processes: a cleaned document as staged before the dedup
decision, or a rejected one as a quarantine record. Part of the output schema (``flows.records``, which
re-exports these), kept in a module without pyarrow so the workers need not import it."""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import Any

import numpy as np

from cleaners import CleanResult, Document, SiteLineStats, is_failure
from cleaners.dedup import Keys
from cleaners.sitewide import site_of


@cache
def pipeline_version() -> str:
    try:
        return metadata.version("presswash")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def staged_document(result: CleanResult, keys: Keys, run_id: str, cleaned_at: datetime) -> dict[str, Any]:
    """A cleaned document with its duplicate keys, before the dedup decision (removals: ``removals``)."""
    meta = dict(result.meta)
    known = {k: meta.pop(k, None) for k in ("title", "author", "date", "language", "site", "sitename")}
    return {
        "id": result.id,
        "url": result.url,
        "source": result.source,
        "site": known["site"] or known["sitename"] or site_of(result.url),
        "title": result.title or known["title"],
        "author": known["author"],
        "date": known["date"],
        "language": known["language"],
        "text": result.text,
        "text_sha256": sha256(result.text),
        "norm_sha256": keys.norm_sha256,
        "cleaned_at": cleaned_at,
        "run_id": run_id,
        "pipeline_version": pipeline_version(),
        "removed_lines": len(result.removed),
        "removed_by_rule": sorted(result.removed_by_rule().items()),
        "encoding_fixes": list(result.encoding_fixes),
        "flags": list(result.flags),
        "meta": sorted(meta.items()),
        "minhash": keys.minhash,
    }


Removal = tuple[str, int, str, str | None, float | None]
"""A removed line as staged: rule id, line number, line, reason (None if empty), score."""
REMOVAL_FIELDS = ("rule_id", "line_no", "line", "reason", "score")
"""The fields of a ``Removal``, in its order."""


def removals(result: CleanResult) -> list[Removal]:
    """The removed lines of a cleaned document, for the removals table: the definition ``add_removals``
    builds as columns (tests compare the two)."""
    return [(r.rule_id, r.line_no, r.line, r.reason or None, r.score) for r in result.removed]


def add_row(columns: dict[str, list[Any]], row: dict[str, Any]) -> None:
    """Append ``row`` to ``columns`` (one list per key, in the row's key order)."""
    if not columns:
        columns.update((name, []) for name in row)
    for name, value in row.items():
        columns[name].append(value)


def add_removals(columns: dict[str, list[Any]], result: CleanResult) -> None:
    """``removals(result)`` appended to ``columns`` field by field (``REMOVAL_FIELDS``): the rows of the
    removals table travel as columns, without a tuple per removed line."""
    removed = result.removed
    columns["rule_id"] += [r.rule_id for r in removed]
    columns["line_no"] += [r.line_no for r in removed]
    columns["line"] += [r.line for r in removed]
    columns["reason"] += [r.reason or None for r in removed]
    columns["score"] += [r.score for r in removed]


def removal_columns() -> dict[str, list[Any]]:
    return {name: [] for name in REMOVAL_FIELDS}


def _original(doc: Document | None) -> dict[str, Any]:
    """The input itself, so a quarantined document can be re-processed later: nothing is lost."""
    if doc is None:
        return {}
    if doc.text is not None:
        return {"input_text": doc.text}
    payload = doc.html if doc.html is not None else doc.raw
    if isinstance(payload, str):
        return {"input_html": payload}
    if payload is not None:
        return {"input_b64": base64.b64encode(payload).decode("ascii")}
    return {}


def quarantine_record(result: CleanResult, doc: Document | None, run_id: str) -> dict[str, Any]:
    assert result.rejected is not None
    return {
        "id": result.id,
        "url": result.url,
        "source": result.source,
        "status": "quarantined" if is_failure(result.rejected) else "rejected",
        "code": result.rejected.code,
        "message": result.rejected.message,
        "text": result.text,
        "removed_by_rule": sorted(result.removed_by_rule().items()),
        "run_id": run_id,
        **_original(doc),
    }


class Utf8Column:
    """Strings as an Arrow string column lays them out: their UTF-8 bytes end to end and int64 offsets.
    The workers send the two big text columns (documents' texts, removed lines) this way: pickled as two
    buffers, not as an object per string, and the flow process makes an Arrow array of them without decoding
    (``flows.records``). Built only where every value encodes (``pack``)."""

    __slots__ = ("data", "offsets")

    def __init__(self, offsets: np.ndarray, data: bytes) -> None:
        self.offsets = offsets
        self.data = data

    @classmethod
    def pack(cls, values: list[Any]) -> Utf8Column | list[Any]:
        """``values`` packed, or as they are if one is not a str or cannot be encoded (a lone surrogate:
        Arrow refuses it later as it would have)."""
        try:
            encoded = [value.encode("utf-8") for value in values]
        except (AttributeError, UnicodeEncodeError):
            return values
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
        return cls(offsets, b"".join(encoded))

    @classmethod
    def concat(cls, parts: list[Utf8Column]) -> Utf8Column:
        offsets = [np.zeros(1, np.int64)]
        base = 0
        for part in parts:
            offsets.append(part.offsets[1:] + base)
            base += len(part.data)
        return cls(np.concatenate(offsets), b"".join(part.data for part in parts))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __iter__(self) -> Iterator[str]:
        data, ends = self.data, self.offsets.tolist()
        return (data[a:b].decode("utf-8") for a, b in itertools.pairwise(ends))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Utf8Column):
            return self.data == other.data and bool(np.array_equal(self.offsets, other.offsets))
        return isinstance(other, list) and list(self) == other

    __hash__ = None  # type: ignore[assignment]


Column = list[Any] | Utf8Column
"""A column of staged rows as the workers send it."""


def join_columns(columns: list[Column]) -> Column:
    """Consecutive parts of a column as one (packed if every part is)."""
    if all(isinstance(part, Utf8Column) for part in columns):
        return Utf8Column.concat(columns)  # type: ignore[arg-type]
    return [value for part in columns for value in part]


class Samples:
    """Boilerplate samples, (site, line key) → spelling, as columns: the distinct sites, and per sample its
    site's index, its key and its line (packed where possible). A chunk's ~2,000 samples pickle as a few
    buffers instead of a tuple, an int and a str each; ``concat`` joins chunks without merging them (the
    flow process keeps the smallest spelling per key: ``flows.records.sample_triples``)."""

    __slots__ = ("key", "line", "site", "sites")

    def __init__(self, sites: list[str], site: np.ndarray, key: np.ndarray, line: Column) -> None:
        self.sites = sites
        self.site = site
        self.key = key
        self.line = line

    @classmethod
    def of(cls, samples: dict[tuple[str, int], str]) -> Samples:
        """The samples of a ``SiteLineStats`` (its ``samples``: one spelling per (site, key))."""
        index: dict[str, int] = {}
        site = np.fromiter((index.setdefault(s, len(index)) for s, _ in samples), np.int32, len(samples))
        key = np.fromiter((k for _, k in samples), np.uint64, len(samples))
        return cls(list(index), site, key, Utf8Column.pack(list(samples.values())))

    @classmethod
    def concat(cls, parts: list[Samples]) -> Samples:
        """The samples of all ``parts`` (a (site, key) may occur in several)."""
        index: dict[str, int] = {}
        sites = [np.array([index.setdefault(s, len(index)) for s in part.sites], np.int32)[part.site]
                 if len(part.site) else np.empty(0, np.int32) for part in parts]
        return cls(list(index), np.concatenate([np.empty(0, np.int32), *sites]),
                   np.concatenate([np.empty(0, np.uint64), *(part.key for part in parts)]),
                   join_columns([part.line for part in parts]))

    def __len__(self) -> int:
        return len(self.key)

    def triples(self) -> list[tuple[str, int, str]]:
        """Every sample as (site, key, line), in order."""
        sites = self.sites
        return [(sites[s], k, line) for s, k, line in zip(self.site.tolist(), self.key.tolist(), self.line,
                                                           strict=True)]

    def smallest(self) -> dict[tuple[str, int], str]:
        """The smallest spelling per (site, key), kept by ``SiteLineStats.sample`` (the definition)."""
        stats = SiteLineStats()
        for site, key, line in self.triples():
            stats.sample(site, key, line)
        return stats.samples
