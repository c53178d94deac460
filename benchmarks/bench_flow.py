"""Benchmark 2: ``presswash run`` (Prefect flow, local JSONL in, SeaweedFS S3 out) against the library loop.

Both clean the same documents; the library loop is benchmarks/library_side.py (one process). The flow runs
as the CLI does, in its own process, against an S3 server this benchmark starts (flows.local_s3). Prefect's
ephemeral API server start-up is reported separately: the flow's own time is the manifest's ``seconds``
(read, clean, write, manifest). Target: the flow >= 1.5x faster than the library loop.

For reference it also prints a ceiling: the library loop run as two processes at once, each on half of the
shards (no Prefect, no S3, no duplicate keys, no audit tables; each half learns its own site statistics).
What the flow loses against that ceiling is its own overhead; what the ceiling loses against 2x is the machine.
It also prints the CPU seconds each side used: the flow does more work than the library loop (duplicate
keys and decisions, the audit tables, S3, Prefect), and on a machine whose cores are all busy that work,
not waiting, is what bounds the flow's speed-up: at best cores x library CPU / flow CPU.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concurrent.futures import ThreadPoolExecutor

from benchmarks.common import WORK, SideResult, env_with_root, header, proc_cpu_s, python, run_side, scale, verdict
from benchmarks.corpus import corpus_dir
from flows.local_s3 import LocalS3Server


def run_flow(corpus: Path, s3: LocalS3Server, bucket: str, log: Path, batch_size: int = 1000) -> SideResult:
    """``presswash run`` in a subprocess; ``data`` is the manifest (``seconds``: the flow body)."""
    cmd = [python(), "-m", "flows.cli", "run", str(corpus), f"s3://{bucket}",
           "--endpoint-url", s3.endpoint_url, "--quiet", "--json", "--batch-size", str(batch_size)]
    side = run_side(cmd, env=env_with_root(s3.env()), log=log)
    counts = side.data["counts"]
    if counts["docs_in"] != (counts["written"] + counts["rejected"] + counts["quarantined"]
                              + counts.get("duplicates", 0)):
        raise RuntimeError(f"flow counts do not add up: {counts}")
    return side


def run_halves(corpus: Path, run_dir: Path) -> float:
    """Wall seconds of two library loops at once, one per half of ``corpus``'s shards (every other shard)."""
    shards = sorted(corpus.glob("*.jsonl"))
    halves = []
    for k in range(2):
        half = run_dir / f"half-{k}"
        half.mkdir(exist_ok=True)
        for old in half.glob("*.jsonl"):
            old.unlink()
        for shard in shards[k::2]:
            (half / shard.name).symlink_to(shard.resolve())
        halves.append(half)
    cmds = [[python(), "-m", "benchmarks.library_side", str(half), str(run_dir / f"{half.name}.jsonl.gz")]
            for half in halves]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: run_side(c[1], env=env_with_root(), log=run_dir / f"half-{c[0]}.log"),
                      enumerate(cmds)))
    return time.perf_counter() - t0


def main() -> int:
    name, sizes = scale()
    n = sizes["flow_docs"]
    header(f"2. flow vs library loop: {n} documents")
    corpus = corpus_dir(n)
    run_dir = WORK / f"flow-{name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    lib_cmd = [python(), "-m", "benchmarks.library_side", str(corpus), str(run_dir / "library.jsonl.gz")]
    lib = run_side(lib_cmd, env=env_with_root(), log=run_dir / "library.log")
    halves_s = run_halves(corpus, run_dir)
    with LocalS3Server() as s3:
        assert s3.proc is not None
        s3_cpu = proc_cpu_s(s3.proc.pid)
        flow = run_flow(corpus, s3, "bench-flow", run_dir / "flow.log")
        s3_cpu = proc_cpu_s(s3.proc.pid) - s3_cpu
    wall, flow_s, rss = flow.wall_s, float(flow.data["seconds"]), flow.peak_own_rss_mb
    lib_s = lib.data["wall_s"]
    print(f"  library loop (1 process)        {lib_s:7.1f}s  {n / lib_s:6.0f} docs/s")
    print(f"  ceiling: 2 loops at once        {halves_s:7.1f}s  {n / halves_s:6.0f} docs/s  "
          f"({lib_s / halves_s:.2f}x: each on half the shards, nothing but cleaning)")
    print(f"  presswash run, flow body        {flow_s:7.1f}s  {n / flow_s:6.0f} docs/s  "
          f"(peak RSS {rss:.0f} MB without Prefect's server)")
    print(f"  presswash run, whole process    {wall:7.1f}s  {n / wall:6.0f} docs/s  "
          f"(incl. Prefect ephemeral server start-up and interpreter start, {wall - flow_s:.1f}s)")
    lib_cpu, flow_cpu = lib.data["cpu_s"], flow.cpu_s + s3_cpu
    cores = os.cpu_count() or 1
    print(f"  CPU seconds: library loop {lib_cpu:.1f}; flow {flow_cpu:.1f} (flow process and workers "
          f"{flow.cpu_s:.1f}, S3 server {s3_cpu:.1f}) + Prefect's server {flow.server_cpu_s:.1f} (start-up included)")
    print(f"  the flow's work is {flow_cpu / lib_cpu:.2f}x the library loop's: with {cores} busy cores its "
          f"whole-process speed-up is at most {cores * lib_cpu / flow_cpu:.2f}x (Prefect's server elsewhere)")
    verdict("flow speed-up over the library loop (flow body)", lib_s / flow_s, 1.5)
    verdict("flow speed-up over the library loop (whole process)", lib_s / wall, 1.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
