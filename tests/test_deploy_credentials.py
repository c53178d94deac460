"""Operators save the storage block from their environment; runs load it by name; secrets stay masked."""

from __future__ import annotations

import uuid

import pytest

from flows.credentials import PresswashS3, main, resolve_s3_options


def test_save_from_environment_and_resolve(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"ops-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key-id-123")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value-xyz")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")

    assert main(["save", name]) == 0
    assert "s3cr3t-value-xyz" not in capsys.readouterr().out

    for var in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var)
    options = resolve_s3_options(None, f"presswash-s3/{name}")
    assert (options.endpoint_url, options.region) == ("http://127.0.0.1:9000", "eu-west-3")
    assert (options.access_key_id, options.secret_access_key) == ("key-id-123", "s3cr3t-value-xyz")
    assert "s3cr3t-value-xyz" not in repr(options)
    assert "s3cr3t-value-xyz" not in repr(PresswashS3.load(name))

    moved = resolve_s3_options("http://127.0.0.1:9100", name)  # an explicit endpoint wins, keys stay
    assert moved.endpoint_url == "http://127.0.0.1:9100" and moved.secret_access_key == "s3cr3t-value-xyz"
    assert resolve_s3_options("http://127.0.0.1:9100", None).access_key_id is None  # no block: boto3's sources
