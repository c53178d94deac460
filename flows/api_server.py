"""Prefect's temporary API server for ``presswash run``, started without importing the server's code here.

When no API URL is configured, Prefect starts a temporary ("ephemeral") API server the first time a client
is needed: ``prefect.server.api.server.SubprocessASGIServer`` runs uvicorn in a subprocess. Only to start
that subprocess, the flow process imports the whole server package (FastAPI, SQLAlchemy, the server's
models and schemas): ~75 MB of resident memory and ~3 s of CPU in the process that runs the flow, though
the server itself runs elsewhere.

``TemporaryServer`` starts the same server (same command, same environment, same port range and retry
when a port is taken) before the CLI imports the flow, and points this process's Prefect settings at it,
as if the user had run ``prefect server start``: the server starts while Prefect is being imported, and
the flow process never imports the server's code. With an API URL configured, or the ephemeral server
disabled, nothing is started and Prefect behaves as before.
"""

from __future__ import annotations

import atexit
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from . import children

PORTS = range(8000, 9000)
"""Prefect's own range for its temporary server."""
_PORT_TAKEN = 3
"""uvicorn's exit code when the port is taken: try another one."""


def _free_port() -> int:
    for _ in range(10):
        port = random.choice(PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for Prefect's temporary API server")


class TemporaryServer:
    """Prefect's temporary API server in a subprocess (the command ``SubprocessASGIServer`` runs)."""

    def __init__(self, settings: Any) -> None:
        import prefect

        self.timeout = float(settings.server.ephemeral.startup_timeout_seconds)
        self.env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            **settings.to_environment_variables(exclude_unset=True),
        }
        self.app_dir = str(Path(prefect.__file__).parent)
        self.port = _free_port()
        self.process = self._spawn()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", self.app_dir, "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=self.env, preexec_fn=children.die_with_parent,
        )

    def wait_ready(self) -> None:
        """Block until the server answers its health check (as Prefect does before its first request)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == _PORT_TAKEN:
                self.port = _free_port()
                self.process = self._spawn()
            elif code is not None:
                raise RuntimeError(f"Prefect's temporary API server exited with code {code}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Prefect's temporary API server did not start within {self.timeout:.0f}s")

    def stop(self) -> None:
        children.stop(self.process, 5)


def start_if_needed() -> TemporaryServer | None:
    """Start Prefect's temporary API server when Prefect would start one (no API URL configured, the
    ephemeral server allowed), and use it for the rest of this process; else None.

    Call before the flow's modules are imported. The server stops when this process exits (after
    Prefect has sent its last events and logs, like Prefect's own temporary server)."""
    if "prefect.server.api.server" in sys.modules:  # Prefect's own machinery is already loaded
        return None
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        return None
    server = TemporaryServer(settings)
    atexit.register(server.stop)  # registered before Prefect's own exit handlers, so it runs after them
    os.environ["PREFECT_API_URL"] = server.api_url
    refresh_global_settings_context()
    return server
