"""Retry policy for tasks that touch storage or the network, and a failure hook that names the documents.

Retries only help with transient trouble (a dropped connection, a timeout, a 5xx or throttling reply); a wrong
bucket name, denied access or a bug fails at once instead of three times. Use as decorator arguments::

    @task(..., **STORAGE_RETRIES, on_failure=[log_failed_batch])
"""

from __future__ import annotations

import logging
from typing import Any

from prefect.client.schemas.objects import State, TaskRun
from prefect.context import TaskRunContext
from prefect.tasks import Task, exponential_backoff
from prefect.utilities.annotations import BaseAnnotation

RETRYABLE_S3_CODES = frozenset({
    "500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout",
    "RequestTimeTooSkewed", "Throttling", "ThrottlingException", "TooManyRequests",
})


def is_retryable(exc: BaseException) -> bool:
    """True for errors worth another attempt: connection/timeouts and S3 server-side or throttling replies."""
    try:
        from botocore.exceptions import ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return isinstance(exc, ConnectionError | TimeoutError)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return str(error.get("Code", "")) in RETRYABLE_S3_CODES or status in RETRYABLE_S3_CODES
    if isinstance(exc, BotoConnectionError | HTTPClientError | ConnectionError | TimeoutError):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_retryable(cause)


def retry_if_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the failure is transient (see ``is_retryable``)."""
    try:
        state.result(raise_on_failure=True)
    except Exception as exc:
        return is_retryable(exc)
    return False


STORAGE_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=1),  # 1 s, 2 s, 4 s
    "retry_jitter_factor": 0.5,  # each delay varies by up to ±50%, so parallel batches do not retry in step
    "retry_condition_fn": retry_if_transient,
}


def _item_ids(batch: Any) -> list[str]:
    if isinstance(batch, BaseAnnotation):  # passed with quote() so Prefect does not walk it
        batch = batch.unwrap()
    return [str(getattr(item, "id", "?")) for item in batch] if isinstance(batch, list) else []


def log_failed_batch(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> None:
    """``on_failure`` hook: log which documents the failed batch held and why, through the run logger."""
    from prefect.logging import get_run_logger

    ctx = TaskRunContext.get()
    params = ctx.parameters if ctx is not None else {}
    ids = _item_ids(params.get("batch"))
    shown = ", ".join(ids[:20]) + (f" ... (+{len(ids) - 20} more)" if len(ids) > 20 else "")
    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except Exception:
        logger = logging.getLogger("presswash")
    logger.error(
        "batch %s failed (%s), %d documents not written: %s",
        params.get("index", "?"), state.message or state.name, len(ids), shown or "-",
    )
