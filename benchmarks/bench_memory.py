"""Benchmark 4: memory and growth of ``presswash run`` (the flow, local shards in, SeaweedFS S3 out).

- peak resident memory of the flow process and its worker processes (Prefect's ephemeral API server, which a
  deployment runs elsewhere, is reported separately) while cleaning ``memory_docs`` documents: <= 500 MB
  (the sum of the processes' RSS, which counts pages they share, e.g. the interpreter's and NumPy's code, once
  per process; their summed PSS, printed beside it, counts them once);
- growth: the flow's time for ``growth_large`` documents <= 11x its time for ``growth_small`` (10x as many).
Sizes come from BENCH_SCALE (full: 200,000 and 10,000/100,000 documents: long runs); batches of 500
(the CLI default).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_flow import run_flow
from benchmarks.common import WORK, SideResult, header, scale, verdict
from benchmarks.corpus import corpus_dir
from flows.local_s3 import LocalS3Server


def main() -> int:
    name, sizes = scale()
    n_mem, n_small, n_large = sizes["memory_docs"], sizes["growth_small"], sizes["growth_large"]
    header(f"4. memory ({n_mem} documents) and growth ({n_small} vs {n_large}) of the flow")
    run_dir = WORK / f"memory-{name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[int, SideResult] = {}
    with LocalS3Server() as s3:
        for n in sorted({n_small, n_large, n_mem}):
            corpus = corpus_dir(n)
            runs[n] = run_flow(corpus, s3, f"bench-mem-{n}", run_dir / f"flow-{n}.log", batch_size=500)
            r = runs[n]
            print(f"  {n:7} documents: flow {r.data['seconds']:7.1f}s ({n / r.data['seconds']:5.0f} docs/s), "
                  f"process {r.wall_s:7.1f}s, peak RSS {r.peak_own_rss_mb:5.0f} MB "
                  f"(PSS {r.peak_own_pss_mb:5.0f} MB; + Prefect server: RSS {r.peak_rss_mb:5.0f} MB)", flush=True)
    verdict(f"peak RSS cleaning {n_mem} documents (flow + workers)", runs[n_mem].peak_own_rss_mb, 500,
            higher_is_better=False, unit=" MB")
    ratio = runs[n_large].data["seconds"] / runs[n_small].data["seconds"]
    verdict(f"time({n_large}) / time({n_small})", ratio, 11 * n_large / n_small / 10, higher_is_better=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
