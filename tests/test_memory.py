"""flows.memory: the allocator settings a run applies to itself and to the processes it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows import parallel
from flows.settings import RunSettings
from flows.stats_pass import batches_in_flight

ROOT = Path(__file__).resolve().parent.parent
_ARROW_BACKEND = ("from flows import memory; memory.tune(); import pyarrow as pa; "
                  "print(pa.default_memory_pool().backend_name)")


def _arrow_backend(preset: str | None) -> str:
    """The allocator of Arrow's default pool in a fresh interpreter that calls ``tune()`` before pyarrow."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", _ARROW_BACKEND], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=True)
    return proc.stdout.strip()


def test_tune_makes_arrow_use_the_system_allocator() -> None:
    # not only pyarrow's default (flows.output sets that): the C++ default, which Arrow's internals use
    assert _arrow_backend(None) == "system"


def _bundled_allocator() -> str:
    import pyarrow as pa

    for name in ("mimalloc", "jemalloc"):
        try:
            getattr(pa, f"{name}_memory_pool")()
        except (AttributeError, NotImplementedError):
            continue
        return name
    pytest.skip("this pyarrow has no allocator besides the system one")


def test_tune_keeps_an_arrow_allocator_set_in_the_environment() -> None:
    name = _bundled_allocator()
    assert _arrow_backend(name) == name


@pytest.mark.parametrize(("batch_size", "workers", "expected"), [
    (500, 2, 2),  # 5 chunks each: the next batch alone keeps both workers busy
    (1000, 2, 2),
    (100, 2, 3),  # one chunk per batch: one batch per worker plus the one collected
    (50, 2, 3),
    (500, 8, 3),  # 8 workers need two batches of 5 chunks besides the one collected
    (500, 1, 2),
])
def test_batches_in_flight_keep_every_worker_busy(batch_size: int, workers: int, expected: int) -> None:
    settings = RunSettings(source="in", dest="out", batch_size=batch_size, max_workers=workers)
    n = batches_in_flight(settings)
    assert n == expected
    chunks = -(-batch_size // parallel.STAGE_CHUNK)
    assert (n - 1) * chunks >= workers > (n - 2) * chunks, "the fewest batches that give every worker a chunk"
