"""Where output goes: one small protocol, a local-directory and an S3 implementation with the same layout."""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit


class Storage(Protocol):
    """Keys are ``/``-separated paths relative to the storage root (a directory or an S3 prefix)."""

    uri: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str = "") -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...
    def delete_many(self, keys: Iterable[str]) -> None:
        """``delete`` of each key (S3: up to 1,000 keys per request)."""
        ...
    def url_of(self, key: str) -> str: ...


def check_key(key: str) -> str:
    """Refuse keys that could escape the root (absolute, ``..`` parts, backslashes, NUL) or exceed S3's 1024 bytes."""
    parts = key.split("/")  # not PurePosixPath(key).parts: it drops "." parts
    if not key or key.startswith("/") or "\\" in key or "\x00" in key or ".." in parts or "." in parts \
            or len(key.encode("utf-8", "surrogatepass")) > 1024:
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


class LocalStorage:
    """A directory. Writes are atomic (temporary file, then rename), like an S3 PUT."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        # walk only the directory the prefix points into, not the whole tree
        base = self.root / check_key(prefix.rsplit("/", 1)[0]) if "/" in prefix.strip("/") else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.delete(key)

    def url_of(self, key: str) -> str:
        return str(self._path(key))


@dataclass(frozen=True)
class S3Options:
    """How to reach an S3-compatible endpoint. Unset values fall back to boto3's usual sources
    (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``~/.aws/config`` ...)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    addressing_style: str | None = None
    """``path`` or ``virtual``; default: ``path`` with a custom endpoint, else boto3's choice."""

    def __repr__(self) -> str:  # never print secrets
        return f"S3Options(endpoint_url={self.endpoint_url!r}, region={self.region!r})"


_CLIENT_ENV = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID",
               "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def s3_client(options: S3Options) -> Any:
    """A boto3 S3 client, shared per options and AWS environment (clients are thread-safe and costly to make:
    every task and reader call opens a storage)."""
    return _cached_client(options, tuple(os.environ.get(k) for k in _CLIENT_ENV))


@functools.lru_cache(maxsize=16)
def _cached_client(options: S3Options, _env: tuple[str | None, ...]) -> Any:
    return _new_client(options)


def _new_client(options: S3Options) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    style = options.addressing_style or ("path" if endpoint else "auto")
    session = boto3.session.Session(
        aws_access_key_id=options.access_key_id,
        aws_secret_access_key=options.secret_access_key,
        region_name=options.region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        or "us-east-1",
    )
    return session.client(
        "s3",
        endpoint_url=endpoint,
        config=BotoConfig(
            s3={"addressing_style": style},
            retries={"max_attempts": 8, "mode": "adaptive"},
            connect_timeout=10,
            read_timeout=60,
        ),
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket/prefix URI: {uri!r}")
    return parts.netloc, parts.path.strip("/")


class S3Storage:
    """An S3 prefix on any S3-compatible endpoint (AWS, MinIO, SeaweedFS, ...)."""

    def __init__(self, uri: str, options: S3Options | None = None, *, create_bucket: bool = False) -> None:
        self.bucket, self.prefix = split_s3_uri(uri)
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.client = s3_client(options or S3Options())
        if create_bucket:
            self.ensure_bucket()

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        return bytes(body.read())

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def list(self, prefix: str = "") -> Iterator[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=root + prefix):
            for obj in page.get("Contents", []):
                yield obj["Key"][len(root):]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    DELETE_BATCH = 1000
    """Keys per DeleteObjects request (S3's limit)."""

    def delete_many(self, keys: Iterable[str]) -> None:
        """Like ``delete`` of each key (a missing key is no error), in DeleteObjects requests."""
        names = [self._key(key) for key in keys]
        for start in range(0, len(names), self.DELETE_BATCH):
            batch = [{"Key": name} for name in names[start : start + self.DELETE_BATCH]]
            reply = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if errors := reply.get("Errors"):
                e = errors[0]
                raise OSError(f"could not delete {len(errors)} objects, e.g. {e.get('Key')!r}: "
                              f"{e.get('Code')} {e.get('Message')}")

    def url_of(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def open_storage(uri: str, options: S3Options | None = None, *, create: bool = False) -> Storage:
    """``s3://bucket/prefix`` → S3Storage; anything else is a local directory."""
    if uri.startswith("s3://"):
        return S3Storage(uri, options, create_bucket=create)
    if "://" in uri and not uri.startswith("file://"):
        raise ValueError(f"unsupported destination scheme: {uri!r} (use a directory or s3://bucket/prefix)")
    return LocalStorage(uri.removeprefix("file://"))


def arrow_filesystem(uri: str, options: S3Options | None = None) -> tuple[Any, str]:
    """A pyarrow filesystem and base path for ``uri``, configured like the boto3 client (for datasets)."""
    from pyarrow import fs

    if not uri.startswith("s3://"):
        return fs.LocalFileSystem(), str(Path(uri.removeprefix("file://")).expanduser().resolve())
    options = options or S3Options()
    bucket, prefix = split_s3_uri(uri)
    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, Any] = {
        "region": options.region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        or "us-east-1",
    }
    if options.access_key_id:
        kwargs.update(access_key=options.access_key_id, secret_key=options.secret_access_key)
    if endpoint:
        parts = urlsplit(endpoint)
        kwargs.update(endpoint_override=parts.netloc or endpoint, scheme=parts.scheme or "https")
        kwargs["force_virtual_addressing"] = options.addressing_style == "virtual"
    return fs.S3FileSystem(**kwargs), f"{bucket}/{prefix}".rstrip("/")
