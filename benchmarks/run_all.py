"""``make bench``: every benchmark in turn (or those named), each printing its ratios and targets.

    BENCH_SCALE=small python -m benchmarks.run_all [datatrove flow html memory]
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_datatrove, bench_flow, bench_html, bench_memory
from benchmarks.common import scale

BENCHES = {"datatrove": bench_datatrove.main, "flow": bench_flow.main, "html": bench_html.main,
           "memory": bench_memory.main}


def main(names: list[str]) -> int:
    name, _ = scale()
    chosen = names or list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(BENCHES)}")
    print(f"presswash benchmarks, BENCH_SCALE={name}. Figures on a shared machine are noisy: compare ratios, "
          "and CPU-time ratios where printed.")
    failed = []
    for bench in chosen:
        t0 = time.perf_counter()
        try:
            BENCHES[bench]()
        except Exception:
            traceback.print_exc()
            failed.append(bench)
        print(f"  ({bench}: {time.perf_counter() - t0:.0f}s)", flush=True)
    if failed:
        print(f"\nbenchmarks that could not run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
