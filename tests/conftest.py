"""Shared fixtures: a real SeaweedFS S3 server per test session, bench data location, Prefect test harness."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.local_s3 import LocalS3Server
from flows.storage import S3Options, S3Storage

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
BENCH = Path(os.environ.get("PRESSWASH_BENCH_DIR", ROOT.parent / "shared" / "bench"))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def bench_file(name: str) -> Path:
    """A dev benchmark file, or skip the test with a clear reason when the benchmarks are not here."""
    path = BENCH / "data" / name
    if not path.exists():
        pytest.skip(f"dev benchmark {path} not present (it lives in ../shared/bench beside a checkout)")
    return path


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LocalS3Server]:
    """A real S3-compatible server (SeaweedFS) on a free loopback port, data in a temp dir."""
    with LocalS3Server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: LocalS3Server) -> str:
    """A fresh, empty bucket name on the session's S3 server."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    S3Storage(f"s3://{name}", s3_options(s3_server), create_bucket=True)
    return name


def s3_options(server: LocalS3Server) -> S3Options:
    return S3Options(
        endpoint_url=server.endpoint_url,
        access_key_id=server.credentials["aws_access_key_id"],
        secret_access_key=server.credentials["aws_secret_access_key"],
    )


@pytest.fixture
def s3_env(s3_server: LocalS3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Point boto3 (through the standard AWS variables) at the session's S3 server."""
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    return s3_server.env()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A real Prefect API (temporary database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
