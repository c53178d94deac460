"""The throwaway S3 server never outlives the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import sys
from flows.local_s3 import LocalS3Server
server = LocalS3Server().start()
print(server.proc.pid, flush=True)
sys.stdin.read()  # wait to be killed
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux-only")
def test_server_dies_with_a_killed_parent() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    parent = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env=env, cwd=ROOT)
    assert parent.stdout is not None
    weed = int(parent.stdout.readline())
    assert _alive(weed)
    parent.send_signal(signal.SIGKILL)  # no cleanup code runs in the parent
    parent.wait()
    deadline = time.monotonic() + 15
    while _alive(weed) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(weed):
        os.kill(weed, signal.SIGKILL)
        pytest.fail("the S3 server outlived the process that started it")
