"""Read everything a run wrote and compare runs by their documents, whatever the shard format.

A run is found by its manifest (the ``manifest.json`` whose path holds the run id); its documents are read
from every shard file under the run's folder, not only those the manifest lists, so a stray or doubled
shard shows up as a duplicate.
"""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flows.storage import Storage

VOLATILE = frozenset({"run_id", "started_at", "finished_at", "run_started_at", "seconds", "cleaned_at", "kept_run_id"})
"""Fields that legitimately differ between two runs over the same input."""


def decode_rows(key: str, data: bytes) -> list[dict[str, Any]]:
    if key.endswith(".parquet"):
        import pyarrow.parquet as pq

        return list(pq.read_table(io.BytesIO(data)).to_pylist())
    if key.endswith(".gz"):
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _is_shard(key: str) -> bool:
    return key.endswith((".jsonl.gz", ".jsonl", ".parquet")) and "staging" not in key and "/_" not in key


@dataclass
class RunOutput:
    manifest: dict[str, Any]
    manifest_key: str
    files: list[str]
    documents: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.manifest["counts"])

    def ids(self) -> Counter[str]:
        return Counter(str(r["id"]) for r in self.documents + self.quarantine + self.duplicates)


def find_manifest(storage: Storage, run_id: str) -> str | None:
    folders = {run_id, f"run={run_id}"}  # runs/<id>/ or runs/date=.../run=<id>/
    keys = [k for k in storage.list() if k.endswith("manifest.json") and folders & set(k.split("/")[:-1])]
    if len(keys) > 1:
        raise AssertionError(f"several manifests for run {run_id}: {keys}")
    return keys[0] if keys else None


def read_run(storage: Storage, run_id: str) -> RunOutput:
    """The manifest and every document and quarantine row the run wrote."""
    key = find_manifest(storage, run_id)
    if key is None:
        raise AssertionError(f"no manifest for run {run_id} in {storage.uri}")
    manifest = json.loads(storage.get(key))
    folder = key.rsplit("/", 1)[0] + "/"
    files = [k for k in storage.list(folder)]
    out = RunOutput(manifest=manifest, manifest_key=key, files=files)
    for k in files:
        if not _is_shard(k):
            continue
        rows = decode_rows(k, storage.get(k))
        if "/quarantine/" in k:
            out.quarantine.extend(rows)
        elif "/documents/" in k:
            out.documents.extend(rows)
        elif "/duplicates/" in k:
            out.duplicates.extend(rows)
    return out


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as sorted JSON strings without the fields that differ between runs."""
    return sorted(
        json.dumps({k: v for k, v in r.items() if k not in VOLATILE}, sort_keys=True, ensure_ascii=False, default=str)
        for r in rows
    )


def assert_same_output(got: RunOutput, want: RunOutput) -> None:
    """The same documents and quarantine rows, each exactly once, and the same counts."""
    dupes = {i: n for i, n in got.ids().items() if n > 1}
    assert not dupes, f"documents written more than once: {dupes}"
    assert got.counts == want.counts
    assert len(got.documents) == len(want.documents)
    assert canonical(got.documents) == canonical(want.documents)
    assert canonical(got.quarantine) == canonical(want.quarantine)
    assert canonical(got.duplicates) == canonical(want.duplicates)


def assert_accounted(run: RunOutput, input_ids: set[str]) -> None:
    """Every input document is in the output exactly once (as a document or a quarantine row)."""
    ids = run.ids()
    missing = input_ids - set(ids)
    assert not missing, f"documents lost: {sorted(missing)[:10]} ({len(missing)} in all)"
    assert not {i for i, n in ids.items() if n > 1}, "documents written twice"
    c = run.counts
    assert c["docs_in"] == len(input_ids)
    assert c["docs_in"] == sum(v for k, v in c.items() if k != "docs_in")
