"""End to end, as in production: a real Prefect server, a process work pool, the deployments of
deploy/prefect.yaml, a worker, a triggered run that writes to a real S3 server with credentials from a block.

Everything started here runs in its own process group and is stopped at the end, also when a step fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flows.local_s3 import LocalS3Server, free_port
from flows.report import PROGRESS_KEY, REMOVALS_KEY, SUMMARY_KEY

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden" / "input"
PREFECT = [sys.executable, "-m", "prefect"]
POOL = "presswash-process"
BLOCK = "presswash-storage"  # the block deploy/prefect.yaml names
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass
class Prefect:
    api_url: str
    env: dict[str, str]
    logs: Path


def _base_env(home: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="INFO",
        PYTHONPATH=str(ROOT),  # this checkout, not another installed copy
        PRESSWASH_HOME=str(ROOT),  # where the deployments' pull step points the worker
    )
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process and everything it started (its process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def _wait_healthy(api_url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"prefect server not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prefect]:
    """``prefect server start`` on a free loopback port, with a temporary PREFECT_HOME (and database)."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _base_env(home, api_url)
    log = home / "server.log"
    # --no-services: no scheduler filling the database with upcoming runs; runs here are triggered by hand
    proc = _start([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
                  env, log)
    try:
        _wait_healthy(api_url, proc, log)
        yield Prefect(api_url=api_url, env=env, logs=home)
    finally:
        _stop(proc)


@dataclass
class Deployed:
    deploy_output: str
    worker_log: Path


@pytest.fixture
def deployed(prefect_server: Prefect, s3_server: LocalS3Server) -> Iterator[Deployed]:
    """The work pool and the credentials block (created in this process, so the keys are in no subprocess's
    environment), then ``prefect deploy`` and a process worker started side by side (the worker only needs
    the pool). The worker is stopped at the end, whatever happens."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker
    from pydantic import SecretStr

    from flows.credentials import PresswashS3

    with _api(prefect_server), get_client(sync_client=True) as client:
        template = ProcessWorker.get_default_base_job_template()
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process", base_job_template=template),
                                overwrite=True)
        PresswashS3(
            endpoint_url=s3_server.endpoint_url,
            access_key_id=SecretStr(s3_server.credentials["aws_access_key_id"]),
            secret_access_key=SecretStr(s3_server.credentials["aws_secret_access_key"]),
        ).save(BLOCK, overwrite=True)
    env, logs = prefect_server.env, prefect_server.logs
    deploy_log, worker_log = logs / "deploy.log", logs / f"worker-{uuid.uuid4().hex[:6]}.log"
    deploy = _start([*PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "deploy/prefect.yaml"],
                    env, deploy_log)
    worker = _start([*PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--limit", "1"],
                    env, worker_log)
    try:
        code = deploy.wait(timeout=180)
        assert code == 0, f"prefect deploy failed:\n{deploy_log.read_text()}"
        yield Deployed(deploy_log.read_text(), worker_log)
    finally:
        _stop(deploy)
        _stop(worker)


def _api(prefect_server: Prefect) -> Any:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    return temporary_settings({PREFECT_API_URL: prefect_server.api_url})


def _wait_for_run(flow_run_id: str, timeout: float) -> Any:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            flow_run = client.read_flow_run(uuid.UUID(flow_run_id))
            if flow_run.state is not None and flow_run.state.type.value in TERMINAL:
                return flow_run
            if time.monotonic() > deadline:
                raise TimeoutError(f"flow run {flow_run_id} still {flow_run.state} after {timeout}s")
            time.sleep(1)


def test_scheduled_deployments_run_on_a_worker_and_write_to_s3(
    tmp_path: Path, prefect_server: Prefect, s3_server: LocalS3Server, s3_bucket: str, deployed: Deployed,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect_records import everything_recorded, run_artifacts

    from flows.reader import read_documents
    from flows.storage import S3Options, S3Storage

    assert "hourly-inbox" in deployed.deploy_output and "daily-backfill" in deployed.deploy_output
    src = tmp_path / "inbox"
    shutil.copytree(GOLDEN, src)
    run_id = f"e2e-{uuid.uuid4().hex[:8]}"
    params = {"source": str(src), "dest": f"s3://{s3_bucket}/clean", "run_id": run_id, "batch_size": 1}
    with _api(prefect_server), get_client(sync_client=True) as client:  # = prefect deployment run --params
        hourly = client.read_deployment_by_name("clean-articles/hourly-inbox")
        flow_run_id = str(client.create_flow_run_from_deployment(hourly.id, parameters=params).id)

    with _api(prefect_server):
        flow_run = _wait_for_run(flow_run_id, timeout=120)
        worker_log = deployed.worker_log.read_text()
        assert flow_run.state.type.value == "COMPLETED", f"{flow_run.state}\n{worker_log[-4000:]}"

        with get_client(sync_client=True) as client:
            daily = client.read_deployment_by_name("clean-articles/daily-backfill")
        assert [s.schedule.cron for s in hourly.schedules] == ["7 * * * *"]  # type: ignore[union-attr]
        assert [s.schedule.cron for s in daily.schedules] == ["30 2 * * *"]  # type: ignore[union-attr]
        assert hourly.work_pool_name == daily.work_pool_name == POOL
        for deployment in (hourly, daily):
            assert deployment.global_concurrency_limit is not None
            assert deployment.global_concurrency_limit.limit == 1
        assert hourly.concurrency_options is not None and daily.concurrency_options is not None
        assert hourly.concurrency_options.collision_strategy.value == "CANCEL_NEW"
        assert daily.concurrency_options.collision_strategy.value == "ENQUEUE"
        assert {"presswash", "hourly"} <= set(hourly.tags)
        assert flow_run.parameters["credentials_block"] == BLOCK  # the deployment's default

        artifacts = run_artifacts(flow_run_id)
        assert {SUMMARY_KEY, REMOVALS_KEY, PROGRESS_KEY} <= set(artifacts)
        assert "| written | 2 |" in str(artifacts[SUMMARY_KEY].data)
        recorded = everything_recorded(flow_run_id)

    secret = s3_server.credentials["aws_secret_access_key"]
    assert secret not in recorded and secret not in worker_log

    options = S3Options(
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.credentials["aws_access_key_id"], secret_access_key=secret,
    )
    storage = S3Storage(f"s3://{s3_bucket}/clean", options)
    manifests = [k for k in storage.list() if run_id in k and k.endswith("manifest.json")]
    assert len(manifests) == 1, list(storage.list())
    manifest = json.loads(storage.get(manifests[0]))
    assert manifest["counts"]["docs_in"] == manifest["counts"]["written"] == 2
    ids = sorted(row["id"] for row in read_documents(f"s3://{s3_bucket}/clean", run=run_id, options=options))
    assert ids == sorted(p.stem for p in GOLDEN.iterdir())
