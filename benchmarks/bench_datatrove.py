"""Benchmark 1: presswash's library against a datatrove pipeline doing comparable work, same documents.

presswash: JSONL -> ``cleaners.clean_documents`` (encoding repair, line rules, site-wide lines, guard,
rejection) -> gzipped JSONL, one process. datatrove 0.10 (in its own virtualenv under .bench/): JsonlReader ->
FTFYFormatter -> C4QualityFilter (line rules, document drops off) -> JsonlWriter, one task. Target: >= 2.0x.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import WORK, env_with_root, header, python, run_side, scale, verdict
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
    pw = run_side(pw_cmd, env=env_with_root(), log=run_dir / "presswash.log")
    dt_cmd = [str(dt_py), str(Path(__file__).parent / "datatrove_side.py"), str(run_dir / "in"),
              str(run_dir / "out"), str(run_dir / "logs")]
    dt = run_side(dt_cmd, env=dict(os.environ), log=run_dir / "datatrove.log")
    dt_steps = sum(v for k, v in dt.data["steps_s"].items() if "FTFY" in k or "C4" in k)
    rows = [
        ("presswash end to end", pw.data["wall_s"], pw.data["cpu_s"]),
        ("datatrove end to end", dt.data["wall_s"], dt.data["cpu_s"]),
        ("presswash cleaning only", pw.data["clean_s"], None),
        ("datatrove FTFY+C4 steps", dt_steps, None),
    ]
    print(f"  input: {n} documents, {mb:.1f} MB of JSONL ({corpus.name})")
    for label, wall, cpu in rows:
        cpu_txt = f", {n / cpu:7.0f} docs/s per CPU-second" if cpu else ""
        print(f"  {label:26} {wall:7.1f}s  {n / wall:7.0f} docs/s  {mb / wall:6.2f} MB/s{cpu_txt}")
    print(f"  peak RSS: presswash {pw.peak_rss_mb:.0f} MB, datatrove {dt.peak_rss_mb:.0f} MB")
    verdict("speed-up end to end (wall)", dt.data["wall_s"] / pw.data["wall_s"], 2.0)
    verdict("speed-up end to end (CPU time)", dt.data["cpu_s"] / pw.data["cpu_s"], 2.0)
    verdict("speed-up of the cleaning steps alone", dt_steps / pw.data["clean_s"], 2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
