"""Shard encoding, sizing, batch fingerprints and the run index, on a local directory (no Prefect)."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cleaners import Document
from flows import output, records
from flows.rows import add_row, removal_columns
from flows.sources import ReadFailure
from flows.storage import LocalStorage, S3Options, arrow_filesystem

WHEN = datetime(2026, 11, 23, 6, 20, tzinfo=UTC)


def doc_row(i: int, text: str = "word " * 200) -> dict[str, Any]:
    return {
        "id": f"d{i}", "url": f"https://a.example/{i}", "source": "in.jsonl", "site": "a.example",
        "title": "T", "author": None, "date": "2026-11-20", "language": "en", "text": text,
        "text_sha256": records.sha256(text), "norm_sha256": "n", "cleaned_at": WHEN, "run_id": "r",
        "pipeline_version": "0", "removed_lines": 2, "removed_by_rule": [("meta.filed-under", 2)],
        "encoding_fixes": ["decode:utf-8"], "flags": [], "meta": [("hostname", "a.example")],
    }


@pytest.mark.parametrize("fmt", output.FORMATS)
def test_encoding_is_deterministic_and_round_trips(fmt: str) -> None:
    rows = [doc_row(i) for i in range(3)]
    data = output.encode(rows, records.DOCUMENTS, fmt)
    assert output.encode([dict(r) for r in rows], records.DOCUMENTS, fmt) == data
    back = output.decode_table(data, records.DOCUMENTS, fmt).to_pylist()
    assert [output.plain(r, records.DOCUMENTS) for r in back] == [output.plain(r, records.DOCUMENTS) for r in rows]
    assert back[0]["cleaned_at"] == WHEN


def test_shards_are_sized_numbered_and_checksummed(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    size = output.row_size(doc_row(0))
    writer = output.ShardWriter(storage, "runs/x", "documents", records.DOCUMENTS, "parquet", 3 * size)
    for i in range(7):
        writer.add(doc_row(i))
    shards = writer.close()
    assert [s["rows"] for s in shards] == [3, 3, 1]
    assert [s["key"] for s in shards] == [f"runs/x/documents/part-{i:05d}.parquet" for i in range(3)]
    for s in shards:
        assert hashlib.sha256(storage.get(s["key"])).hexdigest() == s["sha256"]
    empty = output.ShardWriter(storage, "runs/x", "removals", records.REMOVALS, "parquet", 100)
    assert empty.close() == []


@pytest.mark.parametrize("fmt", output.FORMATS)
def test_shards_built_from_compacted_chunks_hold_every_row(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are compacted (Arrow / encoded lines) every few rows; the shards still hold every row, in order."""
    monkeypatch.setattr(output.ShardWriter, "CHUNK_BYTES", 2 * output.row_size(doc_row(0)))
    storage = LocalStorage(tmp_path)
    rows = [doc_row(i, text=f"text {i} " * (50 + i)) for i in range(11)]
    writer = output.ShardWriter(storage, "runs/x", "documents", records.DOCUMENTS, fmt, 1 << 30)
    for row in rows:
        writer.add(row)
    (shard,) = writer.close()
    data = storage.get(shard["key"])
    back = output.decode_table(data, records.DOCUMENTS, fmt).to_pylist()
    assert [output.plain(r, records.DOCUMENTS) for r in back] == [output.plain(r, records.DOCUMENTS) for r in rows]
    if fmt == "jsonl":  # the same bytes as encoding all rows at once
        assert data == output.encode(rows, records.DOCUMENTS, fmt)


def test_batch_fingerprint_covers_content_identity_and_options() -> None:
    batch = [Document(id="a", text="one", url="u"), ReadFailure("b", "f", "bad-json", "x")]
    ctx = {"config": {"min_words": 20}}
    fp = output.batch_fingerprint(batch, ctx)
    assert fp == output.batch_fingerprint(list(batch), dict(ctx))
    assert fp != output.batch_fingerprint([Document(id="a", text="two", url="u"), batch[1]], ctx)
    assert fp != output.batch_fingerprint([Document(id="z", text="one", url="u"), batch[1]], ctx)
    assert fp != output.batch_fingerprint(batch, {"config": {"min_words": 21}})
    assert fp != output.batch_fingerprint(batch[:1], ctx)


def test_index_lists_completed_runs_in_finish_order_and_unfinished_ones_apart(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for run_id, finished in (("b", "2026-11-23T07:00:00"), ("a", "2026-11-23T08:00:00")):
        output.write_json(storage, output.index_key(run_id), {"run_id": run_id, "finished_at": finished})
        output.write_json(storage, output.staging_prefix(run_id) + "run.json",
                          {"run_id": run_id, "started_at": finished})
    output.write_json(storage, output.staging_prefix("c") + "run.json", {"run_id": "c", "started_at": "x"})
    assert [e["run_id"] for e in output.completed_runs(storage)] == ["b", "a"]
    assert [e["run_id"] for e in output.unfinished_runs(storage)] == ["c"]


def test_arrow_filesystem_for_local_and_s3(tmp_path: Path) -> None:
    fs, base = arrow_filesystem(str(tmp_path))
    assert fs.type_name == "local" and base == str(tmp_path.resolve())
    fs, base = arrow_filesystem("s3://bucket/some/prefix/", S3Options(endpoint_url="http://127.0.0.1:9"))
    assert fs.type_name == "s3" and base == "bucket/some/prefix"


def _reference_shards(rows: list[dict[str, Any]], fmt: str, target: int, chunk: int) -> list[bytes]:
    """Shard bytes as ShardWriter made them when it held compacted chunks in memory (the definition)."""
    shards, parts, lines, pending = [], [], [], []
    size = chunk_size = count = 0

    def compact() -> None:
        nonlocal pending, chunk_size
        if fmt == "parquet":
            parts.append(output.pa.Table.from_pylist(pending, schema=records.DOCUMENTS))
        else:
            lines.extend(output.jsonl_line(r, records.DOCUMENTS) for r in pending)
        pending, chunk_size = [], 0

    def flush() -> None:
        nonlocal parts, lines, count, size
        if not count:
            return
        compact()
        shards.append(output.parquet_bytes(output.pa.concat_tables(parts)) if fmt == "parquet"
                      else output.gzip_lines(lines))
        parts, lines, count, size = [], [], 0, 0

    for row in rows:
        pending.append(row)
        n = output.row_size(row)
        size, chunk_size, count = size + n, chunk_size + n, count + 1
        if size >= target:
            flush()
        elif chunk_size >= chunk:
            compact()
    flush()
    return shards


@pytest.mark.parametrize("fmt", output.FORMATS)
@pytest.mark.parametrize(("rows_n", "chunk_rows", "shard_rows"),
                         [(11, 2, 100), (12, 3, 5), (9, 3, 100), (7, 1, 3)])
def test_spooled_shards_are_byte_identical_to_in_memory_ones(
    tmp_path: Path, fmt: str, rows_n: int, chunk_rows: int, shard_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks spooled to disk (Arrow IPC / a gzip stream) give the bytes the in-memory writer gave, also
    when the last chunk is compacted just before the shard is closed (an empty last chunk)."""
    rows = [doc_row(i, text=f"text {i} " * 50) for i in range(rows_n)]
    for i in range(0, rows_n, 4):
        rows[i]["author"], rows[i]["meta"] = f"A{i}", []
    size = output.row_size(rows[0])
    monkeypatch.setattr(output.ShardWriter, "CHUNK_BYTES", chunk_rows * size)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(output.tempfile, "tempdir", str(spool))
    want = _reference_shards(rows, fmt, shard_rows * size, chunk_rows * size)
    listings = []
    for name, encoder in (("here", None), ("thread", ThreadPoolExecutor(1))):
        storage = LocalStorage(tmp_path / name)
        writer = output.ShardWriter(storage, "runs/x", "documents", records.DOCUMENTS, fmt, shard_rows * size,
                                    encoder)
        for row in rows:
            writer.add(row)
        shards = writer.close()
        assert [storage.get(s["key"]) for s in shards] == want, name
        assert not list(spool.iterdir())  # spool files are removed once their shard is written
        listings.append(shards)
    assert listings[0] == listings[1]  # keys, rows, bytes, checksums: shards encoded on a thread alike


def test_row_size_counts_text_and_bytes_by_length_and_other_values_as_8() -> None:
    row = {"a": "xyé", "b": b"abc", "c": 1, "d": None, "e": [1, 2, 3], "f": 1.5, "g": True}
    assert output.row_size(row) == 16 + 3 + 3 + 5 * 8
    assert output.row_size({}) == 16


def _varied_rows(n: int) -> list[dict[str, Any]]:
    """Document rows with missing, empty, non-ASCII and long values."""
    rows = [doc_row(i, text=f"text {i} é漢字 " * (20 + 13 * (i % 5))) for i in range(n)]
    for i, row in enumerate(rows):
        if i % 3 == 0:
            row["author"], row["title"], row["meta"] = None, "", []
        if i % 4 == 1:
            row["date"], row["flags"] = None, ["short-text"]
    return rows


def test_row_sizes_of_a_table_are_row_size_of_its_rows() -> None:
    docs = output.pa.Table.from_pylist(_varied_rows(9), schema=records.DOCUMENTS)
    sigs = output.pa.Table.from_pylist(
        [{"id": f"d{i}", "run_id": "r", "text_sha256": "t" * i, "norm_sha256": None, "minhash": b"\x00\xff" * i}
         for i in range(5)], schema=records.SIGNATURES)
    for table in (docs, sigs, docs.slice(3, 4), docs.slice(0, 0), records.REMOVALS.empty_table()):
        assert output.row_sizes(table).tolist() == [output.row_size(r) for r in table.to_pylist()]


@pytest.mark.parametrize("fmt", output.FORMATS)
@pytest.mark.parametrize(("rows_n", "chunk_rows", "shard_rows", "cuts"),
                         [(11, 2, 100, [3, 4]), (12, 3, 5, [1, 7, 7]), (9, 3, 100, [0, 9]), (7, 1, 3, [2]),
                          (23, 4, 9, [5, 6, 17])])
def test_tables_give_the_shards_their_rows_give(
    tmp_path: Path, fmt: str, rows_n: int, chunk_rows: int, shard_rows: int, cuts: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``add_table`` (whole tables, cut anywhere, between single rows) writes the bytes ``add`` writes for
    the same rows one by one: the same chunk and shard boundaries (rows of equal size hit them exactly)."""
    rows = _varied_rows(rows_n) if rows_n % 2 else [doc_row(i, text=f"text {i:03d} " * 40) for i in range(rows_n)]
    size = output.row_size(rows[0])
    monkeypatch.setattr(output.ShardWriter, "CHUNK_BYTES", chunk_rows * size)
    layouts: list[list[int]] = []
    encode = output.write_parquet
    monkeypatch.setattr(output, "write_parquet", lambda t, where: layouts.append([b.num_rows for b in t.to_batches()])
                        or encode(t, where))
    staged = output.pa.Table.from_pylist([{**r, "minhash": b"m"} for r in rows], schema=records.STAGED)

    def write(name: str) -> tuple[list[dict[str, Any]], list[list[int]]]:
        layouts.clear()
        writer = output.ShardWriter(LocalStorage(tmp_path / name), "runs/x", "documents", records.DOCUMENTS, fmt,
                                    shard_rows * size)
        bounds = [0, *cuts, rows_n] if name == "tables" else [0, rows_n]
        for i, (start, stop) in enumerate(itertools.pairwise(bounds)):
            if name == "rows" or i % 2:  # every other piece row by row: both kinds mix in one chunk
                for row in rows[start:stop]:
                    writer.add(row)
            else:  # the STAGED columns: add_table keeps the table's own
                writer.add_table(staged.slice(start, stop - start))
        return writer.close(), list(layouts)

    by_rows, rows_layout = write("rows")
    by_tables, tables_layout = write("tables")
    assert by_tables == by_rows  # keys, row counts, sizes, checksums
    assert tables_layout == rows_layout  # the same Arrow chunks in each shard
    assert [LocalStorage(tmp_path / "tables").get(s["key"]) for s in by_tables] == _reference_shards(
        rows, fmt, shard_rows * size, chunk_rows * size)


def test_staged_tables_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    table = output.pa.Table.from_pylist(_varied_rows(5), schema=records.DOCUMENTS)
    output.put_table(storage, "s/documents.arrow", table)
    assert output.get_table(storage, "s/documents.arrow").equals(table)
    for columns in (["id", "meta"], ["text_sha256", "id", "norm_sha256"], ["text"]):
        assert output.get_table(storage, "s/documents.arrow", columns).equals(table.select(columns))
    with pytest.raises(KeyError):
        output.get_table(storage, "s/documents.arrow", ["id", "no such column"])


def test_staged_removals_and_duplicates_are_their_row_definitions() -> None:
    from cleaners.dedup import Duplicate

    documents = [{**doc_row(i), "minhash": b"m", "removed_lines": n} for i, n in enumerate((2, 0, 1, 0))]
    removals = [(0, ("a.rule", 3, "line é", "why", 0.25)), (0, ("b.rule", 7, "", None, None)),
                (2, ("a.rule", 0, "x", None, 1.0))]
    want = [{**records.removal_row(documents[doc], removal), "doc": doc} for doc, removal in removals]
    columns: dict[str, list[Any]] = {}
    for row in documents:
        add_row(columns, row)
    staged = records.staged_documents(columns)
    assert staged.equals(output.pa.Table.from_pylist(documents, schema=records.STAGED))
    assert records.staged_documents({}).equals(records.STAGED.empty_table())
    fields = {name: [removal[i] for _, removal in removals] for i, name in enumerate(records.REMOVAL_FIELDS)}
    table = records.staged_removals(fields, staged)
    assert table.to_pylist() == want and table.schema == records.STAGED_REMOVALS
    assert table.to_batches()[0].num_rows == len(want), "one record batch"
    assert records.staged_removals(removal_columns(), staged.slice(1, 1)).num_rows == 0
    with pytest.raises(ValueError):
        records.staged_removals(removal_columns(), staged)
    dups = [(1, Duplicate("d0", "r", "exact", 1.0)), (3, Duplicate("d2", "q", "near", 0.8125))]
    assert records.duplicates_table(staged, dups).to_pylist() == [
        records.duplicate_row(documents[i], dup) for i, dup in dups]
    assert records.duplicates_table(staged, []).num_rows == 0


def test_report_json_reads_back_as_json_wrote_it(tmp_path: Path) -> None:
    """The commit marker written with orjson reads back as ``write_json(indent=None)``'s did; what orjson
    refuses goes to ``json``, which fails as it always did on a lone surrogate."""
    import json

    from flows.pipeline import BatchReport

    storage = LocalStorage(tmp_path)
    report = BatchReport(3, "f" * 32, docs_in=5, cleaned=4, removed_by_rule=Counter({"site.repeated": 2}),
                         samples=[("a.example", 2**64 - 1, "Ünïcode — line"), ("b.example", 0, "x")]).to_dict()
    output.write_report_json(storage, "orjson.json", report)
    output.write_json(storage, "json.json", report, indent=None)
    back = output.read_json(storage, "orjson.json")
    assert back == output.read_json(storage, "json.json") and BatchReport.from_dict(back).samples == [
        ("a.example", 2**64 - 1, "Ünïcode — line"), ("b.example", 0, "x")]
    assert json.loads(storage.get("orjson.json")) == json.loads(json.dumps(report, default=output.json_default))
    output.write_report_json(storage, "big.json", {**report, "index": 2**70})  # beyond orjson: json writes it
    assert output.read_json(storage, "big.json")["index"] == 2**70
    with pytest.raises(UnicodeEncodeError):
        output.write_report_json(storage, "bad.json", {**report, "samples": [("a", 1, "\ud800")]})
