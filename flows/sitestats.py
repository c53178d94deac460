"""A run's site statistics with flat memory: counted per batch, spooled to local disk, aggregated by key range.

``cleaners.SiteLineStats`` holds every short line of every document it has seen (dicts: ~100 bytes per
line). A run of 200,000 documents has ~5 million distinct (site, line) pairs, so the flow keeps them as
arrays on disk instead: per batch one file of ``(site hash, line key, count)`` records (20 bytes each),
sorted by line key. ``boilerplate`` then reads the files one key range at a time (a fixed number of records
in memory whatever the run's size) and keeps the few lines that are boilerplate. The verdicts are exactly
``SiteLineStats.boilerplate`` of the merged statistics (tests/test_sitewide_run.py).

Readable spellings of the learned lines come from the cleaning pass (``cleaners.sitewide.add_samples``, or
``keyed_samples`` from the line keys this pass left per chunk: ``flows.chunk_files``), which reads every text
again anyway, so no line text is kept here.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cleaners import Config, SiteLineStats
from cleaners.sitewide import LineKey, is_boilerplate

RECORD = np.dtype([("key", "<u8"), ("site", "<u8"), ("count", "<u4")])
PART_RECORDS = 1_000_000
"""Records aggregated at once (~20 MB, plus sorting): the bound on this step's memory."""


def site_hash(site: str) -> int:
    return int.from_bytes(hashlib.blake2b(site.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class CompactStats:
    """One batch's statistics without samples: document counts per site and one record per (site, line)."""

    docs: Counter[str]
    records: np.ndarray
    """``RECORD`` rows sorted by line key."""


def compact(stats: SiteLineStats) -> CompactStats:
    n = sum(len(c) for c in stats.lines.values())
    records = np.empty(n, dtype=RECORD)
    at = 0
    for site, counter in stats.lines.items():
        m = len(counter)
        records["key"][at:at + m] = np.fromiter(counter.keys(), dtype=np.uint64, count=m)
        records["count"][at:at + m] = np.fromiter(counter.values(), dtype=np.uint32, count=m)
        records["site"][at:at + m] = site_hash(site)
        at += m
    return CompactStats(Counter(stats.docs), sort_records(records, "key", "site"))


def sort_records(records: np.ndarray, first: str, second: str) -> np.ndarray:
    """``records`` sorted in place by (``first``, ``second``) and then, like NumPy's structured sort, by the
    other fields: exactly ``records.sort(order=[first, second])``, ~4x faster (NumPy compares structured
    rows in generic code; ``lexsort`` sorts integer columns). Permuted one field at a time: one column of
    scratch."""
    names = records.dtype.names or ()
    rest = [name for name in names if name not in (first, second)]
    idx = np.lexsort([records[name] for name in reversed(rest)] + [records[second], records[first]])
    for name in names:
        records[name] = records[name][idx]
    return records


class RunSiteStats:
    """Document counts per site in memory; line counts in one spool file per batch under ``spool``."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        self.docs: Counter[str] = Counter()
        self.files: list[Path] = []
        self.records = 0

    def add(self, part: CompactStats, name: str) -> None:
        """Add one batch's statistics (any order: the result does not depend on it)."""
        self.docs.update(part.docs)
        if len(part.records):
            path = self.spool / f"stats-{name}.npy"
            np.save(path, part.records, allow_pickle=False)
            self.files.append(path)
            self.records += len(part.records)

    def _sites(self) -> dict[int, str]:
        by_hash = {site_hash(s): s for s in self.docs}
        if len(by_hash) != len(self.docs):  # two site names with one 64-bit hash: never seen, but be exact
            raise RuntimeError("site hash collision")
        return by_hash

    def _ranges(self) -> Iterable[tuple[int, int]]:
        parts = max(1, -(-self.records // PART_RECORDS))
        step = -(-(1 << 64) // parts)
        for p in range(parts):
            yield p * step, min((p + 1) * step, 1 << 64)

    def boilerplate_counts(self, config: Config) -> dict[str, dict[LineKey, int]]:
        """Per site, the boilerplate lines' keys with the number of documents containing each."""
        names = self._sites()
        hashes = np.array(sorted(names), dtype=np.uint64)
        n_docs = np.array([self.docs[names[int(h)]] for h in hashes], dtype=np.int64)
        result: dict[str, dict[LineKey, int]] = {}
        for lo, hi in self._ranges():
            chunks = []
            for path in self.files:
                rec = np.load(path, allow_pickle=False)
                a = int(np.searchsorted(rec["key"], np.uint64(lo)))
                b = len(rec) if hi == 1 << 64 else int(np.searchsorted(rec["key"], np.uint64(hi)))
                chunks.append(rec[a:b].copy())
                del rec
            if not chunks:
                continue
            rec = np.concatenate(chunks)
            del chunks
            if not len(rec):
                continue
            rec = sort_records(rec, "site", "key")
            new = np.ones(len(rec), dtype=bool)
            new[1:] = (rec["site"][1:] != rec["site"][:-1]) | (rec["key"][1:] != rec["key"][:-1])
            starts = np.flatnonzero(new)
            counts = np.add.reduceat(rec["count"].astype(np.int64), starts)
            sites, keys = rec["site"][starts], rec["key"][starts]
            del rec
            docs = n_docs[np.searchsorted(hashes, sites)]
            maybe = (counts >= config.sitewide_min_docs) & (docs >= config.sitewide_min_docs)
            for site, key, count, n in zip(sites[maybe].tolist(), keys[maybe].tolist(),
                                           counts[maybe].tolist(), docs[maybe].tolist(), strict=True):
                if is_boilerplate(count, n, config):
                    result.setdefault(names[site], {})[key] = count
        return result

    def for_cleaning(self, config: Config) -> SiteLineStats:
        """What cleaning reads: document counts and the boilerplate lines with their counts, so that
        ``boilerplate(config)`` of the result is the run's."""
        stats = SiteLineStats()
        stats.docs.update(self.docs)
        for site, keys in self.boilerplate_counts(config).items():
            stats.lines[site].update(keys)
        return stats


def learned_lines(keys: dict[str, frozenset[LineKey]], samples: SiteLineStats) -> dict[str, list[str]]:
    """``SiteLineStats.learned_lines`` from the boilerplate keys and the spellings found by cleaning."""
    return {
        site: sorted(samples.samples[(site, k)] for k in site_keys if (site, k) in samples.samples)
        for site, site_keys in sorted(keys.items())
    }
