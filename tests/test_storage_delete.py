"""Storage.delete_many deletes exactly the keys given (S3: in DeleteObjects requests of at most 1,000)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import s3_options

from flows import output
from flows.local_s3 import LocalS3Server
from flows.storage import LocalStorage, S3Storage, Storage


def _check(storage: Storage) -> None:
    keep = ["a/x.json", "b/keep.txt", "ab/c.txt"]
    drop = [f"a/{i:04d}.bin" for i in range(7)] + ["a/deep/er/k.txt"]
    for key in keep + drop:
        storage.put(key, key.encode())
    storage.delete_many([*drop[:3], "a/missing.txt"])  # a missing key is no error, as with delete
    assert sorted(storage.list("a/")) == sorted(["a/x.json", *drop[3:]])
    output.delete_prefix(storage, "a/")
    assert sorted(storage.list()) == sorted(["ab/c.txt", "b/keep.txt"])
    assert storage.get("ab/c.txt") == b"ab/c.txt"
    storage.delete_many([])


def test_delete_many_local(tmp_path: Path) -> None:
    _check(LocalStorage(tmp_path))


def test_delete_many_s3(s3_server: LocalS3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = S3Storage(f"s3://{s3_bucket}/out", s3_options(s3_server))
    monkeypatch.setattr(S3Storage, "DELETE_BATCH", 3)  # several requests
    calls: list[int] = []
    real = storage.client.delete_objects

    def counting(**kwargs: object) -> object:
        calls.append(len(kwargs["Delete"]["Objects"]))  # type: ignore[index]
        return real(**kwargs)

    monkeypatch.setattr(storage.client, "delete_objects", counting)
    _check(storage)
    assert calls and max(calls) <= 3
