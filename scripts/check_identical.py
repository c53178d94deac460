#!/usr/bin/env python3
"""Check that cleaning output is unchanged: snapshot, then compare (used to verify speed-only changes).

    PYTHONPATH=. python scripts/check_identical.py save /tmp/before.json.gz   # record outputs
    PYTHONPATH=. python scripts/check_identical.py check /tmp/before.json.gz  # compare, exit 1 on diff

Covers clean_text on every raw_text of the dev text benchmarks (scrapinghub_text, trafilatura_text):
the cleaned text, the removed lines with their rule ids and scores, flags and rejection, per document.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from benchdata import TEXT_BENCHES, load_records  # noqa: E402

from cleaners import clean_text  # noqa: E402


def snapshot() -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for bench in TEXT_BENCHES:
        records = load_records(bench)
        start = time.process_time()
        for r in records:
            res = clean_text(r["raw_text"], doc_id=str(r["id"]))
            out[f"{bench}:{r['id']}"] = [
                res.text,
                [[x.rule_id, x.line, x.line_no, x.score] for x in res.removed],
                res.flags,
                res.rejected.code if res.rejected else None,
            ]
        took = time.process_time() - start
        print(f"{bench}: {len(records)} docs, {len(records) / took:.0f} docs/s (clean_text, one process)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("save", "check"))
    ap.add_argument("path", type=Path)
    args = ap.parse_args()
    now = snapshot()
    if args.mode == "save":
        with gzip.open(args.path, "wt", encoding="utf-8") as f:
            json.dump(now, f)
        return 0
    with gzip.open(args.path, "rt", encoding="utf-8") as f:
        before = json.load(f)
    diff = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for k in diff[:20]:
        print(f"DIFFERS: {k}")
    print(f"{len(before)} documents compared, {len(diff)} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
