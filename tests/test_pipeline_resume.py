"""A run interrupted after some batches and resumed (``presswash run --resume``) gives the same output as a
run that was never interrupted, without cleaning its committed batches again. Real Prefect, real S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import s3_options
from test_pipeline import first_corpus, without, write_jsonl

from flows import output, reader
from flows.cli import main
from flows.local_s3 import LocalS3Server
from flows.pipeline import add_progress_hook, clean_articles, remove_progress_hook
from flows.storage import open_storage

TABLES = ("documents", "removals", "quarantine", "duplicates")
RUN_SPECIFIC = ("run_id", "cleaned_at", "kept_run_id")


class Interrupt(RuntimeError):
    pass


def fail_after(batches: int) -> Any:
    def hook(_docs: int, done: int) -> None:
        if done >= batches:
            raise Interrupt(f"interrupted after {done} batches")
    return hook


def test_interrupted_run_resumes_to_the_same_output(
    prefect_harness: None, s3_server: LocalS3Server, s3_bucket: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    for k, v in s3_server.env().items():
        monkeypatch.setenv(k, v)
    options = s3_options(s3_server)
    source = str(write_jsonl(tmp_path / "in.jsonl", first_corpus(), bad_lines=1))
    clean_dest, resumed_dest = f"s3://{s3_bucket}/clean", f"s3://{s3_bucket}/resumed"

    clean = clean_articles(source, clean_dest, batch_size=4, run_id="clean")

    hook = fail_after(2)
    add_progress_hook(hook)
    try:
        with pytest.raises(Interrupt):
            clean_articles(source, resumed_dest, batch_size=4, run_id="interrupted")
    finally:
        remove_progress_hook(hook)
    storage = open_storage(resumed_dest, options)
    assert reader.list_runs(resumed_dest, options) == []  # readers see nothing of the unfinished run
    assert [r["run_id"] for r in output.unfinished_runs(storage)] == ["interrupted"]
    committed = [k for k in storage.list(output.STAGING_PREFIX) if k.endswith("_COMMITTED.json")]
    assert len(committed) >= 2

    assert main(["run", source, resumed_dest, "--resume", "--batch-size", "4", "--quiet", "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["run_id"] == "interrupted"
    assert resumed["batches"]["total"] == clean["batches"]["total"] == 9
    assert 2 <= resumed["batches"]["resumed"] == len(committed) < 9
    assert resumed["counts"] == clean["counts"]
    for table in TABLES:
        got = list(reader.read_documents(resumed_dest, "interrupted", table=table, options=options))
        want = list(reader.read_documents(clean_dest, "clean", table=table, options=options))
        assert without(got, *RUN_SPECIFIC) == without(want, *RUN_SPECIFIC), table
        assert [s["rows"] for s in resumed["tables"][table]["shards"]] == [
            s["rows"] for s in clean["tables"][table]["shards"]]
    assert not list(storage.list(output.STAGING_PREFIX))
    assert [r["run_id"] for r in reader.list_runs(resumed_dest, options)] == ["interrupted"]

    shard = resumed["tables"]["documents"]["shards"][0]["key"]
    storage.put(shard, storage.get(shard) + b"tampered")
    with pytest.raises(reader.ChecksumError):
        list(reader.read_documents(resumed_dest, "interrupted", options=options))
