"""``presswash run`` as a separate process that a test can watch batch by batch and SIGKILL mid-run.

The child talks to the test session's Prefect API (no ephemeral server of its own, so it starts fast) and
reports progress on stderr (the CLI prints ``cleaned N documents in B batches`` after each batch).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PROGRESS = re.compile(r"cleaned (\d+) documents in (\d+) batches")


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child run: this worktree first on the path, the current Prefect API."""
    import prefect.settings

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    api = prefect.settings.PREFECT_API_URL.value()
    if api:
        env["PREFECT_API_URL"] = str(api)
    env.update(extra or {})
    return env


class FlowProcess:
    """One ``presswash run SOURCE DEST ...`` child process, its progress and its output."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self.args = [sys.executable, "-m", "flows.cli", "run", *args]
        self.env = child_env(env)
        self.batches = 0
        self.docs = 0
        self.stderr_lines: list[str] = []
        self.stdout = ""
        self._progress = threading.Condition()
        self.proc: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []

    def start(self) -> FlowProcess:
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,  # its own process group: a kill reaches any helper it started
        )
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True),
                         threading.Thread(target=self._read_stdout, daemon=True)]
        for t in self._readers:
            t.start()
        return self

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._progress:
                self.stderr_lines.append(line)
                if m := _PROGRESS.search(line):
                    self.docs, self.batches = int(m.group(1)), int(m.group(2))
                self._progress.notify_all()
        with self._progress:
            self._progress.notify_all()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_for_batches(self, k: int, timeout: float = 120.0) -> bool:
        """Block until at least ``k`` batches are reported done; False if the process ended first."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while self.batches < k:
                if not self.running:
                    return self.batches >= k
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {k} batches within {timeout}s: {self.stderr}")
                self._progress.wait(min(left, 0.2))
        return True

    def kill(self) -> None:
        """SIGKILL the run's process group: no cleanup handler of the run gets to execute."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        for t in self._readers:
            t.join(timeout=10)

    def wait(self, timeout: float = 180.0) -> int:
        assert self.proc is not None
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        for t in self._readers:
            t.join(timeout=10)
        return self.proc.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)


def run_to_end(args: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 180.0) -> FlowProcess:
    """Run ``presswash run`` to completion in a child process; the caller checks ``proc.returncode``."""
    fp = FlowProcess(args, env).start()
    fp.wait(timeout)
    return fp
