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


@pytest.mark.parametrize("store", ["file", "read-only"])
@pytest.mark.parametrize("config", [dd.DedupConfig(), dd.DedupConfig(threshold=0.5)])
def test_decision_over_each_store_equals_the_reference(store: str, config: dd.DedupConfig) -> None:
    width = 4 * config.num_perm
    for seed in range(6):
        new, prior = _random_candidates(seed, config)
        s = FileSignatures(width) if store == "file" else _ReadOnly(width)
        try:
            table = dd_table.CandidateTable(config, s)
            positions = [table.add_candidate(c) for c in new]
            for c in prior:
                table.add_candidate(c, prior=True)
            table.decide()
        finally:
            if isinstance(s, FileSignatures):
                s.close()
        got = {new[p].sort_key: dup for p in positions if (dup := table.duplicate(p)) is not None}
        assert got == reference_decide(new, config, prior=prior)
