"""The duplicate decision of ``cleaners.dedup.decide`` over columns instead of objects, for large runs.

``dedup.decide`` as first written held one ``Candidate`` per document (~1 kB with its signature) and an LSH
index of Python objects (21 bucket entries per kept document, ~4 kB): ~1 GB for 200,000 documents.
``CandidateTable`` holds per document ~250 bytes in flat buffers (raw digests, id and order as UTF-8, small
integers); the signatures go to a ``SignatureStore`` (in memory here; the flow spools them to a local file)
and are read back only to compute the band hashes once and to verify a pair. While deciding it adds, per
document with a signature, ~170 bytes of band hashes (freed once grouped) and ~90 bytes of LSH groups, and
at most ~30 MB whatever the number of documents: a cache of the signatures read (near-duplicates of one
text are candidates of each other's queries again and again) and the buffers of a block of queries whose
candidate pairs are compared at once (a query at a time spent most of its time in NumPy's per-call costs).

The decisions are exactly ``decide``'s (tests/test_dedup.py compares both with the first implementation,
kept there as the reference): the same visiting order, the same exact index (first kept document per
normalised text), candidates = kept documents sharing at least one LSH band (band hashes only find them;
the band itself is then compared value for value), the same similarity and the same tie-breaks. Documents
are then referred to by their position (the order of ``add``), not by key.

Pure: no I/O here; the store decides where signatures live.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .dedup import Candidate, DedupConfig, Duplicate

EXACT, NEAR = 1, 2
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xBF58476D1CE4E5B9)
_S29 = np.uint64(29)
_CHUNK = 8192
"""Signatures read at once when hashing bands (4 MB with 128 values)."""
_BLOCK = 1024
"""Queries (in visiting order) whose candidates are compared together."""
_PAIRS = 8192
"""Candidates compared at once (~8 MB of signatures with 128 values)."""
CACHE_SLOTS = 1 << 15
"""Signatures the decision keeps read (16 MB with 128 values; fixed: a slot per record number modulo this)."""


class SignatureStore(Protocol):
    """Fixed-width signature records, appended in order and read back by number.

    A store may also have ``rows(records: np.ndarray) -> np.ndarray``: the records with those numbers as a
    ``(len(records), width)`` uint8 array (the decision then reads a query's candidates in one call).
    """

    def append(self, signature: bytes) -> None: ...

    def read(self, index: int, count: int = 1) -> bytes:
        """Records ``index`` .. ``index + count - 1``, concatenated."""
        ...


class MemorySignatures:
    """Signatures in one ``bytearray`` (the default: small decisions, tests)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.data = bytearray()

    def append(self, signature: bytes) -> None:
        self.data += signature

    def read(self, index: int, count: int = 1) -> bytes:
        return bytes(self.data[index * self.width : (index + count) * self.width])

    def rows(self, records: np.ndarray) -> np.ndarray:
        # a copy (fancy indexing), so no view of the bytearray outlives the call: it may grow again
        return np.frombuffer(self.data, dtype=np.uint8).reshape(-1, self.width)[records]


def _digest(value: str, what: str) -> bytes:
    """A lower-case SHA-256 hex digest as its 32 bytes (same order: hex digits sort like the bytes)."""
    if len(value) != 64 or value != value.lower():
        raise ValueError(f"{what} must be a lower-case SHA-256 hex digest, not {value!r}")
    return bytes.fromhex(value)


def _digests(values: list[str], what: str) -> bytes:
    """``_digest`` of each value, end to end: converted at once when they are all well formed, else one by
    one (which names the bad value). ``fromhex`` would take upper case and skip spaces: both are checked."""
    joined = "".join(values)
    if joined == joined.lower() and all(len(v) == 64 for v in values):
        data = bytes.fromhex(joined)
        if len(data) == 32 * len(values):
            return data
    return b"".join(_digest(v, what) for v in values)


class CandidateTable:
    """The documents of one decision (``add``), then ``decide``, then ``duplicate(position)`` per document."""

    def __init__(self, config: DedupConfig, store: SignatureStore | None = None,
                 cache_slots: int = CACHE_SLOTS) -> None:
        if cache_slots < 1 or cache_slots & (cache_slots - 1):
            raise ValueError(f"cache_slots must be a power of two, not {cache_slots}")
        self.config = config
        self.cache_slots = cache_slots
        """Size of ``_Lsh``'s signature cache."""
        self.width = 4 * config.num_perm
        self.store = store if store is not None else MemorySignatures(self.width)
        self.n = 0
        self._text = bytearray()   # 32 bytes per document: text_sha256
        self._norm = bytearray()   # 32 bytes per document: norm_sha256
        self._strings = bytearray()  # id and order, UTF-8, back to back
        self._ends = array("q")    # end of each document's id, then of its order, in _strings
        self._run = array("i")     # index into run_ids
        self._prior = bytearray()  # 1: published by an earlier run (always kept)
        self._sig = array("i")     # record number in store, -1: no usable signature
        self._signatures = 0
        self.run_ids: list[str] = []
        self._run_codes: dict[str, int] = {}
        self.dup_of = np.zeros(0, dtype=np.int32)
        self.kind = np.zeros(0, dtype=np.int8)
        self.matches = np.zeros(0, dtype=np.int32)

    # --- input ------------------------------------------------------------------------------------------

    def add(self, id: str, text_sha256: str, norm_sha256: str, minhash: bytes, run_id: str = "",
            order: str = "", prior: bool = False) -> int:
        """One document; returns its position. ``prior``: published by an earlier run."""
        self._text += _digest(text_sha256, "text_sha256")
        self._norm += _digest(norm_sha256, "norm_sha256")
        for s in (id, order):
            self._strings += s.encode("utf-8", "surrogatepass")
            self._ends.append(len(self._strings))
        self._run.append(self._run_code(run_id))
        self._prior.append(1 if prior else 0)
        self._add_signature(minhash)
        self.n += 1
        return self.n - 1

    def _run_code(self, run_id: str) -> int:
        code = self._run_codes.setdefault(run_id, len(self.run_ids))
        if code == len(self.run_ids):
            self.run_ids.append(run_id)
        return code

    def _add_signature(self, minhash: bytes) -> None:
        # a signature of another length is never similar (dedup.similarity: 0.0), so it is not indexed
        if self.config.near and len(minhash) == self.width:
            self.store.append(minhash)
            self._sig.append(self._signatures)
            self._signatures += 1
        else:
            self._sig.append(-1)

    def add_many(self, ids: list[str], text_sha256: list[str], norm_sha256: list[str], minhashes: list[bytes],
                 run_id: str, orders: list[str]) -> None:
        """Documents of one run, as ``add`` each (columns of equal length): the digests checked and
        converted at once."""
        n = len(ids)
        if not (len(text_sha256) == len(norm_sha256) == len(minhashes) == len(orders) == n):
            raise ValueError("columns of different lengths")
        text, norm = _digests(text_sha256, "text_sha256"), _digests(norm_sha256, "norm_sha256")
        if not n:
            return
        self._text += text
        self._norm += norm
        end = len(self._strings)
        for i, o in zip(ids, orders, strict=True):
            for s in (i, o):
                b = s.encode("utf-8", "surrogatepass")
                self._strings += b
                end += len(b)
                self._ends.append(end)
        self._run.extend([self._run_code(run_id)] * n)
        self._prior.extend(bytes(n))
        for m in minhashes:
            self._add_signature(m)
        self.n += n

    def add_candidate(self, c: Candidate, prior: bool = False) -> int:
        return self.add(c.id, c.text_sha256, c.norm_sha256, c.minhash, c.run_id, c.order, prior)

    def _str(self, i: int) -> str:
        start = self._ends[i - 1] if i else 0
        return self._strings[start : self._ends[i]].decode("utf-8", "surrogatepass")

    def id(self, position: int) -> str:
        return self._str(2 * position)

    def order(self, position: int) -> str:
        return self._str(2 * position + 1)

    def sort_key(self, position: int) -> tuple[str, str, str]:
        return (bytes(self._text[32 * position : 32 * position + 32]).hex(), self.id(position),
                self.order(position))

    # --- orders -----------------------------------------------------------------------------------------

    def _sorted(self, first: np.ndarray, last: np.ndarray | None) -> np.ndarray:
        """Positions sorted by (``first``, text_sha256, id, order, ``last``); stable otherwise."""
        text = np.frombuffer(self._text, dtype=">u8").reshape(self.n, 4)
        keys = ([] if last is None else [last]) + [text[:, 3], text[:, 2], text[:, 1], text[:, 0], first]
        idx = np.lexsort(keys)
        # equal text hashes (identical texts) are rare: sort those runs by (id, order) in Python
        a, b = text[idx], first[idx]
        same = np.flatnonzero((a[1:] == a[:-1]).all(axis=1) & (b[1:] == b[:-1]))
        if len(same):
            out = idx.tolist()
            for start, stop in _runs(same):
                run = out[start:stop]
                run.sort(key=lambda p: (self.id(p), self.order(p)))  # stable: ``last`` breaks full ties
                out[start:stop] = run
            idx = np.array(out, dtype=np.int64)
        return idx

    def _visit_order(self) -> np.ndarray:
        """``decide``'s order: earlier runs' documents by (run id, key), then this run's by key."""
        prior = np.frombuffer(self._prior, dtype=np.uint8).astype(bool)
        names = sorted(set(self.run_ids))
        rank = np.array([names.index(r) for r in self.run_ids], dtype=np.int64)
        first = np.where(prior, rank[np.frombuffer(self._run, dtype=np.int32)], len(names))
        return self._sorted(first, None)

    # --- the decision -----------------------------------------------------------------------------------

    def decide(self) -> None:
        """Decide every document: ``dup_of`` (position kept instead, or -1), ``kind``, ``matches``."""
        n, config = self.n, self.config
        self.dup_of = np.full(n, -1, dtype=np.int32)
        self.kind = np.zeros(n, dtype=np.int8)
        self.matches = np.zeros(n, dtype=np.int32)
        if not config.enabled or not n:
            return
        visit = self._visit_order()
        visit_rank = np.empty(n, dtype=np.int64)
        visit_rank[visit] = np.arange(n)
        # tie-break between equally similar kept documents: their key, then their visiting order
        by_key = self._sorted(np.zeros(n, dtype=np.int64), visit_rank)
        key_rank = np.empty(n, dtype=np.int64)
        key_rank[by_key] = np.arange(n)
        del by_key
        norm_group = _groups(np.frombuffer(self._norm, dtype=">u8").reshape(n, 4))
        first_kept = np.full(int(norm_group.max()) + 1, -1, dtype=np.int64)
        prior = np.frombuffer(self._prior, dtype=np.uint8)
        run = np.frombuffer(self._run, dtype=np.int32)
        sig = np.frombuffer(self._sig, dtype=np.int32)
        lsh = _Lsh(self, sig, visit_rank) if config.near and self._signatures else None
        for start in range(0, n, _BLOCK):
            block = visit[start : start + _BLOCK]
            # the similar pairs of a block's queries at once (which candidates are kept is known only here)
            similar = {} if lsh is None else lsh.similar(block[(prior[block] == 0) & (sig[block] >= 0)], start)
            for p in block.tolist():
                if not prior[p]:
                    same = first_kept[norm_group[p]]
                    if same >= 0:
                        self.dup_of[p], self.kind[p], self.matches[p] = same, EXACT, config.num_perm
                        continue
                    if (pairs := similar.get(p)) is not None and lsh is not None:
                        found = lsh.best(p, pairs, run, key_rank)
                        if found is not None:
                            self.dup_of[p], self.kind[p], self.matches[p] = found[0], NEAR, found[1]
                            continue
                if first_kept[norm_group[p]] < 0:
                    first_kept[norm_group[p]] = p
                if lsh is not None and sig[p] >= 0:
                    lsh.keep(p)

    def duplicate(self, position: int) -> Duplicate | None:
        """The decision for one document: None when it is kept."""
        from .dedup import Duplicate

        kept = int(self.dup_of[position])
        if kept < 0:
            return None
        if self.kind[position] == EXACT:
            return Duplicate(self.id(kept), self.run_ids[self._run[kept]], "exact", 1.0)
        s = float(self.matches[position]) / self.config.num_perm
        return Duplicate(self.id(kept), self.run_ids[self._run[kept]], "near", round(s, 4))


class _Lsh:
    """LSH groups: per band, the documents with equal band hashes, in visiting order; only groups of two or
    more. A query compares the members of its groups visited before it and keeps those already kept."""

    def __init__(self, table: CandidateTable, sig: np.ndarray, visit_rank: np.ndarray) -> None:
        from .dedup import bands_for

        config = table.config
        self.store, self.num_perm = table.store, config.num_perm
        self.threshold = config.threshold
        # similar enough: equal / num_perm >= threshold (the same floats: the quotient grows with equal)
        self.min_equal = next((k for k in range(self.num_perm + 1) if k / self.num_perm >= self.threshold),
                              self.num_perm + 1)
        self.bands, self.rows = bands_for(config.threshold, config.num_perm)
        self.sig = sig
        self.visit_rank = visit_rank
        docs = np.flatnonzero(sig >= 0)  # positions with a signature; sig[docs] == 0, 1, 2, ...
        hashes = _band_hashes(table.store, len(docs), self.num_perm, self.bands, self.rows)
        order = np.argsort(visit_rank[docs], kind="stable")
        self.place = np.full((table.n, self.bands), -1, dtype=np.int32)
        """Where each document is in ``members``, per band (-1: in no group): after its group's start."""
        starts: list[np.ndarray] = []
        members: list[np.ndarray] = []
        offset = 0
        for b in range(self.bands):
            h = hashes[order, b]
            idx = np.argsort(h, kind="stable")  # equal hashes stay in visiting order
            sh = h[idx]
            new = np.ones(len(sh), dtype=bool)
            new[1:] = sh[1:] != sh[:-1]
            gid = np.cumsum(new) - 1
            size = np.bincount(gid)
            shared = size[gid] > 1
            local = np.unique(gid[shared], return_inverse=True)[1].reshape(-1)
            pos = docs[order[idx[shared]]]
            self.place[pos, b] = np.arange(offset, offset + len(pos))
            first = np.ones(len(local), dtype=bool)
            first[1:] = local[1:] != local[:-1]
            starts.append(np.flatnonzero(first) + offset)
            members.append(pos.astype(np.int32))
            offset += len(pos)
        del hashes
        self.members = np.concatenate(members) if members else np.zeros(0, dtype=np.int32)
        self.starts = np.append(np.concatenate(starts), len(self.members)).astype(np.int64)
        self.kept_in = np.zeros(table.n, dtype=bool)
        # the signatures last read, by record number modulo the slots (direct-mapped: fixed memory, pages touched
        # only as slots fill): near-duplicates of one text are candidates of each other's queries again and again
        slots = min(table.cache_slots, 1 << max(0, len(docs) - 1).bit_length())
        self.mask = slots - 1
        self.cached = np.full(slots, -1, dtype=np.int32)  # record number held by each slot
        self.cache = np.empty((slots, self.num_perm), dtype=np.uint32)
        self._buffers: dict[str, np.ndarray] = {}

    def keep(self, p: int) -> None:
        self.kept_in[p] = True

    def _buffer(self, name: str, rows: int, dtype: type) -> np.ndarray:
        """``rows`` rows of ``num_perm`` values of a buffer kept for the next call (grown when needed)."""
        buf = self._buffers.get(name)
        if buf is None or len(buf) < rows:
            buf = self._buffers[name] = np.empty((1 << max(10, (rows - 1).bit_length()), self.num_perm), dtype)
        return buf[:rows]

    def _signatures(self, records: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The signatures with these record numbers into ``out``, one row each: from the cache, the others
        read from the store (and cached)."""
        slot = records & self.mask
        miss = np.flatnonzero(self.cached[slot] != records)
        np.take(self.cache, slot, axis=0, out=out)  # a copy: later reads may replace the slots
        if len(miss):
            wanted = records[miss]
            read = self._read(wanted)
            out[miss] = read
            self.cache[slot[miss]] = read
            self.cached[slot[miss]] = wanted
        return out

    def _read(self, records: np.ndarray) -> np.ndarray:
        """Signatures from the store (``SignatureStore.rows`` when the store has it: one gather instead of a
        read per record)."""
        rows = getattr(self.store, "rows", None)
        if rows is not None:
            data = rows(records)
        else:
            data = np.frombuffer(b"".join(self.store.read(k) for k in records.tolist()), dtype=np.uint8)
        return data.view("<u4").reshape(len(records), self.num_perm)

    def similar(self, block: np.ndarray, first: int) -> dict[int, list[tuple[int, int]]]:
        """For each document of ``block`` (visited from the ``first``-th on): the members of its groups
        visited before it, kept or not decided yet, that are similar enough and really share a band (equal
        band hashes only found them), with the number of equal signature values. Compared ``_PAIRS``
        candidates at a time (a group larger than that at once)."""
        out: dict[int, list[tuple[int, int]]] = {}
        g = self.place[block]
        query, band = np.nonzero(g >= 0)  # by query, so pairs of one query stay together (mostly)
        if not len(query):
            return out
        at = g[query, band].astype(np.int64)
        lo = self.starts[np.searchsorted(self.starts, at, "right") - 1]
        lengths = at - lo  # the members before the query: its group's, in visiting order
        ends = np.cumsum(lengths)
        start = 0
        while start < len(query):
            stop = max(start + 1, int(np.searchsorted(ends, ends[start] - lengths[start] + _PAIRS, "right")))
            self._compare(block[query[start:stop]], lo[start:stop], lengths[start:stop], first, out)
            start = stop
        return out

    def _compare(self, owners: np.ndarray, lo: np.ndarray, lengths: np.ndarray, first: int,
                 out: dict[int, list[tuple[int, int]]]) -> None:
        """``similar`` for one run of (query, group) entries: ``owners`` the queries, ``lo``/``lengths``
        their groups' members in ``members``."""
        total = int(lengths.sum())
        offsets = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        cand = self.members[offsets].astype(np.int64)
        owner = np.repeat(owners, lengths).astype(np.int64)
        # kept, or not decided yet (visited in this block, before the query)
        possible = (self.visit_rank[cand] >= first) | self.kept_in[cand]
        pair = np.unique(owner[possible] * len(self.sig) + cand[possible])  # once per pair, by query
        if not len(pair):
            return
        owner, cand = np.divmod(pair, len(self.sig))
        queries, which = np.unique(owner, return_inverse=True)
        m = len(pair)
        # into buffers kept between calls (fresh arrays this large would be new pages each time)
        theirs = self._signatures(self.sig[cand], self._buffer("theirs", m, np.uint32))
        mine = self._signatures(self.sig[queries], self._buffer("mine", len(queries), np.uint32))
        same = np.equal(theirs, np.take(mine, which.reshape(-1), axis=0, out=self._buffer("expanded", m, np.uint32)),
                        out=self._buffer("same", m, np.bool_))
        equal = np.add.reduce(same, axis=1)
        ok = np.flatnonzero(equal >= self.min_equal)
        if len(ok):  # similar enough: is a band really shared?
            span = self.bands * self.rows
            ok = ok[same[ok, :span].reshape(len(ok), self.bands, self.rows).all(axis=2).any(axis=1)]
        for o, c, e in zip(owner[ok].tolist(), cand[ok].tolist(), equal[ok].tolist(), strict=True):
            out.setdefault(o, []).append((c, e))

    def best(self, p: int, pairs: list[tuple[int, int]], run: np.ndarray, key_rank: np.ndarray
             ) -> tuple[int, int] | None:
        """The kept document ``p`` is a near-duplicate of, with the number of equal signature values, among
        ``p``'s ``similar`` pairs: the most equal values, then one of another run, then the smallest key."""
        kept = [(c, e) for c, e in pairs if self.kept_in[c]]
        if len(kept) <= 1:
            return kept[0] if kept else None
        mine = run[p]
        return min(kept, key=lambda ce: (-ce[1], bool(run[ce[0]] == mine), int(key_rank[ce[0]])))


def _band_hashes(store: SignatureStore, count: int, num_perm: int, bands: int, rows: int) -> np.ndarray:
    """A 64-bit hash per band of every stored signature (equal bands, equal hashes; the converse is
    checked when verifying)."""
    out = np.empty((count, bands), dtype=np.uint64)
    for start in range(0, count, _CHUNK):
        m = min(_CHUNK, count - start)
        sigs = np.frombuffer(store.read(start, m), dtype="<u4").reshape(m, num_perm)
        v = sigs[:, : bands * rows].reshape(m, bands, rows).astype(np.uint64)
        h = np.broadcast_to((np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _K1, (m, bands)).copy()
        for r in range(rows):
            h = (h ^ v[:, :, r]) * _K2
            h ^= h >> _S29
        out[start : start + m] = h
    return out


def _groups(rows: np.ndarray) -> np.ndarray:
    """Group number per row of a 2-D array (equal rows, equal numbers)."""
    idx = np.lexsort(rows.T[::-1])
    s = rows[idx]
    new = np.ones(len(s), dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    out = np.empty(len(s), dtype=np.int64)
    out[idx] = np.cumsum(new) - 1
    return out


def _runs(same: np.ndarray) -> Iterator[tuple[int, int]]:
    """From the indexes ``i`` where item ``i + 1`` equals item ``i``: (start, stop) of each run of equals."""
    start = prev = int(same[0])
    for i in same[1:].tolist():
        if i != prev + 1:
            yield start, prev + 2
            start = i
        prev = i
    yield start, prev + 2
