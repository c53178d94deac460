#!/usr/bin/env python3
"""Score presswash on every dev text benchmark against the raw input: ``make eval``.

    python benchmarks/eval.py            # in-sample and page-level cross-validated figures + rule table
    python benchmarks/eval.py --quick    # in-sample only

Benchmarks: scrapinghub_text, trafilatura_text, and scrapinghub gold_text fed back in as input (no
boilerplate: recall must stay >= 0.99). The metric is the bench's own ``score.py``, imported from
``PRESSWASH_BENCH_DIR`` (default ``../shared/bench`` beside the repo root). Cross-validated figures clean
each half of the pages with the line model trained on the other half (``line_model.cv{0,1}.json``).
Also prints, per rule id, how many lines it removed and how many of those were article text (the line
occurs in gold_text / holds a ``with`` snippet), and the cleaning speed in documents per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from benchdata import (  # noqa: E402
    Record,
    bench_dir,
    gold_as_input,
    in_gold,
    load_records,
    load_score_module,
    page_half,
)

from cleaners import DEFAULT_CONFIG, CleanResult, Config, Document, clean_documents  # noqa: E402


def run(records: list[Record], config: Config) -> tuple[list[CleanResult], float]:
    docs = [Document(id=str(r["id"]), text=r["raw_text"], url=r.get("url")) for r in records]
    start = time.process_time()
    results = list(clean_documents(docs, config))
    return results, time.process_time() - start


def predictions(results: list[CleanResult]) -> dict[str, str]:
    """What the benchmark sees: a rejected page is an empty text."""
    return {r.id: ("" if r.rejected else r.text) for r in results}


def cross_validated(records: list[Record], config: Config) -> list[CleanResult]:
    results: list[CleanResult] = []
    for h in (0, 1):
        half = [r for r in records if page_half(r) == h]
        results += run(half, config.with_(model_file=f"line_model.cv{h}.json"))[0]
    return results


def fmt(s: dict[str, float]) -> str:
    return f"{s['f1']:.4f} {s['precision']:.4f} {s['recall']:.4f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the cross-validated run")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="override a Config field, e.g. --set guard_min_evidence=2")
    args = ap.parse_args()
    if not (bench_dir() / "score.py").exists():
        print(f"eval skipped: no benchmark at {bench_dir()} (set PRESSWASH_BENCH_DIR)")
        return 0
    score = load_score_module().score
    config = DEFAULT_CONFIG.with_(**{k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)})
    sh = load_records("scrapinghub_text")
    sets = {"scrapinghub_text": sh, "trafilatura_text": load_records("trafilatura_text"),
            "gold_as_input": gold_as_input(sh)}
    removed: Counter[str] = Counter()
    removed_gold: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    n_docs, seconds = 0, 0.0
    header = f"{'benchmark':<18} {'pages':>5}  {'raw F1  P      R':<20}  {'presswash F1 P R':<20}"
    if not args.quick:
        header += "  cross-validated F1 P R"
    print(header)
    for name, records in sets.items():
        raw = score(records, {r["id"]: r["raw_text"] for r in records})
        results, took = run(records, config)
        n_docs, seconds = n_docs + len(records), seconds + took
        ours = score(records, predictions(results))
        line = f"{name:<18} {len(records):>5}  {fmt(raw):<20}  {fmt(ours):<20}"
        if not args.quick:
            line += "  " + fmt(score(records, predictions(cross_validated(records, config))))
        print(line)
        for rec, res in zip(records, results, strict=True):
            is_gold = in_gold(rec)
            if res.rejected:
                rejected[f"{name}:{res.rejected.code}"] += 1
            for rm in res.removed:
                removed[rm.rule_id] += 1
                removed_gold[rm.rule_id] += is_gold(rm.line)
    print(f"\nspeed: {n_docs / seconds:.0f} docs/s ({n_docs} docs in {seconds:.2f}s CPU time, one core, "
          "incl. encoding repair and site stats)")
    print(f"rejected: {dict(sorted(rejected.items())) or 'none'}")
    print(f"\n{'rule id':<36} {'lines':>6} {'of which gold':>13}")
    for rule_id, n in sorted(removed.items(), key=lambda kv: -kv[1]):
        print(f"{rule_id:<36} {n:>6} {removed_gold[rule_id]:>13}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
