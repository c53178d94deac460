"""Storage credentials from a Prefect block, so deployments carry a block *name*, never a key.

A run finds its S3 endpoint and keys in one of two places:

- a ``presswash-s3`` block named by the flow parameter ``credentials_block`` (keys are ``SecretStr``: the API
  stores them as secrets and the UI, logs and ``repr`` show them masked);
- otherwise boto3's standard sources: ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
  ``~/.aws/config`` ...

Save a block from the current AWS environment variables (nothing secret on the command line)::

    python -m flows.credentials save NAME [--endpoint-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from .storage import S3Options

BLOCK_TYPE_SLUG = "presswash-s3"


class PresswashS3(Block):
    """Where presswash reads and writes S3-compatible storage (AWS, MinIO, SeaweedFS ...)."""

    _block_type_name = "Presswash S3"
    _block_type_slug = BLOCK_TYPE_SLUG
    _description = "Endpoint, region and keys for presswash's S3-compatible storage."

    endpoint_url: str | None = Field(default=None, description="e.g. http://minio:9000; empty means AWS")
    region: str | None = Field(default=None, description="default: us-east-1")
    access_key_id: SecretStr | None = Field(default=None, description="empty: boto3's usual sources")
    secret_access_key: SecretStr | None = Field(default=None, description="empty: boto3's usual sources")
    addressing_style: str | None = Field(default=None, description="'path' or 'virtual'")

    def s3_options(self) -> S3Options:
        return S3Options(
            endpoint_url=self.endpoint_url or None,
            region=self.region or None,
            access_key_id=self.access_key_id.get_secret_value() if self.access_key_id else None,
            secret_access_key=self.secret_access_key.get_secret_value() if self.secret_access_key else None,
            addressing_style=self.addressing_style or None,
        )


def block_name(ref: str) -> str:
    """``NAME`` or ``presswash-s3/NAME`` → ``NAME``."""
    slug, _, name = ref.rpartition("/")
    if slug and slug != BLOCK_TYPE_SLUG:
        raise ValueError(f"credentials block {ref!r} is not a {BLOCK_TYPE_SLUG} block")
    if not name:
        raise ValueError("empty credentials block name")
    return name


def resolve_s3_options(endpoint_url: str | None = None, credentials_block: str | None = None) -> S3Options:
    """S3Options from the named block (an explicit ``endpoint_url`` wins), else from the environment."""
    if not credentials_block:
        return S3Options(endpoint_url=endpoint_url)
    loaded = PresswashS3.load(block_name(credentials_block), _sync=True)  # type: ignore[call-arg]
    assert isinstance(loaded, PresswashS3)
    options = loaded.s3_options()
    if endpoint_url:
        options = S3Options(
            endpoint_url=endpoint_url,
            region=options.region,
            access_key_id=options.access_key_id,
            secret_access_key=options.secret_access_key,
            addressing_style=options.addressing_style,
        )
    return options


def save_from_env(name: str, endpoint_url: str | None = None, overwrite: bool = True) -> PresswashS3:
    """Save a block from ``AWS_*`` variables of this process (for operators; keys never pass argv)."""
    env = os.environ
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    block = PresswashS3(
        endpoint_url=endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL"),
        region=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION"),
        access_key_id=SecretStr(key_id) if key_id else None,
        secret_access_key=SecretStr(secret) if secret else None,
    )
    block.save(name, overwrite=overwrite, _sync=True)  # type: ignore[call-arg]
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.credentials")
    sub = parser.add_subparsers(dest="command", required=True)
    save = sub.add_parser("save", help="save a presswash-s3 block from the AWS_* environment variables")
    save.add_argument("name")
    save.add_argument("--endpoint-url", help="default: $AWS_ENDPOINT_URL")
    args = parser.parse_args(argv)
    block = save_from_env(args.name, args.endpoint_url)
    print(f"saved {BLOCK_TYPE_SLUG}/{args.name} (endpoint {block.endpoint_url or 'AWS'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
