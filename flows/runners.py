"""Which task runner cleans the batches: one machine (threads or processes) or a Dask cluster.

Two ways to choose, same names:

- at call time, ``clean_articles.with_options(task_runner=make_task_runner("dask", dask_address=...))``
  (what ``presswash run --runner`` does);
- from a deployment, through the flow parameters ``runner`` / ``dask_address``: ``use_task_runner`` swaps the
  runner of the current flow run for the duration of a block, so scheduled runs can scale out too.

``DEFAULT_RUNNER`` is the single place to change the one-machine default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.context import FlowRunContext
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

RUNNERS = ("threads", "processes", "dask")
DEFAULT_RUNNER = "threads"


def local_workers() -> int:
    """Batches cleaned at once on this machine: one per core (at least 2 for overlap with I/O)."""
    return max(2, os.cpu_count() or 1)


def local_threads() -> int:
    """Threads of the default runner: twice the cores. The flow's tasks mostly wait, on the process pool
    that cleans (flows.parallel) or on storage; with one batch per core queued at the pool, a worker starts
    its next batch at once while the task of its last one stages the results."""
    return 2 * local_workers()


def runner_name(runner: str | None, dask_address: str | None = None) -> str:
    """Normalise a runner choice; a Dask address alone means ``dask``."""
    name = (runner or ("dask" if dask_address else DEFAULT_RUNNER)).strip().lower()
    if name not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r}: choose one of {', '.join(RUNNERS)}")
    if dask_address and name != "dask":
        raise ValueError(f"--dask-address needs the dask runner, not {name!r}")
    return name


def make_task_runner(
    runner: str | None = None, *, dask_address: str | None = None, max_workers: int | None = None
) -> TaskRunner[Any]:
    """A fresh task runner by name. ``dask`` without an address starts a temporary local cluster."""
    name = runner_name(runner, dask_address)
    workers = max_workers or local_workers()
    if name == "threads":
        return ThreadPoolTaskRunner(max_workers=max_workers or local_threads())
    if name == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1})


def default_task_runner() -> TaskRunner[Any]:
    """The runner the flow is declared with."""
    return make_task_runner(DEFAULT_RUNNER)


@contextmanager
def use_task_runner(runner: str | None, dask_address: str | None = None) -> Iterator[TaskRunner[Any] | None]:
    """Inside a flow run: submit tasks to the named runner until the block ends; yields the runner in use.

    With neither ``runner`` nor ``dask_address`` the flow's own runner stays (the one given by
    ``with_options(task_runner=...)`` or the default).
    """
    ctx = FlowRunContext.get()
    if (not runner and not dask_address) or ctx is None:
        yield ctx.task_runner if ctx is not None else None
        return
    with make_task_runner(runner, dask_address=dask_address) as task_runner:
        switched = ctx.model_copy(update={"task_runner": task_runner})
        switched._token = None  # a copy of an entered context: enter it afresh
        with switched:
            yield task_runner


def describe(task_runner: TaskRunner[Any] | None) -> str:
    """A short, secret-free description for logs and run reports."""
    if task_runner is None:
        return "none"
    address = getattr(task_runner, "address", None) or getattr(task_runner, "_connect_to", None)
    workers = getattr(task_runner, "_max_workers", None) or getattr(task_runner, "max_workers", None)
    detail = f" at {address}" if isinstance(address, str) else (f" x{workers}" if workers else "")
    return f"{type(task_runner).__name__}{detail}"
