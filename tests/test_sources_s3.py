"""The S3-prefix reader against a real SeaweedFS server: every format, streamed, and through the CLI/flow."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard
from conftest import s3_options
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners import Document
from flows.local_s3 import LocalS3Server
from flows.sources import ReadFailure, S3Source, open_source
from flows.storage import S3Storage


def article(n: int) -> str:
    return " ".join(
        f"The harbour authority confirmed on day {n} that dredging work will resume in spring, item {i}."
        for i in range(12)
    )


ARTICLE = article(99)


def warc_gz(url: str, html: bytes) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(html), http_headers=headers)
    writer.write_record(record)
    return buf.getvalue()


def fill(storage: S3Storage) -> None:
    records = [{"id": f"j{i}", "text": article(i), "url": f"https://port.example/{i}"} for i in range(3)]
    body = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    storage.put("in/batch.jsonl.zst", zstandard.ZstdCompressor().compress(body))
    storage.put("in/more/batch.jsonl.gz", gzip.compress(b'{"id": "g1", "text": "gz text"}\n{broken\n'))
    storage.put("in/page.html", f"<html><body><article><p>{ARTICLE}</p></article></body></html>".encode())
    storage.put("in/note.txt", "Résumé".encode("cp1252"))
    storage.put("in/crawl.warc.gz", warc_gz("https://port.example/w", f"<p>{ARTICLE}</p>".encode()))
    storage.put("in/skip.bin", b"\0")
    storage.put("other/outside.txt", b"not under the prefix")


def test_s3_prefix_reads_every_format(s3_server: LocalS3Server, s3_bucket: str) -> None:
    opts = s3_options(s3_server)
    fill(S3Storage(f"s3://{s3_bucket}", opts))
    source = open_source(f"s3://{s3_bucket}/in", s3=opts)
    assert isinstance(source, S3Source)
    items = list(source)
    ids = [i.id for i in items]
    assert ids[:3] == ["j0", "j1", "j2"]  # keys in S3 (sorted) order: batch.jsonl.zst first
    assert {"j0", "j1", "j2", "g1", "page", "note"} <= set(ids)
    assert not any("outside" in i for i in ids)
    failures = [i for i in items if isinstance(i, ReadFailure)]
    assert [f.code for f in failures] == ["bad-json"]
    warc_docs = [i for i in items if isinstance(i, Document) and i.url == "https://port.example/w"]
    assert len(warc_docs) == 1
    note = next(i for i in items if i.id == "note")
    assert isinstance(note, Document) and note.raw == "Résumé".encode("cp1252")
    assert list(source) == items
    single = list(open_source(f"s3://{s3_bucket}/in/page.html", s3=opts))
    assert [i.id for i in single] == ["page"]


def test_missing_prefix_is_an_error(s3_server: LocalS3Server, s3_bucket: str) -> None:
    with pytest.raises(FileNotFoundError):
        list(open_source(f"s3://{s3_bucket}/nothing-here", s3=s3_options(s3_server)))


def test_cli_run_from_s3_prefix(
    prefect_harness: None, s3_server: LocalS3Server, s3_bucket: str, s3_env: dict[str, Any], tmp_path: Path,
) -> None:
    from flows.cli import main

    fill(S3Storage(f"s3://{s3_bucket}", s3_options(s3_server)))
    dest = tmp_path / "out"
    # the test articles are near-copies of each other by construction: this test is about reading, not dedup
    assert main(["run", f"s3://{s3_bucket}/in", str(dest), "--quiet", "--run-id", "s3-run", "--no-dedup"]) == 0
    from flows import reader

    manifest = reader.manifest(str(dest), "s3-run")
    counts = manifest["counts"]
    assert counts["docs_in"] == counts["written"] + counts["rejected"] + counts["quarantined"] + counts["duplicates"]
    assert counts["written"] == 5 and manifest["rejected_by_code"].get("bad-json") == 1
    written = list(reader.read_documents(str(dest), "s3-run"))
    assert {"https://port.example/w", "https://port.example/0"} <= {r["url"] for r in written}
