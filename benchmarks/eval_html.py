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
import gzip
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout's cleaners, whatever is installed


def bench_dir() -> Path:
    """$PRESSWASH_BENCH_DIR, else the nearest ``shared/bench`` beside the checkout or one of its parents."""
    if env := os.environ.get("PRESSWASH_BENCH_DIR"):
        return Path(env)
    for parent in ROOT.parents:
        if (parent / "shared" / "bench").is_dir():
            return parent / "shared" / "bench"
    return ROOT.parent / "shared" / "bench"


def load_scorer(bench_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_score", bench_dir / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no score.py in {bench_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


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
    scorer = load_scorer(path.parent.parent)
    records = load(path)

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
