"""MinHash signatures of a run's dedup decision, spooled to a local temporary file.

``cleaners.dedup_table.CandidateTable`` keeps per document only its keys and band groups; the 512-byte
signatures (100 MB for 200,000 documents) are written here once and read back with ``os.pread`` to hash
the bands and to verify candidate pairs (``rows``: the records a block of queries misses in the decision's
cache, one ``pread`` each). Reads go through the page cache, not the process's memory. Not through a
memory map: mapped pages count in the process's RSS and the kernel maps up to 16 pages around each fault, so
random reads of a 200,000-record file kept ~50-100 MB resident even when the map's pages were dropped
(``MADV_DONTNEED``) every 64-1,024 records read (benchmark 4's 200,000 documents: 487 -> 527 MB).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np


class FileSignatures:
    """A ``cleaners.dedup_table.SignatureStore`` in an unnamed temporary file (gone when closed)."""

    def __init__(self, width: int, directory: str | None = None) -> None:
        self.width = width
        self.file = tempfile.TemporaryFile(prefix="presswash-signatures-", dir=directory)  # noqa: SIM115 (closed in close)
        self.count = 0
        self._pending: list[bytes] = []

    def append(self, signature: bytes) -> None:
        if len(signature) != self.width:
            raise ValueError(f"signature of {len(signature)} bytes, expected {self.width}")
        self._pending.append(signature)
        self.count += 1
        if len(self._pending) >= 2048:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.file.write(b"".join(self._pending))
            self._pending = []
            self.file.flush()

    def read(self, index: int, count: int = 1) -> bytes:
        if index < 0 or index + count > self.count:
            raise IndexError(f"signatures {index}..{index + count - 1} of {self.count}")
        self._flush()
        data = os.pread(self.file.fileno(), count * self.width, index * self.width)
        if len(data) != count * self.width:
            raise OSError("short read from the signature spool")
        return data

    def rows(self, records: np.ndarray) -> np.ndarray:
        """``read`` of each record, as a ``(len(records), width)`` uint8 array: the checks and the flush once,
        then one ``pread`` per record (the decision's cache misses: ~190k at 50k documents)."""
        if len(records) and (int(records.min()) < 0 or int(records.max()) >= self.count):
            raise IndexError(f"signatures {int(records.min())}..{int(records.max())} of {self.count}")
        self._flush()
        fd, width, pread = self.file.fileno(), self.width, os.pread
        data = b"".join([pread(fd, width, k * width) for k in records.tolist()])
        if len(data) != len(records) * width:
            raise OSError("short read from the signature spool")
        return np.frombuffer(data, dtype=np.uint8).reshape(len(records), width)

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> FileSignatures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
