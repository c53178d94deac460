"""Storage tasks retry transient errors only, with exponential backoff and jitter."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from flows.local_s3 import LocalS3Server
from flows.retries import STORAGE_RETRIES, is_retryable
from flows.storage import S3Options, S3Storage


def _client_error(code: str, status: int) -> ClientError:
    reply: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(reply, "PutObject")


def test_transient_errors_are_retryable() -> None:
    assert is_retryable(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    assert is_retryable(ReadTimeoutError(endpoint_url="http://127.0.0.1:9"))
    assert is_retryable(_client_error("SlowDown", 503))
    assert is_retryable(_client_error("InternalError", 500))
    assert is_retryable(ConnectionResetError())
    wrapped = RuntimeError("write failed")
    wrapped.__cause__ = TimeoutError()
    assert is_retryable(wrapped)


def test_permanent_errors_are_not_retryable(s3_server: LocalS3Server, s3_bucket: str) -> None:
    """Real replies from a real S3 server: a missing object and wrong keys are not worth a retry."""
    good = S3Options(
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.credentials["aws_access_key_id"],
        secret_access_key=s3_server.credentials["aws_secret_access_key"],
    )
    with pytest.raises(ClientError) as missing:
        S3Storage(f"s3://{s3_bucket}", good).get("runs/none/manifest.json")
    assert not is_retryable(missing.value)
    bad = S3Options(endpoint_url=s3_server.endpoint_url, access_key_id="nobody", secret_access_key="wrong")
    with pytest.raises(ClientError) as denied:
        S3Storage(f"s3://{s3_bucket}", bad).put("a.txt", b"x")
    assert not is_retryable(denied.value)
    assert not is_retryable(ValueError("unsafe storage key"))
    assert not is_retryable(FileExistsError("runs/x/documents"))


def test_backoff_is_exponential_with_jitter() -> None:
    delays = STORAGE_RETRIES["retry_delay_seconds"](STORAGE_RETRIES["retries"])
    assert delays == [1, 2, 4]
    assert 0 < STORAGE_RETRIES["retry_jitter_factor"] <= 1


def test_prefect_retries_only_transient_failures(prefect_harness: None) -> None:
    from prefect import flow, task

    attempts: dict[str, int] = {"transient": 0, "permanent": 0}

    @task(**{**STORAGE_RETRIES, "retry_delay_seconds": 0})
    def flaky(kind: str) -> str:
        attempts[kind] += 1
        if kind == "transient" and attempts[kind] < 3:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
        if kind == "permanent":
            raise _client_error("NoSuchBucket", 404)
        return "ok"

    @flow
    def both() -> list[Any]:
        return [flaky("transient"), flaky("permanent", return_state=True)]

    result, permanent = both()
    assert result == "ok" and attempts["transient"] == 3  # failed twice, then succeeded
    assert permanent.is_failed() and attempts["permanent"] == 1  # no retry
