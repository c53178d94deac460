"""The worker pool's pipes get a larger capacity (``flows.pipes``), and large payloads still cross them intact."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from flows import pipes


def _echo(data: bytes) -> bytes:
    return data[::-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_pool_pipes_are_widened_and_carry_large_payloads() -> None:
    import fcntl

    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
    try:
        conns = pipes.pipes(pool)
        assert len(conns) == 4  # call queue and result queue, both ends
        pipes.widen_pipes(pool)
        after = {fcntl.fcntl(c.fileno(), fcntl.F_GETPIPE_SZ) for c in conns}
        assert after == {pipes.PIPE_BYTES}
        payloads = [os.urandom(n) for n in (1, 70_000, 1_500_000, 3_000_001)]
        assert list(pool.map(_echo, payloads)) == [p[::-1] for p in payloads]
    finally:
        pool.shutdown()


def test_a_pool_without_the_expected_queues_is_left_alone() -> None:
    class Bare:
        pass

    assert pipes.pipes(Bare()) == []  # type: ignore[arg-type]
    pipes.widen_pipes(Bare())  # type: ignore[arg-type]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_the_runs_worker_pool_has_wide_pipes() -> None:
    import fcntl

    from flows import parallel

    pool, ready = parallel._start(2, fork=True)
    try:
        assert {fcntl.fcntl(c.fileno(), fcntl.F_GETPIPE_SZ) for c in pipes.pipes(pool)} == {pipes.PIPE_BYTES}
        for future in ready:
            future.result()
    finally:
        pool.shutdown()
