"""A run's spooled site statistics (flows.sitestats) give exactly the verdicts of the merged SiteLineStats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cleaners import Config, Document, SiteLineStats, site_stats
from cleaners.sitewide import add_samples, line_key
from flows import sitestats
from flows.sitestats import RunSiteStats, compact, learned_lines


def _docs() -> list[Document]:
    docs = []
    for i in range(40):
        site = f"s{i % 3}.example"
        lines = [f"Story {i} about the harbour, told at length with many different words in it, and more."]
        if i % 3 != 2:
            lines.append("Subscribe to our newsletter")
        if i % 4 == 0:
            lines.append(f"Share this {i}")  # digits blanked: one line
        if i % 5 == 0:
            lines.append(f"only in some {chr(97 + i % 7)}")
        docs.append(Document(id=f"d{i}", text="\n".join(lines), url=f"https://{site}/a/{i}"))
    return docs


@pytest.mark.parametrize("part_records", [1, 3, 1_000_000])
def test_spooled_stats_match_merged_stats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          part_records: int) -> None:
    monkeypatch.setattr(sitestats, "PART_RECORDS", part_records)
    config = Config()
    docs = _docs()
    run = RunSiteStats(tmp_path)
    for i in range(0, len(docs), 7):
        run.add(compact(site_stats(docs[i:i + 7], config)), str(i))
    whole = site_stats(docs, config)
    cleaning = run.for_cleaning(config)
    assert cleaning.boilerplate(config) == whole.boilerplate(config) != {}
    samples = SiteLineStats()
    for doc in docs:
        add_samples(samples, doc.url, doc.text or "", config, cleaning.boilerplate(config))
    assert learned_lines(cleaning.boilerplate(config), samples) == whole.learned_lines(config)
    assert line_key("SUBSCRIBE to our  newsletter") in cleaning.boilerplate(config)["s0.example"]


@pytest.mark.parametrize("order", [("key", "site"), ("site", "key")])
def test_sort_records_is_numpys_structured_sort(order: tuple[str, str]) -> None:
    """The fast sort gives the very array ``ndarray.sort(order=...)`` gives, ties (the other fields) included."""
    rng = np.random.default_rng(7)
    for n, keys, sites in ((0, 1, 1), (1, 1, 1), (500, 8, 3), (20_000, 2**16, 40), (5_000, 2**63, 5)):
        records = np.empty(n, dtype=sitestats.RECORD)
        records["key"] = rng.integers(0, keys, n, dtype=np.uint64)
        records["site"] = rng.integers(0, sites, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        records["count"] = rng.integers(0, 4, n)
        expected = records.copy()
        expected.sort(order=list(order), kind="stable")
        assert sitestats.sort_records(records, *order).tobytes() == expected.tobytes()
