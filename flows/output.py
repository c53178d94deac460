"""The output layout under a destination, shard encoding, and the manifest that is written last.

    DEST/runs/<run_id>/documents/part-00000.jsonl.gz     cleaned documents
    DEST/runs/<run_id>/quarantine/part-00000.jsonl.gz    rejected and failed documents, with reasons
    DEST/runs/<run_id>/site-boilerplate.json             lines learned as per-site boilerplate
    DEST/runs/<run_id>/manifest.json                     written last: shards, counts that add up
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any

from .storage import Storage


def run_prefix(run_id: str) -> str:
    return f"runs/{run_id}"


def shard_key(run_id: str, table: str, index: int) -> str:
    return f"{run_prefix(run_id)}/{table}/part-{index:05d}.jsonl.gz"


def manifest_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}/manifest.json"


def encode_jsonl_gz(records: Iterable[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    # mtime=0: the same records always give the same bytes (and checksum)
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=1) as gz:  # 9: 3x the CPU, 13% smaller
        for record in records:
            gz.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            gz.write(b"\n")
    return buf.getvalue()


def decode_jsonl_gz(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines() if line.strip()]


def write_shard(storage: Storage, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    data = encode_jsonl_gz(records)
    storage.put(key, data)
    return {"key": key, "rows": len(records), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_json(storage: Storage, key: str, payload: Any) -> None:
    storage.put(key, json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def read_json(storage: Storage, key: str) -> Any:
    return json.loads(storage.get(key))
