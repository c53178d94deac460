"""Scale-out: a run on a real local 2-worker Dask cluster gives the same documents as the default runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.reader import read_documents
from flows.runners import RUNNERS, make_task_runner, runner_name

GOLDEN = Path(__file__).resolve().parent / "data" / "golden" / "input"


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
        scheduler_port=0, dashboard_address=None,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def _documents(dest: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's cleaned documents, without what names or times the run, in id order."""
    rows = list(read_documents(str(dest), run=manifest["run_id"]))
    assert rows
    return sorted(({k: v for k, v in row.items() if k not in ("run_id", "cleaned_at")} for row in rows),
                  key=lambda r: r["id"])


def _sources(tmp_path: Path, copies: int = 3) -> Path:
    """A few copies of the golden inputs under distinct names (several batches of one document)."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(copies):
        for f in sorted(GOLDEN.iterdir()):
            shutil.copy(f, src / f"{i}_{f.name}")
    return src


def test_runner_names() -> None:
    assert runner_name(None, "tcp://127.0.0.1:8786") == "dask"
    assert runner_name("Threads") == "threads"
    with pytest.raises(ValueError, match="unknown runner"):
        runner_name("gpu")
    with pytest.raises(ValueError, match="needs the dask runner"):
        runner_name("threads", "tcp://127.0.0.1:8786")
    assert set(RUNNERS) == {"threads", "processes", "dask"}


def test_dask_cluster_gives_same_output_as_default(
    tmp_path: Path, prefect_harness: None, dask_cluster: Any
) -> None:
    from flows.pipeline import clean_articles

    src = _sources(tmp_path)
    default = clean_articles(source=str(src), dest=str(tmp_path / "default"), batch_size=1, run_id="default")

    before = _clean_batch_count(dask_cluster)
    runner = make_task_runner("dask", dask_address=dask_cluster.scheduler_address)
    on_dask = clean_articles.with_options(task_runner=runner)(
        source=str(src), dest=str(tmp_path / "dask"), batch_size=1, run_id="dask"
    )
    # every batch really ran on the cluster (one document per batch)
    assert _clean_batch_count(dask_cluster) - before == default["counts"]["docs_in"] == 6
    assert on_dask["counts"] == default["counts"]
    assert on_dask["removed_by_rule"] == default["removed_by_rule"]
    assert _documents(tmp_path / "dask", on_dask) == _documents(tmp_path / "default", default)


def test_dask_through_flow_parameters(tmp_path: Path, prefect_harness: None, dask_cluster: Any) -> None:
    """What a deployment does: ``runner``/``dask_address`` are plain flow parameters."""
    from flows.pipeline import clean_articles

    src = _sources(tmp_path, copies=1)
    before = _clean_batch_count(dask_cluster)
    manifest = clean_articles(
        source=str(src), dest=str(tmp_path / "out"), batch_size=1, run_id="params",
        dask_address=dask_cluster.scheduler_address,
    )
    assert _clean_batch_count(dask_cluster) - before == manifest["counts"]["docs_in"] == 2
    assert manifest["counts"]["written"] == 2


def _clean_batch_count(cluster: Any) -> int:
    """``clean_batch`` tasks the scheduler saw finish (in-process scheduler: processes=False)."""
    prefix = cluster.scheduler.task_prefixes.get("clean_batch")
    return int(prefix.state_counts["memory"]) if prefix is not None else 0


def test_cli_dask_address(
    tmp_path: Path, prefect_harness: None, dask_cluster: Any, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``presswash run --dask-address`` sends the batches to the cluster (chosen with ``with_options``)."""
    import json

    from flows.cli import main

    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)  # the CLI sets it; undone after the test

    src = _sources(tmp_path, copies=1)
    before = _clean_batch_count(dask_cluster)
    code = main(["run", str(src), str(tmp_path / "out"), "--batch-size", "1", "--quiet", "--json",
                 "--dask-address", dask_cluster.scheduler_address])
    assert code == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["counts"]["written"] == 2
    assert _clean_batch_count(dask_cluster) - before == 2
    assert main(["run", str(src), str(tmp_path / "x"), "--runner", "threads",
                 "--dask-address", dask_cluster.scheduler_address]) == 2  # contradictory: refused
