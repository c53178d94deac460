"""MinHash signatures of a run's dedup decision, spooled to a local temporary file.

``cleaners.dedup_table.CandidateTable`` keeps per document only its keys and band groups; the 512-byte
signatures (100 MB for 200,000 documents) are written here once and read back with ``os.pread`` to hash
the bands, and through a read-only memory map to verify candidate pairs (``rows``: one gather per query
instead of one ``pread`` per candidate). Reads go through the page cache; the mapped pages a process has
touched count in its RSS, so they are dropped from the mapping (``MADV_DONTNEED``, the page cache keeps
them) after every ``RELEASE_ROWS`` records read: at most ~4 MB of the file is ever resident in the process.
"""

from __future__ import annotations

import mmap
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
        self._map: mmap.mmap | None = None
        self._view: np.ndarray | None = None
        self._read_rows = 0

    RELEASE_ROWS = 1024
    """Records read through the map between two releases of its pages (each may touch a 4 kB page)."""

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
        """Records ``records`` (numbers, each in ``0 .. count - 1``) as a ``(len(records), width)`` uint8 array."""
        if self._view is None or len(self._view) != self.count:
            self._unmap()
            self._flush()
            if not self.count:
                return np.zeros((len(records), self.width), dtype=np.uint8)[records]  # IndexError if any
            self._map = mmap.mmap(self.file.fileno(), self.count * self.width, access=mmap.ACCESS_READ)
            self._view = np.frombuffer(self._map, dtype=np.uint8).reshape(self.count, self.width)
        if len(records) and int(records.min()) < 0:
            raise IndexError(f"signature {int(records.min())} of {self.count}")
        out = self._view[records]  # a copy
        self._read_rows += len(records)
        if self._read_rows >= self.RELEASE_ROWS and self._map is not None:
            self._map.madvise(mmap.MADV_DONTNEED)
            self._read_rows = 0
        return out

    def _unmap(self) -> None:
        self._view = None
        if self._map is not None:
            self._map.close()
            self._map = None

    def close(self) -> None:
        self._unmap()
        self.file.close()

    def __enter__(self) -> FileSignatures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
