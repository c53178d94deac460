"""An S3 prefix (any S3-compatible endpoint): the same formats as local directories, streamed.

Objects are listed under the prefix (sorted by key, as S3 lists them) and read as streams, so a
multi-GB ``.jsonl.zst`` never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..storage import S3Options, s3_client, split_s3_uri
from .base import FieldMap, Item, ReadFailure
from .local import kind_of, read_stream, strip_suffix


class S3Source:
    """Every supported object under ``s3://bucket/prefix`` (or one object when the URI names it)."""

    def __init__(self, uri: str, fields: FieldMap | None = None, options: S3Options | None = None) -> None:
        self.bucket, self.prefix = split_s3_uri(uri)
        self.uri = uri
        self.fields = fields or FieldMap()
        self.client: Any = s3_client(options or S3Options())

    def keys(self) -> list[str]:
        """Supported keys under the prefix (a key equal to the prefix counts, so one object works too)."""
        root = self.prefix
        if root and kind_of(root) is None:
            root = root.rstrip("/") + "/"
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=root):
            keys.extend(obj["Key"] for obj in page.get("Contents", []) if kind_of(obj["Key"]) is not None)
        if not keys and self.prefix:
            raise FileNotFoundError(f"no supported objects under s3://{self.bucket}/{self.prefix}")
        return sorted(keys)

    def __iter__(self) -> Iterator[Item]:
        from botocore.exceptions import BotoCoreError, ClientError

        base = self.prefix.rstrip("/") + "/" if self.prefix and kind_of(self.prefix) is None else ""
        for key in self.keys():
            inside = key[len(base):] if base and key.startswith(base) else key.rsplit("/")[-1]
            rel = strip_suffix(inside)
            name = f"s3://{self.bucket}/{key}"
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
                try:
                    yield from read_stream(body, name, rel, self.fields)
                finally:
                    body.close()
            except (ClientError, BotoCoreError, OSError) as exc:
                yield ReadFailure(rel, name, "read-failed", f"{type(exc).__name__}: {exc}")
