"""Exact and near-duplicate detection: keys per document, then one deterministic decision over a set.

Pure: no I/O. Two keys per cleaned document:

- ``norm_sha256``: SHA-256 of the normalised text (NFKC, case-folded, words only) — exact duplicates;
- a MinHash signature over word shingles (fixed seed, own NumPy implementation) — near-duplicates,
  estimated Jaccard similarity.

``decide`` looks at every candidate of a run at once, plus the documents already published by earlier runs,
and its answer depends neither on input order nor on batching: candidates are visited in the order of their
``(text_sha256, id, ...)`` key and each either stays or becomes the duplicate of a document kept before it
(earlier runs first). A duplicate is always similar to the kept document itself (no chains through a
third document).

    >>> a = keys("The cat sat on the mat, and then the cat slept on the mat all day long.")
    >>> b = keys("The cat sat on the mat, and then the cat slept on the mat all day long!")
    >>> a.norm_sha256 == b.norm_sha256
    True
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .dedup_words import normalised_words

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class DedupConfig:
    """Every knob of duplicate detection. The defaults are documented in docs/output.md."""

    enabled: bool = True
    near: bool = True
    """Also detect near-duplicates (MinHash/LSH); off: exact duplicates only."""
    threshold: float = 0.8
    """Estimated Jaccard similarity of word shingles at or above which two documents are near-duplicates.
    Syndicated copies that share a paragraph or two stay well below (the sample articles: ~0.05)."""
    shingle_words: int = 5
    num_perm: int = 128
    seed: int = 1
    """MinHash seed: fixed, so signatures are comparable across runs."""

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("dedup threshold must be in (0, 1]")
        if self.shingle_words < 1 or self.num_perm < 8:
            raise ValueError("shingle_words must be >= 1 and num_perm >= 8")

    def to_dict(self) -> dict[str, object]:
        names = ("enabled", "near", "threshold", "shingle_words", "num_perm", "seed")
        return {k: getattr(self, k) for k in names}


@dataclass(frozen=True)
class Keys:
    norm_sha256: str
    minhash: bytes
    """``num_perm`` little-endian uint32 values; empty when near-duplicate detection is off."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One document to decide on. ``order`` is its tie-break key after (text_sha256, id)."""

    id: str
    text_sha256: str
    norm_sha256: str
    minhash: bytes
    run_id: str = ""
    order: str = ""

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.text_sha256, self.id, self.order)


@dataclass(frozen=True)
class Duplicate:
    """The decision for a duplicate: which document was kept, how, and how similar (1.0 when exact)."""

    kept_id: str
    kept_run_id: str
    kind: str
    """``exact`` (same normalised text) or ``near`` (estimated similarity >= threshold)."""
    similarity: float


def normalise(text: str) -> list[str]:
    """The words of a text, NFKC-normalised and case-folded: punctuation and spacing do not count.

    The definition: ``keys`` finds the same words faster, in UTF-8 (``dedup_words.normalised_words``)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.casefold())


_SHIFT = np.uint64(32)
_ROLL = np.uint64(0x9E3779B97F4A7C15)   # odd constants: combine word hashes, then fold to 32 bits
_FOLD = np.uint64(0xBF58476D1CE4E5B9)
_CHUNK_HASHES = 1024
_buffers = threading.local()


def _products_buffer(num_perm: int) -> np.ndarray:
    """Scratch space for num_perm x _CHUNK_HASHES MinHash products, one per thread, reused: a fresh
    array per document (~1 MB) would come from mmap (glibc's threshold; flows.memory fixes it at 256 kB)
    and be faulted in page by page every time, which cost more than the products themselves."""
    buffer: np.ndarray | None = getattr(_buffers, "products", None)
    if buffer is None or len(buffer) < num_perm * _CHUNK_HASHES:
        buffer = _buffers.products = np.empty(num_perm * _CHUNK_HASHES, dtype=np.uint64)
    return buffer


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``num_perm`` hash functions h(x) = ((a·x + b) mod 2^64) >> 32 (multiply-add-shift, a odd), their
    parameters derived from SHA-256 of the seed: the same on every machine and NumPy version."""
    words = [int.from_bytes(hashlib.sha256(f"presswash-minhash:{seed}:{i}".encode()).digest()[:16], "little")
             for i in range(num_perm)]
    a = np.array([(w & 0xFFFFFFFFFFFFFFFF) | 1 for w in words], dtype=np.uint64)
    b = np.array([w >> 64 for w in words], dtype=np.uint64)
    return a[:, None], b[:, None]


def _shingles(words: Sequence[bytes], n: int) -> np.ndarray:
    """32-bit hashes of every word n-gram in text order, repeats included (rolling combination of the
    words' CRC-32 of their UTF-8). Computed in place: the same values as ``(acc * ROLL + w) ...`` step by step."""
    wh = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    n = min(n, len(wh))
    m = len(wh) - n + 1
    acc = wh[:m].copy()  # 0 * ROLL + w == w: the first step of the rolling combination
    for j in range(1, n):
        acc *= _ROLL
        acc += wh[j : j + m]
    acc *= _FOLD
    acc >>= _SHIFT
    return acc


def shingle_hashes(words: Sequence[str], n: int) -> np.ndarray:
    """32-bit hashes of the distinct word n-grams (rolling combination of CRC-32 word hashes), sorted."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    return np.unique(_shingles([w.encode("utf-8") for w in words], n))


def minhash(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The MinHash signature (``num_perm`` uint32) of a set of 32-bit hashes; all 0xFFFFFFFF when empty.

    Repeated hashes do not change it (a minimum), so ``hashes`` need not be distinct. The shift is taken
    after the minimum: ``y >> 32`` is monotone, so ``min(y) >> 32 == min(y >> 32)`` (one pass less over
    the ``num_perm`` x ``len(hashes)`` products, which are computed in place)."""
    if not len(hashes):
        return np.full(num_perm, 0xFFFFFFFF, dtype="<u4")
    a, b = _permutations(num_perm, seed)
    buffer = _products_buffer(num_perm)
    low: np.ndarray | None = None
    for start in range(0, len(hashes), _CHUNK_HASHES):
        chunk = hashes[start : start + _CHUNK_HASHES]
        products = buffer[: num_perm * len(chunk)].reshape(num_perm, len(chunk))  # contiguous
        np.multiply(a, chunk[None, :], out=products)  # mod 2^64, as uint64 arithmetic wraps
        products += b
        part = products.min(axis=1)
        low = part if low is None else np.minimum(low, part, out=low)
    assert low is not None
    return (low >> _SHIFT).astype("<u4")


def keys(text: str, config: DedupConfig | None = None) -> Keys:
    """The duplicate keys of one cleaned text."""
    config = config or DedupConfig()
    words, joined = normalised_words(text)  # normalise(text), in UTF-8
    norm = hashlib.sha256(joined).hexdigest()
    if not config.near:
        return Keys(norm, b"")
    shingles = _shingles(words, config.shingle_words) if words else np.zeros(0, dtype=np.uint64)
    signature = minhash(shingles, config.num_perm, config.seed)  # repeats need no np.unique: a minimum
    return Keys(norm, signature.tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal MinHash values)."""
    x, y = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    if len(x) != len(y) or not len(x):
        return 0.0
    return float(np.count_nonzero(x == y)) / len(x)


def bands_for(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands × rows: the most rows per band (fewest spurious candidates) that still finds a pair at
    the threshold with probability >= 99.5%. Candidates are verified on the full signature."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= 0.995:
            best = (bands, rows)
    return best


def decide(
    candidates: Iterable[Candidate], config: DedupConfig | None = None, *, prior: Iterable[Candidate] = ()
) -> dict[tuple[str, str, str], Duplicate]:
    """Which candidates are duplicates, keyed by ``Candidate.sort_key``; the others are kept.

    ``prior`` are documents published by earlier runs: they are always kept (they cannot be unwritten),
    so a new document similar to one of them is its duplicate. Among new documents the one with the
    smallest ``(text_sha256, id, order)`` is kept. The same candidates give the same decisions whatever
    their order or grouping.

    Candidates are visited by key (earlier runs first, by run id); each one is the exact duplicate of the
    first kept document with its normalised text, else the near duplicate of the most similar kept
    document sharing an LSH band (similarity >= threshold; ties: another run's first, then the smaller
    key), else kept. ``text_sha256``/``norm_sha256`` are SHA-256 hex digests. Large runs use
    ``dedup_table.CandidateTable`` directly (signatures outside memory, decisions by position).
    """
    from .dedup_table import CandidateTable  # it imports this module

    config = config or DedupConfig()
    table = CandidateTable(config)
    new = [table.add_candidate(c) for c in candidates]
    for c in prior:
        table.add_candidate(c, prior=True)
    table.decide()
    return {table.sort_key(p): dup for p in new if (dup := table.duplicate(p)) is not None}
