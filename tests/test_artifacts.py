"""A run publishes its report as Prefect artifacts; a block's credentials never show in what it records."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from prefect_records import everything_recorded, flush_logs, run_artifacts, run_logs
from pydantic import SecretStr

from flows.credentials import PresswashS3, block_name, resolve_s3_options
from flows.local_s3 import LocalS3Server
from flows.report import PROGRESS_KEY, REMOVALS_KEY, SUMMARY_KEY, removals_table, summary_markdown
from flows.storage import S3Options, S3Storage

GOLDEN = Path(__file__).resolve().parent / "data" / "golden" / "input"
AWS_VARS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_PROFILE")


def _inbox(uri: str, options: S3Options) -> str:
    """An S3 inbox: the golden articles plus one too short to keep (a rejection with a reason code)."""
    inbox = S3Storage(uri, options)
    for f in sorted(GOLDEN.iterdir()):
        inbox.put(f.name, f.read_bytes())
    inbox.put("stub.txt", b"Read more.\n")
    return uri


def _save_block(server: LocalS3Server) -> str:
    name = f"test-{uuid.uuid4().hex[:8]}"
    PresswashS3(
        endpoint_url=server.endpoint_url,
        access_key_id=SecretStr(server.credentials["aws_access_key_id"]),
        secret_access_key=SecretStr(server.credentials["aws_secret_access_key"]),
    ).save(name)
    return name


def test_summary_and_table_follow_the_manifest() -> None:
    manifest: dict[str, Any] = {
        "run_id": "r1", "seconds": 2.5, "dest": "s3://b/p", "manifest": "s3://b/p/runs/r1/manifest.json",
        "counts": {"docs_in": 5, "written": 3, "rejected": 1, "quarantined": 1},
        "removed_by_rule": {"social.follow-prompt": 2, "meta.filed-under": 7},
        "rejected_by_code": {"too-short": 1, "exception": 1},
    }
    md = summary_markdown(manifest, "ThreadPoolTaskRunner x2")
    for line in ("| documents in | 5 |", "| written | 3 |", "| duplicates | 0 |", "- duration: 2.5 s",
                 "`s3://b/p/runs/r1/manifest.json`", "ThreadPoolTaskRunner x2",
                 "lines removed: 9 by 2 rules"):
        assert line in md
    assert removals_table(manifest) == [
        {"kind": "removal", "id": "meta.filed-under", "count": 7},
        {"kind": "removal", "id": "social.follow-prompt", "count": 2},
        {"kind": "rejection", "id": "exception", "count": 1},
        {"kind": "rejection", "id": "too-short", "count": 1},
    ]


def test_block_names() -> None:
    assert block_name("prod") == block_name("presswash-s3/prod") == "prod"
    with pytest.raises(ValueError, match="not a presswash-s3 block"):
        block_name("aws-credentials/prod")


def test_run_publishes_artifacts_and_keeps_secrets_out(
    tmp_path: Path, prefect_harness: None, s3_server: LocalS3Server, s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.pipeline import clean_articles
    from flows.reader import read_documents

    for var in AWS_VARS:  # only the block can get this run into the bucket
        monkeypatch.delenv(var, raising=False)
    secret = s3_server.credentials["aws_secret_access_key"]
    name = _save_block(s3_server)
    s3_options = resolve_s3_options(None, name)  # the block reads the inbox and writes the output
    assert secret not in repr(s3_options)

    state = clean_articles(
        source=_inbox(f"s3://{s3_bucket}/inbox/", s3_options), dest=f"s3://{s3_bucket}/clean", batch_size=1,
        credentials_block=name, return_state=True,
    )
    manifest = state.result()
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    flush_logs()

    counts = manifest["counts"]
    assert counts == {"docs_in": 3, "written": 2, "rejected": 1, "quarantined": 0, "duplicates": 0}
    docs = read_documents(f"s3://{s3_bucket}/clean", run=manifest["run_id"],
                          options=resolve_s3_options(None, name))
    assert len(list(docs)) == 2

    artifacts = run_artifacts(flow_run_id)
    assert {SUMMARY_KEY, REMOVALS_KEY, PROGRESS_KEY} <= set(artifacts)
    summary = str(artifacts[SUMMARY_KEY].data)
    assert artifacts[SUMMARY_KEY].type == "markdown"
    for line in ("| documents in | 3 |", "| written | 2 |", "| rejected | 1 |", "| quarantined | 0 |"):
        assert line in summary
    assert manifest["manifest"] in summary
    table = artifacts[REMOVALS_KEY].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert rows == removals_table(manifest)
    assert {r["id"] for r in rows if r["kind"] == "removal"} == set(manifest["removed_by_rule"])
    assert {r["id"] for r in rows if r["kind"] == "rejection"} == set(manifest["rejected_by_code"]) != set()
    assert float(artifacts[PROGRESS_KEY].data) == 100.0  # type: ignore[arg-type]

    recorded = everything_recorded(flow_run_id)
    assert name in recorded  # the block is named in the parameters ...
    assert secret not in recorded  # ... its secret is nowhere: not in logs, artifacts or parameters
    assert any("written" in message for message in run_logs(flow_run_id))


def test_failed_batch_names_its_documents_and_is_not_retried(tmp_path: Path, prefect_harness: None) -> None:
    """A permanent storage error (here: a file where the batch staging directory must go) fails the batch
    at once, and the run log names the documents that were not written and the reason."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.output import staging_prefix
    from flows.pipeline import clean_articles

    dest = tmp_path / "out"
    staging = dest / staging_prefix("blocked")
    staging.mkdir(parents=True)
    (staging / "batches").write_text("not a directory")
    state = clean_articles(source=str(GOLDEN), dest=str(dest), run_id="blocked", return_state=True)
    assert state.is_failed()
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    flush_logs()

    failed = [m for m in run_logs(flow_run_id) if m.startswith("batch 0 failed")]
    assert len(failed) == 1, run_logs(flow_run_id)
    for doc_id in ("000_ad5899ca170648f4", "003_ccce60bc22adf0cc"):
        assert doc_id in failed[0]
    assert "NotADirectoryError" in failed[0]  # the reason
    with get_client(sync_client=True) as client:
        this_run = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        task_runs = client.read_task_runs(flow_run_filter=this_run)
    batch_runs = [t for t in task_runs if t.name.startswith("clean-batch")]
    assert [t.run_count for t in batch_runs] == [1]  # not retryable: one attempt only
