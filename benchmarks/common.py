"""Shared helpers: benchmark sizes per scale, running a side in a subprocess, peak memory and CPU, printing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"

# Sizes per BENCH_SCALE. "full" is what the targets are stated for; "small" is a quick check.
SCALES: dict[str, dict[str, int]] = {
    "full": {"datatrove_docs": 20_000, "datatrove_rounds": 2, "flow_docs": 20_000, "html_pages": 87, "html_rounds": 3,
             "memory_docs": 200_000, "growth_small": 10_000, "growth_large": 100_000},
    "medium": {"datatrove_docs": 5_000, "datatrove_rounds": 2, "flow_docs": 10_000, "html_pages": 87, "html_rounds": 2,
               "memory_docs": 50_000, "growth_small": 5_000, "growth_large": 50_000},
    "small": {"datatrove_docs": 2_000, "datatrove_rounds": 1, "flow_docs": 4_000, "html_pages": 30, "html_rounds": 1,
              "memory_docs": 20_000, "growth_small": 2_000, "growth_large": 20_000},
}


def scale() -> tuple[str, dict[str, int]]:
    name = os.environ.get("BENCH_SCALE", "full")
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return name, SCALES[name]


def env_with_root(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a presswash subprocess: this checkout first on the path, Prefect quiet."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env.update(extra or {})
    return env


def _proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _kb_field(text: str, name: str) -> int:
    """A ``Name:   123 kB`` field of a /proc status file, in bytes (0 if absent)."""
    return next((int(x.split()[1]) * 1024 for x in text.splitlines() if x.startswith(name)), 0)


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process so far (0.0 if it is gone), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@dataclass
class TreeSample:
    """One look at a process and all its descendants (Linux /proc, so no extra package)."""

    rss: int
    """Resident bytes of all of them."""
    own_rss: int
    """... of all but Prefect's API server (a uvicorn child of a flow process)."""
    own_pss: int
    """Proportional set size of all but the server: a page shared by n of the processes, such as the
    interpreter's and NumPy's code, counts 1/n in each, so the sum is what the tree uses."""
    cpu: dict[int, tuple[float, bool]]
    """Per process: CPU seconds so far, and whether it is the server."""


def _tree_sample(pid: int) -> TreeSample:
    children = _proc_children()
    todo, out = [pid], TreeSample(0, 0, 0, {})
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            status = Path(f"/proc/{p}/status").read_text()
            server = b"uvicorn" in Path(f"/proc/{p}/cmdline").read_bytes()
            pss = 0 if server else _kb_field(Path(f"/proc/{p}/smaps_rollup").read_text(), "Pss:")
        except OSError:
            continue
        rss = _kb_field(status, "VmRSS:")
        out.rss += rss
        out.own_rss += 0 if server else rss
        out.own_pss += pss
        out.cpu[p] = (proc_cpu_s(p), server)
    return out


@dataclass
class SideResult:
    data: dict[str, Any]
    wall_s: float
    peak_rss_mb: float
    """Peak resident memory of the process tree."""
    peak_own_rss_mb: float = 0.0
    """... without Prefect's ephemeral API server (a uvicorn child of a flow process)."""
    peak_own_pss_mb: float = 0.0
    """Peak of the summed proportional set sizes, without Prefect's server (shared pages counted once)."""
    cpu_s: float = 0.0
    """CPU seconds of the process tree without Prefect's server, as last sampled (every 0.1 s: a process's
    last moments before it exits are not counted)."""
    server_cpu_s: float = 0.0
    """... of Prefect's ephemeral API server (its start-up included)."""


def run_side(cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> SideResult:
    """Run one side of a benchmark; its last stdout line is JSON. Samples the process tree's peak memory
    and CPU seconds."""
    log = log or WORK / "last-side.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = peak_own = peak_pss = 0
    cpu: dict[int, tuple[float, bool]] = {}
    t0 = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, cwd=ROOT)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak, peak_own, peak_pss
            while not stop.is_set():
                tree = _tree_sample(proc.pid)
                peak, peak_own, peak_pss = max(peak, tree.rss), max(peak_own, tree.own_rss), max(peak_pss, tree.own_pss)
                cpu.update(tree.cpu)
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate()
        stop.set()
        sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd[:3])} ... failed with {proc.returncode}:\n{tail}")
    return SideResult(last_json(out.decode(), f"{cmd[:3]} (see {log})"), wall, peak / 1e6, peak_own / 1e6,
                      peak_pss / 1e6, cpu_s=sum(c for c, server in cpu.values() if not server),
                      server_cpu_s=sum(c for c, server in cpu.values() if server))


def last_json(text: str, what: str) -> dict[str, Any]:
    """The last JSON object in a program's output that starts at the beginning of a line."""
    decoder = json.JSONDecoder()
    starts = [i for i in range(len(text)) if text[i] == "{" and (i == 0 or text[i - 1] == "\n")]
    for i in reversed(starts):
        try:
            value, _ = decoder.raw_decode(text, i)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise RuntimeError(f"{what} printed no JSON result")


def header(title: str) -> None:
    name, _ = scale()
    print(f"\n== {title}  [BENCH_SCALE={name}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}] ==")


def verdict(label: str, value: float, target: float, higher_is_better: bool = True, unit: str = "x") -> bool:
    ok = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    print(f"  {label}: {value:.2f}{unit}  (target {sign} {target}{unit})  {'PASS' if ok else 'MISS'}")
    return ok


def python() -> str:
    return sys.executable
