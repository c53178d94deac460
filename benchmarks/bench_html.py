"""Benchmark 3: ``cleaners.clean_html`` against bare ``trafilatura.extract`` on the same HTML pages.

Pages: ../shared/bench/data/scrapinghub_html.jsonl.gz (falls back to a page built from the examples). Both run
in this process, interleaved page by page so that machine load hits both alike, over the page set several
times (``html_rounds``: 3 at full scale); CPU time is reported next to wall time. Target: clean_html
>= 0.9x the pages/s of bare extraction.
"""

from __future__ import annotations

import gzip
import html as htmllib
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import header, scale, verdict
from benchmarks.corpus import EXAMPLES, bench_dir


def pages(limit: int) -> list[tuple[str, str]]:
    path = bench_dir() / "data" / "scrapinghub_html.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            records = [json.loads(line) for line in f]
        return [(r["url"], r["html"]) for r in records[:limit]]
    print(f"NOTE: {path} not found; timing pages built from {EXAMPLES} (less representative)",
          file=sys.stderr)
    out = []
    for p in sorted(EXAMPLES.glob("*.txt")):
        lines = p.read_text(encoding="utf-8").splitlines()
        body = "".join(f"<p>{htmllib.escape(line)}</p>\n" for line in lines)
        out.append((f"https://examples.presswash.invalid/{p.stem}",
                    f"<html><head><title>{p.stem}</title></head><body><nav><a href='/'>Home</a></nav>"
                    f"<article>{body}</article><footer>Copyright</footer></body></html>"))
    return out


def main() -> int:
    import trafilatura

    from cleaners import clean_html

    _, sizes = scale()
    docs = pages(sizes["html_pages"])
    header(f"3. HTML path: clean_html vs bare trafilatura.extract, {len(docs)} pages x {sizes['html_rounds']}")
    for url, page in docs:  # warm-up, untimed: imports, lazily built stop lists and date parsers, caches
        trafilatura.extract(page, url=url)
        clean_html(page, url=url)
    rounds = sizes["html_rounds"]
    wall = {"extract": 0.0, "clean_html": 0.0}
    cpu = dict(wall)
    per_round = []
    for _ in range(rounds):  # the whole page set each round: one round is short and its ratio moves +-0.03
        round_cpu = dict.fromkeys(cpu, 0.0)
        for i, (url, page) in enumerate(docs):
            runs = [("extract", lambda u=url, p=page: trafilatura.extract(p, url=u)),
                    ("clean_html", lambda u=url, p=page: clean_html(p, url=u))]
            if i % 2:
                runs.reverse()
            for name, fn in runs:
                w, c = time.perf_counter(), time.process_time()
                fn()
                wall[name] += time.perf_counter() - w
                round_cpu[name] += time.process_time() - c
        per_round.append(round_cpu["extract"] / round_cpu["clean_html"])
        for name in cpu:
            cpu[name] += round_cpu[name]
    n = len(docs) * rounds
    for name in wall:
        print(f"  {name:12} {wall[name]:6.1f}s  {n / wall[name]:6.1f} pages/s   "
              f"(CPU {n / cpu[name]:6.1f} pages/s)")
    if rounds > 1:
        print(f"  CPU ratio per round ({len(docs)} pages each): " + ", ".join(f"{r:.3f}" for r in per_round))
    verdict("clean_html speed relative to bare extraction (wall)", wall["extract"] / wall["clean_html"], 0.9)
    verdict("clean_html speed relative to bare extraction (CPU)", cpu["extract"] / cpu["clean_html"], 0.9)
    return 0


if __name__ == "__main__":
    sys.exit(main())
