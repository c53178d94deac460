"""CI quality gate: dev-benchmark F1 must not drop below the level reached (minus a small margin).

Uses the benchmark's own score.py (via benchmarks/benchdata.py); skips with a reason when the bench
data is absent. Levels: in-sample dev figures of ``make eval`` at the time the gate was last raised.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import bench_file

from cleaners import DEFAULT_CONFIG, Document, clean_documents

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import benchdata

MARGIN = 0.01
FLOORS = {  # metric reached on the dev half, before the margin
    ("scrapinghub_text", "f1"): 0.8829,
    ("trafilatura_text", "f1"): 0.8426,
    ("gold_as_input", "recall"): 0.9991,
}
ABSOLUTE = {("gold_as_input", "recall"): 0.99}
"""Hard requirements that hold whatever the margin: clean articles come through intact."""


def _predictions(records: list[dict]) -> dict[str, str]:
    docs = [Document(id=str(r["id"]), text=r["raw_text"], url=r.get("url")) for r in records]
    return {r.id: ("" if r.rejected else r.text) for r in clean_documents(docs, DEFAULT_CONFIG)}


@pytest.mark.parametrize(("bench", "metric"), list(FLOORS))
def test_dev_benchmark_does_not_regress(bench: str, metric: str) -> None:
    source = "scrapinghub_text" if bench == "gold_as_input" else bench
    bench_file(f"{source}.jsonl.gz")
    score = benchdata.load_score_module().score
    records = benchdata.load_records(source)
    if bench == "gold_as_input":
        records = benchdata.gold_as_input(records)
    got = score(records, _predictions(records))[metric]
    floor = max(FLOORS[(bench, metric)] - MARGIN, ABSOLUTE.get((bench, metric), 0.0))
    assert got >= floor, f"{bench} {metric} {got:.4f} fell below {floor:.4f}"
