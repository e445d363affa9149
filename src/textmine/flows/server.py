"""The Prefect server a command talks to: the configured one, one running here, or a temporary one.

Prefect runs a flow against an API server. With none configured it starts a
temporary one itself, but only once the flow starts, after importing the server's
code (several seconds) in the calling process as well. ``PrefectServer`` decides
before Prefect is imported:

1. ``PREFECT_API_URL`` is set (in the environment, or in the active Prefect
   profile): Prefect uses it, nothing to do;
2. a Prefect server answers at the local address ``prefect server start`` uses
   (``PREFECT_SERVER_API_HOST``:``PREFECT_SERVER_API_PORT``, default
   127.0.0.1:4200): the run uses it, and shows in its UI;
3. otherwise a temporary server (the same command Prefect's own temporary server
   runs) starts at once on a free port, while the caller imports Prefect and loads
   what the run needs, and stops when the command ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from ..errors import TextmineError

STARTUP_TIMEOUT = 60.0
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 4200


class ServerUnavailable(TextmineError):
    """The temporary Prefect server did not start."""


def configured_api_url(environ: dict[str, str] | None = None) -> str | None:
    """``PREFECT_API_URL`` from the environment or the active Prefect profile, without importing Prefect."""
    environ = os.environ if environ is None else environ
    if environ.get("PREFECT_API_URL"):
        return environ["PREFECT_API_URL"]
    home = Path(environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    return profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL") or None


def healthy(api_url: str, timeout: float = 0.5) -> bool:
    """Does a Prefect API answer its health check at ``api_url``?"""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200 and response.read().strip() == b"true"
    except (OSError, ValueError):  # refused, timed out, not HTTP (urllib.error.URLError is an OSError)
        return False


def local_api_url(environ: dict[str, str] | None = None) -> str:
    """The API address a local ``prefect server start`` listens on."""
    environ = os.environ if environ is None else environ
    host = environ.get("PREFECT_SERVER_API_HOST") or DEFAULT_HOST
    port = environ.get("PREFECT_SERVER_API_PORT") or DEFAULT_PORT
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/api"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the server process: be stopped when the command that started it dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_temporary_server(port: int, log) -> subprocess.Popen:
    """Start the API server Prefect itself starts as its temporary server (no UI), without waiting for it."""
    import importlib.util

    site = Path(importlib.util.find_spec("prefect").origin).parent.parent  # found, not imported
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
    command = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(site), "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on",
    ]
    return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            preexec_fn=_die_with_parent)


class PrefectServer:
    """The Prefect API for one command (see the module's docstring); enter it before importing Prefect.

    Examples
    --------
    >>> with PrefectServer() as server:  # doctest: +SKIP
    ...     from textmine.flows.pipeline import pipeline   # imported while a temporary server starts
    ...     with server.ready():
    ...         record = pipeline("corpus/sample", "outputs/sample")
    """

    def __init__(self, timeout: float = STARTUP_TIMEOUT) -> None:
        self.timeout = timeout
        self.api_url: str | None = None
        self.process: subprocess.Popen | None = None
        self._log = None
        self._saved_env: str | None = None

    def __enter__(self) -> "PrefectServer":
        if configured_api_url():
            return self
        local = local_api_url()
        if healthy(local):
            self.api_url = local
        else:
            port = free_port()
            self.api_url = f"http://127.0.0.1:{port}/api"
            self._log = tempfile.TemporaryFile()
            self.process = start_temporary_server(port, self._log)
        # Before Prefect is imported, the environment sets its process-wide default too.
        self._saved_env = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = self.api_url
        return self

    @property
    def starting(self) -> bool:
        """Is a temporary server starting up (so the caller has time to do other work)?"""
        return self.process is not None

    def ready(self) -> AbstractContextManager:
        """Wait for a temporary server to answer, then a context in which Prefect uses this API."""
        if self.api_url is None:
            return nullcontext()
        if self.process is not None:
            self._wait()
        from prefect.settings import PREFECT_API_URL, temporary_settings

        return temporary_settings(updates={PREFECT_API_URL: self.api_url})

    def _wait(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not healthy(self.api_url, timeout=1.0):
            if self.process.poll() is not None:
                self._log.seek(0)
                last = self._log.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                raise ServerUnavailable(
                    f"the temporary Prefect server exited ({' '.join(last) or self.process.returncode}): "
                    "start one with `prefect server start` and set PREFECT_API_URL"
                )
            if time.monotonic() > deadline:
                raise ServerUnavailable(f"the temporary Prefect server did not answer within {self.timeout:g} s: "
                                        "start one with `prefect server start` and set PREFECT_API_URL")
            time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        if self.api_url is not None:
            if self._saved_env is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = self._saved_env
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._log.close()
