"""Benchmark 1: presswash's library against a datatrove pipeline doing comparable work, same documents.

presswash: JSONL -> ``cleaners.clean_documents`` (encoding repair, line rules, site-wide lines, guard,
rejection) -> gzipped JSONL, one process. datatrove 0.10 (in its own virtualenv under .bench/): JsonlReader ->
FTFYFormatter -> C4QualityFilter (line rules, document drops off) -> JsonlWriter, one task. Target: >= 2.0x.
The two sides run alternately ``datatrove_rounds`` times (2 at full scale: one run's rate drifts by up to ~25%
on a shared machine, for both sides alike); the ratios are of the totals, and each round's is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import WORK, SideResult, env_with_root, header, python, run_side, scale, verdict
from benchmarks.corpus import corpus_file

VENV = WORK / "datatrove-venv"
REQUIREMENTS = ["datatrove>=0.10,<0.11", "regex", "orjson", "ftfy"]


def datatrove_python() -> Path | None:
    """datatrove's own virtualenv, created on first use; None (with a message) if it cannot be installed."""
    py = VENV / "bin" / "python"
    probe = [str(py), "-c", "import datatrove, orjson, regex, ftfy"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    print(f"  installing {', '.join(REQUIREMENTS)} into {VENV} (once) ...", flush=True)
    base = os.environ.get("BENCH_BASE_PYTHON") or shutil.which("python3") or sys.executable
    try:
        subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    except subprocess.CalledProcessError as exc:
        print(f"  SKIPPED: could not install datatrove ({exc})")
        return None
    return py


def main() -> int:
    name, sizes = scale()
    n = sizes["datatrove_docs"]
    header(f"1. library vs datatrove: {n} news-like documents, one process each")
    corpus = corpus_file(n)
    dt_py = datatrove_python()
    if dt_py is None:
        return 0
    run_dir = WORK / f"datatrove-{name}"
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "in").mkdir(parents=True)
    os.link(corpus, run_dir / "in" / "docs.jsonl")
    mb = corpus.stat().st_size / 1e6

    pw_cmd = [python(), "-m", "benchmarks.library_side", str(corpus), str(run_dir / "presswash.jsonl.gz")]
    dt_cmd = [str(dt_py), str(Path(__file__).parent / "datatrove_side.py"), str(run_dir / "in"),
              str(run_dir / "out"), str(run_dir / "logs")]
    rounds = sizes["datatrove_rounds"]
    pws: list[SideResult] = []
    dts: list[SideResult] = []
    for k in range(rounds):  # alternated: the machine's speed drifts between runs (both sides alike)
        pws.append(run_side(pw_cmd, env=env_with_root(), log=run_dir / "presswash.log"))
        dts.append(run_side(dt_cmd, env=dict(os.environ), log=run_dir / "datatrove.log"))
        if rounds > 1:
            print(f"  round {k + 1}: {n / pws[-1].data['cpu_s']:.0f} vs {n / dts[-1].data['cpu_s']:.0f} docs per "
                  f"CPU-second, {dts[-1].data['cpu_s'] / pws[-1].data['cpu_s']:.2f}x", flush=True)

    def total(sides: list[SideResult], key: str) -> float:
        return sum(float(side.data[key]) for side in sides)

    dt_steps = sum(v for side in dts for k, v in side.data["steps_s"].items() if "FTFY" in k or "C4" in k)
    docs = n * rounds
    rows = [
        ("presswash end to end", total(pws, "wall_s"), total(pws, "cpu_s")),
        ("datatrove end to end", total(dts, "wall_s"), total(dts, "cpu_s")),
        ("presswash cleaning only", total(pws, "clean_s"), None),
        ("datatrove FTFY+C4 steps", dt_steps, None),
    ]
    print(f"  input: {n} documents, {mb:.1f} MB of JSONL ({corpus.name}); {rounds} round(s), totals below")
    for label, wall, cpu in rows:
        cpu_txt = f", {docs / cpu:7.0f} docs/s per CPU-second" if cpu else ""
        print(f"  {label:26} {wall:7.1f}s  {docs / wall:7.0f} docs/s  {mb * rounds / wall:6.2f} MB/s{cpu_txt}")
    print(f"  peak RSS: presswash {max(s.peak_rss_mb for s in pws):.0f} MB, "
          f"datatrove {max(s.peak_rss_mb for s in dts):.0f} MB")
    verdict("speed-up end to end (wall)", total(dts, "wall_s") / total(pws, "wall_s"), 2.0)
    verdict("speed-up end to end (CPU time)", total(dts, "cpu_s") / total(pws, "cpu_s"), 2.0)
    verdict("speed-up of the cleaning steps alone", dt_steps / total(pws, "clean_s"), 2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
