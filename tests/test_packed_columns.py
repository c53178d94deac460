"""Packed string columns (``flows.rows.Utf8Column``): what the workers send instead of a list of str gives the
same Arrow column, the same values after merging chunks, and the list itself where packing is not exact."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from cleaners import SiteLineStats
from flows import records
from flows.rows import Samples, Utf8Column, join_columns

TEXTS = ["", "plain", "Ünïcödé — «quotes»", "emoji 🙂 and 汉字", "line\nbreak", "\x00nul", "a" * 10_000]


def test_packed_column_is_the_arrow_column_of_the_list() -> None:
    packed = Utf8Column.pack(TEXTS)
    assert isinstance(packed, Utf8Column)
    assert list(packed) == TEXTS and len(packed) == len(TEXTS) and packed == TEXTS
    got = records.arrow_column(packed)
    assert got.equals(pa.array(TEXTS, pa.string()))
    assert got.to_pylist() == TEXTS


def test_joined_chunks_equal_the_packed_whole() -> None:
    parts = [Utf8Column.pack(TEXTS[:2]), Utf8Column.pack([]), Utf8Column.pack(TEXTS[2:])]
    joined = join_columns(parts)  # type: ignore[arg-type]
    assert joined == Utf8Column.pack(TEXTS)
    assert records.arrow_column(joined).equals(pa.array(TEXTS, pa.string()))
    mixed = join_columns([Utf8Column.pack(TEXTS[:3]), TEXTS[3:]])  # type: ignore[list-item]
    assert mixed == TEXTS and isinstance(mixed, list)


@pytest.mark.parametrize("values", [["ok", "lone \ud800 surrogate"], ["ok", None], [1, 2]])
def test_values_that_do_not_pack_stay_as_they_are(values: list[object]) -> None:
    assert Utf8Column.pack(values) is values


def test_staged_tables_from_packed_columns_equal_those_from_lists() -> None:
    n = len(TEXTS)
    row = {name: None for name in records.STAGED.names}
    columns = {name: [row[name]] * n for name in records.STAGED.names}
    columns.update(id=[f"d{i}" for i in range(n)], text=list(TEXTS), removed_lines=[1] * n, run_id=["r"] * n,
                   cleaned_at=[datetime(2026, 1, 1, tzinfo=UTC)] * n, removed_by_rule=[[]] * n,
                   encoding_fixes=[[]] * n, flags=[[]] * n, meta=[[]] * n)
    removals = {"rule_id": ["x"] * n, "line_no": list(range(n)), "line": list(reversed(TEXTS)),
                "reason": [None] * n, "score": [0.5] * n}
    plain_docs = records.staged_documents(columns)
    packed_docs = records.staged_documents({**columns, "text": Utf8Column.pack(columns["text"])})
    assert packed_docs.equals(plain_docs)
    plain = records.staged_removals(removals, plain_docs)
    packed = records.staged_removals({**removals, "line": Utf8Column.pack(removals["line"])}, packed_docs)
    assert packed.equals(plain) and packed.to_pylist() == plain.to_pylist()


SPELLINGS = ["zebra", "Zebra", "éclair", "eclair", "e\u0301clair", "🙂 smile", "\uffff", "\U00010000", "a", "a ", ""]


def _stats(entries: list[tuple[str, int, str]]) -> SiteLineStats:
    stats = SiteLineStats()
    for site, key, line in entries:
        stats.sample(site, key, line)
    return stats


def test_sample_triples_keep_the_smallest_spelling_as_python_compares() -> None:
    rng = random.Random(7)
    keys = [0, 1, 2**63, 2**64 - 1]
    chunks = [[(rng.choice(["a.com", "b.org", "ü.de"]), rng.choice(keys), rng.choice(SPELLINGS)) for _ in range(40)]
              for _ in range(5)]
    parts = [Samples.of(_stats(chunk).samples) for chunk in chunks]
    merged = Samples.concat(parts)
    assert isinstance(merged.line, Utf8Column) and len(merged) == sum(map(len, parts))
    want = _stats([entry for chunk in chunks for entry in chunk]).samples
    assert merged.smallest() == want
    got = records.sample_triples(merged)
    assert {(site, key): line for site, key, line in got} == want and len(got) == len(want)
    assert records.sample_triples(Samples.concat([])) == []


def test_sample_triples_of_lines_that_do_not_pack() -> None:
    parts = [Samples.of({("a.com", 1): "lone \ud800"}), Samples.of({("a.com", 1): "fine", ("b.org", 2): "x"})]
    merged = Samples.concat(parts)
    assert isinstance(merged.line, list)
    assert sorted(records.sample_triples(merged)) == [("a.com", 1, "fine"), ("b.org", 2, "x")]
