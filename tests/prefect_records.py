"""Read what a flow run left in the Prefect API (artifacts, logs, parameters), for tests that assert on it."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)


def flush_logs() -> None:
    """Logs reach the API in batches; send what is queued before reading them back."""
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()


def run_artifacts(flow_run_id: UUID | str) -> dict[str, Any]:
    """The run's artifacts by key (progress artifacts included)."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(str(flow_run_id))]))
        )
    return {a.key: a for a in found if a.key}


def run_logs(flow_run_id: UUID | str) -> list[str]:
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(str(flow_run_id))])), limit=200
        )
    return [log.message for log in logs]


def everything_recorded(flow_run_id: UUID | str) -> str:
    """Artifacts, logs and parameters of a run, as one string to search for things that must not be there."""
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(str(flow_run_id)))
    artifacts = [a.model_dump(mode="json") for a in run_artifacts(flow_run_id).values()]
    recorded = {"artifacts": artifacts, "logs": run_logs(flow_run_id), "parameters": flow_run.parameters}
    return json.dumps(recorded, default=str)
