#!/usr/bin/env python3
"""HTML extraction accuracy on the labelled dev pages: bare trafilatura vs presswash's ``clean_html``.

    python benchmarks/eval_html.py [BENCH.jsonl.gz] [--out preds.jsonl]

Scores with the benchmark's own ``score.py`` (4-gram shingle F1, each page weighted equally). Prints
one JSON object: the baseline (``trafilatura.extract`` with its defaults, measured in the same run),
presswash (what a run would write: the text of documents not rejected), the ratio of the two, and
the seconds each took. Default input: ``../shared/bench/data/scrapinghub_html.jsonl.gz``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
# (this checkout's cleaners, whatever is installed, and the shared bench helpers)
from benchdata import bench_dir, load_score_module, read_records  # noqa: E402


def baseline(records: list[dict[str, Any]]) -> dict[str, str]:
    import trafilatura

    return {r["id"]: trafilatura.extract(r["html"], url=r.get("url")) or "" for r in records}


def presswash(records: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, int]]:
    from cleaners import Config, clean_html

    config = Config()
    preds: dict[str, str] = {}
    rejected: dict[str, int] = {}
    for r in records:
        result = clean_html(r["html"], url=r.get("url"), config=config, doc_id=r["id"])
        if result.rejected is not None:
            rejected[result.rejected.code] = rejected.get(result.rejected.code, 0) + 1
        preds[r["id"]] = result.text if result.ok else ""
    return preds, rejected


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bench", nargs="?", default=str(bench_dir() / "data" / "scrapinghub_html.jsonl.gz"))
    p.add_argument("--out", help="write presswash's predictions here (JSONL: id, text)")
    args = p.parse_args(argv)
    path = Path(args.bench)
    if not path.exists():
        print(f"benchmark file not found: {path}", file=sys.stderr)
        return 2
    scorer = load_score_module(path.parent.parent)
    records = read_records(path)

    t0 = time.perf_counter()
    base_preds = baseline(records)
    t1 = time.perf_counter()
    ours, rejected = presswash(records)
    t2 = time.perf_counter()

    base_score = scorer.score(records, base_preds)
    our_score = scorer.score(records, ours)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for rid, text in ours.items():
                f.write(json.dumps({"id": rid, "text": text}, ensure_ascii=False) + "\n")
    report = {
        "bench": path.name,
        "pages": len(records),
        "baseline_trafilatura_extract": base_score,
        "presswash_clean_html": our_score,
        "f1_ratio": round(our_score["f1"] / base_score["f1"], 4) if base_score.get("f1") else None,
        "rejected": rejected,
        "seconds": {"baseline": round(t1 - t0, 2), "presswash": round(t2 - t1, 2)},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
