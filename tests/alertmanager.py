"""Fixtures with real components: a Prometheus Alertmanager process on loopback, and a webhook
receiver (a small threaded HTTP server) that Alertmanager notifies.

Import the fixtures into a test module (``from tests.alertmanager import alertmanager,
webhook``). Alertmanager runs with clustering off, its storage in tmp, ``group_wait`` and
``group_interval`` of 1s; :meth:`AlertmanagerProcess.stop` / ``start`` restart it on the same
port. Everything waits by polling with a deadline (:func:`wait_until`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest

__all__ = ["AlertmanagerProcess", "Webhook", "alertmanager", "wait_until", "webhook"]

T = TypeVar("T")
BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


def wait_until(check: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Webhook:
    """Collects the JSON bodies Alertmanager posts."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    owner.notifications.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def alerts(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every alert of every notification so far (optionally only firing/resolved ones)."""
        with self._lock:
            found = [a for n in self.notifications for a in n.get("alerts", [])]
        return [a for a in found if status is None or a.get("status") == status]

    def wait_for(
        self, pattern_hash: str, status: str = "firing", timeout: float = 10.0
    ) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for alert in self.alerts(status):
                if alert["labels"].get("pattern_hash") == pattern_hash:
                    return alert
            return None

        return wait_until(find, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class AlertmanagerProcess:
    """A real ``prometheus-alertmanager`` on 127.0.0.1:<port>, notifying ``hook_url``."""

    def __init__(self, workdir: Path, hook_url: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "alertmanager.yml"
        self.config.write_text(
            "route:\n"
            "  receiver: hook\n"
            "  group_by: ['alertname', 'pattern_hash', 'source']\n"
            "  group_wait: 1s\n"
            "  group_interval: 1s\n"
            "  repeat_interval: 1h\n"
            "receivers:\n"
            "  - name: hook\n"
            "    webhook_configs:\n"
            f"      - url: {hook_url}\n"
            "        send_resolved: true\n",
            encoding="utf-8",
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        assert self._process is None, "already running"
        self._log = open(self.workdir / "alertmanager.log", "ab")  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={self.config}",
                f"--storage.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        wait_until(self._ready, timeout=10)

    def _ready(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"alertmanager exited: {self.log()}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Kill it (SIGKILL: no graceful snapshot, as in a crash)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        path = self.workdir / "alertmanager.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def alerts(self) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``: active, silenced and inhibited (not resolved) alerts."""
        response = httpx.get(f"{self.url}/api/v2/alerts", timeout=5)
        response.raise_for_status()
        return list(response.json())

    def alert(self, pattern_hash: str) -> dict[str, Any] | None:
        for alert in self.alerts():
            if alert["labels"].get("pattern_hash") == pattern_hash:
                return alert
        return None

    def silences(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/v2/silences", timeout=5)
        response.raise_for_status()
        return list(response.json())


def _require_binary() -> None:
    if not os.path.exists(BINARY):
        pytest.fail(
            f"{BINARY} not found: the alerting tests need the real Alertmanager "
            "(apt-get install prometheus-alertmanager, or run .ci/run which installs it)"
        )


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    try:
        yield hook
    finally:
        hook.close()


@pytest.fixture
def alertmanager(tmp_path: Path, webhook: Webhook) -> Iterator[AlertmanagerProcess]:
    _require_binary()
    workdir = tmp_path / "alertmanager"
    workdir.mkdir()
    process = AlertmanagerProcess(workdir, webhook.url)
    process.start()
    try:
        yield process
    finally:
        process.stop()
