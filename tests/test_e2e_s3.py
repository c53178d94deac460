"""End to end: the Prefect flow cleans the example articles into a real S3 server; boto3 reads them back."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from botocore.config import Config as BotoConfig

from flows.local_s3 import LocalS3Server
from flows.pipeline import clean_articles

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"


def _client(server: LocalS3Server) -> Any:
    return boto3.client(
        "s3", endpoint_url=server.endpoint_url, region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}), **server.credentials,
    )


@pytest.fixture(scope="module")
def s3_run(prefect_harness: None, s3_server: LocalS3Server) -> dict[str, Any]:
    mp = pytest.MonkeyPatch()
    for k, v in s3_server.env().items():
        mp.setenv(k, v)
    try:
        manifest = clean_articles(source=str(EXAMPLES), dest="s3://e2e-bucket/clean/out", batch_size=3,
                                  run_id="e2e")
    finally:
        mp.undo()
    client = _client(s3_server)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="e2e-bucket")["Contents"]]
    return {"manifest": manifest, "keys": keys, "client": client}


def _records(client: Any, key: str) -> list[dict[str, Any]]:
    body = client.get_object(Bucket="e2e-bucket", Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body)).to_pylist()


def test_manifest_counts_add_up_and_it_is_stored(s3_run: dict[str, Any]) -> None:
    m = s3_run["manifest"]
    c = m["counts"]
    assert c["docs_in"] == c["written"] + c["rejected"] + c["quarantined"] + c["duplicates"]
    assert c["docs_in"] == 9  # 6 text files + 3 JSONL records
    stored = json.loads(s3_run["client"].get_object(Bucket="e2e-bucket", Key=f"clean/out/{m['prefix']}/manifest.json")[
        "Body"].read())
    assert stored["counts"] == c
    assert sum(stored["tables"][t]["rows"] for t in ("documents", "quarantine", "duplicates")) == c["docs_in"]


def test_documents_read_back_with_boto3(s3_run: dict[str, Any]) -> None:
    doc_keys = [k for k in s3_run["keys"] if "/documents/" in k]
    assert doc_keys and all(k.startswith("clean/out/runs/") and "/run=e2e/" in k for k in doc_keys)
    docs = {r["id"]: r for k in doc_keys for r in _records(s3_run["client"], k)}
    sample = docs["000_ad5899ca170648f4"]
    assert sample["text"].endswith("not 12/28 as Spicer told them.")
    assert {r for r, _ in sample["removed_by_rule"]} >= {"social.follow-prompt", "prompt.news-tip"}
    import hashlib

    assert sample["text_sha256"] == hashlib.sha256(sample["text"].encode()).hexdigest()


def test_mojibake_is_repaired_in_output(s3_run: dict[str, Any]) -> None:
    docs = {r["id"]: r for k in s3_run["keys"] if "/documents/" in k for r in _records(s3_run["client"], k)}
    storm = docs["011_storm_mojibake"]
    assert "don’t" in storm["text"] and "â€" not in storm["text"]
    assert storm["encoding_fixes"]
    strike = docs["013_transit_strike_cp1252_mojibake"]
    assert "“Our members stood together, and it made the difference,” the union’s president" in strike["text"]


def test_site_boilerplate_learned_across_documents(s3_run: dict[str, Any]) -> None:
    docs = {r["id"]: r for k in s3_run["keys"] if "/documents/" in k for r in _records(s3_run["client"], k)}
    ferry = docs["harborview-0001"]
    assert "Become a member today" not in ferry["text"]
    assert any(r == "site.repeated-line" for r, _ in ferry["removed_by_rule"])
    assert "The county ferry will add two evening sailings" in ferry["text"]
