"""Servers the source tests talk to, all on loopback with free ports, all closed after use.

* :class:`FakeLoki` — Loki's ``GET /loki/api/v1/query_range`` as documented: string
  nanosecond timestamps, ``streams`` results, ``start`` inclusive and ``end`` exclusive, the
  earliest ``limit`` entries across streams for ``direction=forward``. It checks the query
  parameters it receives (400 on anything Loki would refuse) and records every request.
* :class:`MetricsEndpoint` — a ``/metrics`` page in the text exposition format, changeable.
* :class:`JsonApi` — a JSON records API paged by body link, ``Link`` header or cursor.
* :class:`RealPrometheus` — Debian's ``prometheus`` scraping a :class:`MetricsEndpoint` every
  second, its TSDB in a temporary directory; ready once a query sees the first scrape.
"""

from __future__ import annotations

import base64
import bisect
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

Handler = Callable[[str, dict[str, str], dict[str, str]], tuple[int, dict[str, str], bytes]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    """Poll ``check`` until it is true; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class _Server:
    """A threaded HTTP server on 127.0.0.1 calling ``handle(path, params, headers)``."""

    def __init__(self) -> None:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                split = urlsplit(self.path)
                params = {
                    k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()
                }
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, body = owner.handle(split.path, params, headers)
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[
        int, dict[str, str], bytes
    ]:  # fmt: skip
        raise NotImplementedError

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _json(status: int, document: Any, headers: dict[str, str] | None = None) -> tuple[
    int, dict[str, str], bytes
]:  # fmt: skip
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(document).encode(),
    )


# --- Loki ------------------------------------------------------------------------------------


@dataclass
class LokiEntry:
    labels: dict[str, str]
    ts_ns: int
    line: str
    stream: str = ""  # the stream's identity (its labels, sorted)


@dataclass
class FakeLoki(_Server):
    """Loki's query_range over entries in memory (see the module docstring)."""

    query: str = '{app="api"}'
    entries: list[LokiEntry] = field(default_factory=list)
    basic: tuple[str, str] | None = None
    bearer: str | None = None
    tenant: str | None = None
    max_limit: int = 5000
    fail_next: int = 0  # answer this many requests with 503 first
    fail_after: int | None = None  # answer 500 to every request after this many
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self._sorted: list[LokiEntry] | None = None
        self._keys: list[int] = []

    def __enter__(self) -> FakeLoki:
        super().__enter__()
        return self

    def push(self, labels: dict[str, str], ts_ns: int, line: str) -> None:
        with self.lock:
            stream = json.dumps(labels, sort_keys=True)
            self.entries.append(LokiEntry(dict(labels), ts_ns, line, stream))
            self._sorted = None

    def _in_order(self) -> tuple[list[LokiEntry], list[int]]:
        """Entries in Loki's order (time, then stream), sorted once per change."""
        if self._sorted is None:
            self._sorted = sorted(self.entries, key=lambda e: (e.ts_ns, e.stream))
            self._keys = [e.ts_ns for e in self._sorted]
        return self._sorted, self._keys

    def _refused(self, headers: dict[str, str]) -> bool:
        if self.basic is not None:
            token = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            if headers.get("authorization") != f"Basic {token}":
                return True
        if self.bearer is not None and headers.get("authorization") != f"Bearer {self.bearer}":
            return True
        return self.tenant is not None and headers.get("x-scope-orgid") != self.tenant

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[
        int, dict[str, str], bytes
    ]:  # fmt: skip
        if path == "/ready":
            return 200, {}, b"ready\n"
        if path != "/loki/api/v1/query_range":
            return 404, {}, b"404 page not found\n"
        with self.lock:
            self.requests.append(dict(params))
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {}, b"too many outstanding requests\n"
            if self.fail_after is not None and len(self.requests) > self.fail_after:
                return 500, {}, b"internal error\n"
        if self._refused(headers):
            return 401, {}, b"no org id\n" if self.tenant else b"unauthorized\n"
        problems = []
        if params.get("query") != self.query:
            problems.append(f"unexpected query {params.get('query')!r}")
        if params.get("direction") != "forward":
            problems.append("direction must be forward")
        for key in ("start", "end", "limit"):
            if not params.get(key, "").isdigit():
                problems.append(f"{key} must be an integer (nanoseconds for start/end)")
        if problems:
            return 400, {}, "; ".join(problems).encode()
        start, end, limit = int(params["start"]), int(params["end"]), int(params["limit"])
        if limit > self.max_limit:
            message = (
                "max entries limit per query exceeded, limit > max_entries_limit "
                f"({limit} > {self.max_limit})"
            )
            return 400, {}, message.encode()
        with self.lock:
            ordered, keys = self._in_order()
            first = bisect.bisect_left(keys, start)
            last = min(bisect.bisect_left(keys, end), first + limit)
            chosen = ordered[first:last]
        streams: dict[str, dict[str, Any]] = {}
        for entry in chosen:
            stream = streams.setdefault(entry.stream, {"stream": entry.labels, "values": []})
            stream["values"].append([str(entry.ts_ns), entry.line])
        body = {
            "status": "success",
            "data": {
                "resultType": "streams",
                "result": list(streams.values()),
                "stats": {"summary": {"totalEntriesReturned": len(chosen)}},
            },
        }
        return _json(200, body)


# --- /metrics --------------------------------------------------------------------------------


class MetricsEndpoint(_Server):
    """A ``/metrics`` page; set :attr:`text` to change what the next scrape sees."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text
        self.scrapes = 0

    def __enter__(self) -> MetricsEndpoint:
        super().__enter__()
        return self

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[
        int, dict[str, str], bytes
    ]:  # fmt: skip
        if path != "/metrics":
            return 404, {}, b"not found\n"
        self.scrapes += 1
        return 200, {"Content-Type": "text/plain; version=0.0.4"}, self.text.encode()


# --- JSON API --------------------------------------------------------------------------------


class JsonApi(_Server):
    """``GET /logs?start=ISO&end=ISO``: records in the window, ``page_size`` per page, the next
    page as ``links.next`` (``mode="link"``), a ``Link`` header (``link_header``) or
    ``next_cursor`` with ``?cursor=`` (``cursor``). Requires ``X-Api-Key`` when ``key``."""

    def __init__(self, records: list[dict[str, Any]], mode: str = "link", page_size: int = 3,
                 key: str | None = None) -> None:  # fmt: skip
        super().__init__()
        order = sorted(range(len(records)), key=lambda i: _instant(records[i]["time"]))
        self.records = [records[i] for i in order]
        self.times = [_instant(r["time"]) for r in self.records]
        self.mode = mode
        self.page_size = page_size
        self.key = key
        self.requests: list[dict[str, str]] = []

    def __enter__(self) -> JsonApi:
        super().__enter__()
        return self

    def handle(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[
        int, dict[str, str], bytes
    ]:  # fmt: skip
        if path != "/logs":
            return _json(404, {"error": "not found"})
        self.requests.append(dict(params))
        if self.key is not None and headers.get("x-api-key") != self.key:
            return _json(401, {"error": "bad key"})
        try:
            start, end = params["start"], params["end"]
            low, high = _instant(start), _instant(end)
        except (KeyError, ValueError):
            return _json(400, {"error": "start and end (ISO 8601) are required"})
        chosen = self.records[
            bisect.bisect_left(self.times, low) : bisect.bisect_left(self.times, high)
        ]
        offset = int(params.get("cursor") or params.get("offset") or 0)
        page = chosen[offset : offset + self.page_size]
        more = offset + self.page_size < len(chosen)
        following = {"start": start, "end": end, "offset": str(offset + self.page_size)}
        body: dict[str, Any] = {"data": {"items": page}}
        headers_out: dict[str, str] = {}
        if self.mode == "link" and more:
            body["links"] = {"next": f"/logs?{urlencode(following)}"}
        elif self.mode == "link_header" and more:
            headers_out["Link"] = f'<{self.url}/logs?{urlencode(following)}>; rel="next"'
        elif self.mode == "cursor":
            body["next_cursor"] = str(offset + self.page_size) if more else None
        return _json(200, body, headers_out)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- real Prometheus -------------------------------------------------------------------------


class RealPrometheus:
    """Debian's ``prometheus`` on a free loopback port, scraping ``target`` every second."""

    def __init__(self, target: MetricsEndpoint, workdir: Path) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus is not installed (apt-get install -y prometheus)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: app\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target.port}']\n"
        )
        self.log = (workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def query(self, promql: str) -> list[dict[str, Any]]:
        with httpx.Client(timeout=2) as client:
            body = client.get(f"{self.url}/api/v1/query", params={"query": promql}).json()
        return list(body["data"]["result"])

    def wait_for_scrape(self, promql: str, timeout: float = 30) -> None:
        def scraped() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited with {self.process.returncode}")
            try:
                return bool(self.query(promql))
            except (httpx.HTTPError, KeyError, ValueError):
                return False

        wait_until(scraped, timeout, f"prometheus to scrape {promql}", every=0.2)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.log.close()
