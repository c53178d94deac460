"""flows/signatures.py: the spooled signature store reads back what was appended,
and a decision over it equals the reference decision (tests/test_dedup.py)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_dedup import _random_candidates, reference_decide

from cleaners import dedup as dd
from cleaners import dedup_table as dd_table
from flows.signatures import FileSignatures


def _records(n: int, width: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(width) for _ in range(n)]


def test_read_returns_the_appended_records() -> None:
    records = _records(300, 16)
    with FileSignatures(16) as store:
        for r in records[:100]:
            store.append(r)
        rng = random.Random(1)
        for step in range(60):
            if step == 30:  # appended after the first reads
                for r in records[100:]:
                    store.append(r)
            picks = [rng.randrange(store.count) for _ in range(rng.randrange(0, 12))]
            assert [store.read(i) for i in picks] == [records[i] for i in picks]
        assert store.read(10, 3) == b"".join(records[10:13])
        with pytest.raises(IndexError):
            store.read(store.count)
        with pytest.raises(IndexError):
            store.read(-1)


def test_file_signatures_rows_equal_read() -> None:
    records = _records(300, 16, 3)
    with FileSignatures(16) as store:
        for r in records[:200]:
            store.append(r)
        picks = np.array([5, 0, 199, 5, 42])
        assert [bytes(row) for row in store.rows(picks)] == [records[i] for i in picks.tolist()]
        for r in records[200:]:  # appended after a read: still pending when rows reads them
            store.append(r)
        picks = np.array([299, 200, 7])
        assert [bytes(row) for row in store.rows(picks)] == [records[i] for i in picks.tolist()]
        assert store.rows(np.zeros(0, dtype=np.int64)).shape == (0, 16)
        for bad in ([300], [-1], [3, 300]):
            with pytest.raises(IndexError):
                store.rows(np.array(bad))


def test_memory_signatures_rows_equal_read() -> None:
    store = dd_table.MemorySignatures(8)
    records = _records(50, 8, 2)
    for r in records:
        store.append(r)
    picks = np.array([3, 0, 49, 3, 17])
    assert [bytes(row) for row in store.rows(picks)] == [store.read(i) for i in picks.tolist()]
    store.append(records[0])  # no view of the buffer is left behind
    assert store.read(50) == records[0]


class _ReadOnly:
    """A store with only the protocol's two methods (no ``rows``)."""

    def __init__(self, width: int) -> None:
        self.inner = dd_table.MemorySignatures(width)

    def append(self, signature: bytes) -> None:
        self.inner.append(signature)

    def read(self, index: int, count: int = 1) -> bytes:
        return self.inner.read(index, count)


@pytest.mark.parametrize(("slots", "block", "pairs"), [(1, 1, 1), (4, 3, 5), (4, 7, 64),
                                                        (dd_table.CACHE_SLOTS, dd_table._BLOCK, dd_table._PAIRS)])
@pytest.mark.parametrize("store", ["file", "read-only"])
@pytest.mark.parametrize("config", [dd.DedupConfig(), dd.DedupConfig(threshold=0.5)])
def test_decision_over_each_store_equals_the_reference(store: str, config: dd.DedupConfig, slots: int, block: int,
                                                      pairs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with a signature cache of one or four slots (records evict each other, within a query too), and
    queries compared in blocks of a few (candidates decided in an earlier block or not yet), a few pairs at a
    time (one query's groups split)."""
    monkeypatch.setattr(dd_table, "_BLOCK", block)
    monkeypatch.setattr(dd_table, "_PAIRS", pairs)
    width = 4 * config.num_perm
    for seed in range(6):
        new, prior = _random_candidates(seed, config)
        s = FileSignatures(width) if store == "file" else _ReadOnly(width)
        try:
            table = dd_table.CandidateTable(config, s, cache_slots=slots)
            positions = [table.add_candidate(c) for c in new]
            for c in prior:
                table.add_candidate(c, prior=True)
            table.decide()
        finally:
            if isinstance(s, FileSignatures):
                s.close()
        got = {new[p].sort_key: dup for p in positions if (dup := table.duplicate(p)) is not None}
        assert got == reference_decide(new, config, prior=prior)


def test_the_cache_saves_reads_and_must_be_a_power_of_two() -> None:
    config = dd.DedupConfig(threshold=0.5)
    reads = {}
    for slots in (1, dd_table.CACHE_SLOTS):
        store = _Counting(4 * config.num_perm)
        table = dd_table.CandidateTable(config, store, cache_slots=slots)
        for seed in range(3):
            for c in _random_candidates(seed, config)[0]:
                table.add_candidate(c)
        table.decide()
        reads[slots] = store.reads
    assert 0 < reads[dd_table.CACHE_SLOTS] < reads[1] / 2
    for bad in (0, 6):
        with pytest.raises(ValueError):
            dd_table.CandidateTable(config, cache_slots=bad)


class _Counting(_ReadOnly):
    def __init__(self, width: int) -> None:
        super().__init__(width)
        self.reads = 0

    def read(self, index: int, count: int = 1) -> bytes:
        self.reads += count
        return super().read(index, count)


@pytest.mark.parametrize("num_perm", [16, 64, 100, 128, 256])
def test_min_equal_is_the_similarity_threshold(num_perm: int) -> None:
    """``equal >= min_equal`` exactly when ``equal / num_perm >= threshold`` (as ``dedup.similarity``)."""
    for threshold in [0.3, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0, 1 / 3, 0.1 + 0.7]:
        table = dd_table.CandidateTable(dd.DedupConfig(threshold=threshold, num_perm=num_perm))
        table.add("a", "0" * 64, "0" * 64, bytes(4 * num_perm))
        lsh = dd_table._Lsh(table, np.zeros(1, dtype=np.int32), np.zeros(1, dtype=np.int64))
        for equal in range(num_perm + 1):
            assert (equal >= lsh.min_equal) == (equal / num_perm >= threshold), (threshold, equal)


def test_add_many_equals_add_per_document() -> None:
    """The same buffers and signatures as ``add`` one by one (incl. short signatures and two runs), and the
    same errors for digests ``add`` refuses (upper case, wrong length, spaces ``bytes.fromhex`` would skip)."""
    config = dd.DedupConfig(threshold=0.5)
    new, _ = _random_candidates(3, config)
    new[5] = dd.Candidate(new[5].id, new[5].text_sha256, new[5].norm_sha256, b"\x01" * 8, "", "x\udc80")
    one, many = dd_table.CandidateTable(config), dd_table.CandidateTable(config)
    for run_id, part in (("run-a", new[:25]), ("run-b", new[25:]), ("run-a", [])):
        for c in part:
            one.add(c.id, c.text_sha256, c.norm_sha256, c.minhash, run_id, c.order)
        many.add_many([c.id for c in part], [c.text_sha256 for c in part], [c.norm_sha256 for c in part],
                      [c.minhash for c in part], run_id, [c.order for c in part])
    names = ("n", "_text", "_norm", "_strings", "_ends", "_run", "_prior", "_sig", "_signatures", "run_ids")
    assert [getattr(many, k) for k in names] == [getattr(one, k) for k in names]
    assert many.store.data == one.store.data  # type: ignore[attr-defined]
    good = "ab" * 32
    for bad in ("AB" * 32, "ab" * 31, "ab " * 21 + "a", "ab" * 32 + "ab"):
        for texts, norms in (([good, bad], [good, good]), ([good, good], [good, bad])):
            with pytest.raises(ValueError):
                dd_table.CandidateTable(config).add_many(["a", "b"], texts, norms, [b"", b""], "r", ["", ""])
    with pytest.raises(ValueError):
        dd_table.CandidateTable(config).add_many(["a"], [good, good], [good], [b""], "r", [""])
