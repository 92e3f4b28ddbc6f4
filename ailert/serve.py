"""``ailert serve``: the one-click suppress endpoint behind ``suppress_url``, plus ``/healthz``
and ``/metrics``. Standard library only (``ThreadingHTTPServer``); loopback by default.

A suppress link carries a token: base64url JSON claims (pattern, source scope, expiry) and an
HMAC-SHA256 over them with a secret read from the environment variable ``alerting.secret_env``
names. ``GET /suppress?token=…`` shows a confirmation page (template and sample HTML-escaped,
no script, a strict Content-Security-Policy); only ``POST /suppress`` applies the suppression
(and its Alertmanager silence). The store is opened per request and closed right after, so
ticks are never locked out for long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ailert.config import Config, parse_duration
from ailert.errors import AIlertError
from ailert.store import Store, open_store
from ailert.triage.suppress import suppress
from ailert.window import now as current_time

__all__ = [
    "TokenClaims",
    "make_server",
    "make_token",
    "metrics_text",
    "secret_from_env",
    "verify_token",
]

_PATTERN_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_BODY = 16 * 1024
MAX_SUPPRESS = timedelta(days=365)
MIN_SECRET = 16


@dataclass(frozen=True)
class TokenClaims:
    pattern_id: str
    source: str | None
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_from_env(config: Config) -> bytes | None:
    """The HMAC secret from ``$<alerting.secret_env>`` (None when unset or under 16 chars)."""
    value = os.environ.get(config.alerting.secret_env, "")
    return value.encode() if len(value) >= MIN_SECRET else None


def make_token(secret: bytes, pattern_id: str, source: str | None, expires: datetime) -> str:
    """A link token for one pattern (and source scope), valid until ``expires``."""
    claims = {"p": pattern_id, "s": source, "exp": int(expires.timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify_token(secret: bytes, token: str, now: datetime) -> TokenClaims:
    """The token's claims; AIlertError when it is forged, altered, malformed or expired."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
        if not mac or not hmac.compare_digest(expected, _unb64(mac)):
            raise AIlertError("invalid link: the signature does not match")
        claims = json.loads(_unb64(body))
        pattern, source, expires = claims["p"], claims["s"], int(claims["exp"])
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise AIlertError("invalid link: malformed token") from exc
    if not isinstance(pattern, str) or not _PATTERN_ID.match(pattern):
        raise AIlertError("invalid link: bad pattern id")
    if source is not None and not isinstance(source, str):
        raise AIlertError("invalid link: bad source")
    moment = datetime.fromtimestamp(expires, UTC)
    if moment <= now:
        raise AIlertError("this link has expired; suppress with `ailert suppress` instead")
    return TokenClaims(pattern, source, moment)


_METRICS = (
    ("lines_read", "ailert_lines_read_total", "counter", "Lines read by ticks."),
    ("records", "ailert_records_total", "counter", "Records mapped and counted by ticks."),
    ("patterns", "ailert_patterns", "gauge", "Patterns known (per source)."),
    ("new_patterns", "ailert_new_patterns_total", "counter", "Patterns first seen by ticks."),
    ("runs", "ailert_runs_total", "counter", "Source runs (one per source per tick)."),
    ("runs_failed", "ailert_runs_failed_total", "counter", "Source runs that failed."),
    ("alerts_total", "ailert_alerts_total", "counter", "Alert episodes opened."),
    ("alerts_sent", "ailert_alerts_sent_total", "counter", "Episodes accepted by Alertmanager."),
    ("posts_sent", "ailert_alert_posts_total", "counter", "Alert posts Alertmanager accepted."),
    ("posts_rejected", "ailert_alert_posts_rejected_total", "counter", "Posts rejected (400)."),
    ("alerts_open", "ailert_alerts_open", "gauge", "Alert episodes pending or firing."),
    ("alerts_firing", "ailert_alerts_firing", "gauge", "Alert episodes firing."),
    ("outbox_depth", "ailert_outbox_depth", "gauge", "Alert posts waiting for Alertmanager."),
    ("suppressions_active", "ailert_suppressions_active", "gauge", "Suppressions in force."),
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text(store: Store, now: datetime) -> str:
    """AIlert's counters in the Prometheus text exposition format, read from the store."""
    row = store.query("alerts/metrics", {"now": now})[0]
    lines: list[str] = []
    for column, name, kind, help_text in _METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {row[column]}"]
    runs = store.query("alerts/metrics_runs")
    families = (
        ("ailert_run_duration_seconds", "Duration of the latest run of each source.", "seconds"),
        ("ailert_run_lines", "Lines read by the latest run of each source.", "lines_read"),
        ("ailert_run_last_timestamp_seconds", "When the latest run of each source ended.", "end"),
    )
    for name, help_text, column in families:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for run in runs:
            value = run["finished_at"].timestamp() if column == "end" else run[column]
            lines.append(f'{name}{{source="{_label(run["source"])}"}} {float(value):.6g}')
    return "\n".join(lines) + "\n"


_STYLE = "body{font-family:sans-serif;max-width:48rem;margin:2rem auto}pre{white-space:pre-wrap}"
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _confirm_page(claims: TokenClaims, token: str, rows: list[dict[str, Any]]) -> str:
    esc = html.escape
    scope = f"source {esc(claims.source)}" if claims.source else "every source"
    shown = "".join(
        f"<h2>{esc(r['source'])} · {esc(r['level'])}</h2><p>Template</p><pre>{esc(r['template'])}"
        f"</pre><p>Sample</p><pre>{esc(r['sample'])}</pre>"
        for r in rows[:5]
    )
    form = (
        "<form method='post' action='/suppress'>"
        f"<input type='hidden' name='token' value='{esc(token, quote=True)}'>"
        "<label>For <select name='for'><option>1h</option><option>1d</option>"
        "<option selected>7d</option><option>30d</option></select></label> "
        "<label>Reason <input name='reason' maxlength='200'></label> "
        "<label>Your name <input name='by' maxlength='80'></label> "
        "<button type='submit'>Suppress</button></form>"
    )
    return _page(
        "Suppress this pattern?",
        f"<p>Pattern <code>{esc(claims.pattern_id)}</code> in {scope}.</p>{shown}{form}",
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "ailert"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: serve is a small loopback helper; errors reach the client

    def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._send(status, _page(status.phrase, f"<p>{html.escape(message)}</p>"))

    def _store(self) -> Store:
        config = self.server.config
        return open_store(config.store_path(), lock_wait=config.tick.store_lock_wait)

    def _claims(self, token: str) -> TokenClaims:
        secret = secret_from_env(self.server.config)
        if secret is None:
            env = self.server.config.alerting.secret_env
            raise AIlertError(f"suppress links are disabled: ${env} is not set (16+ chars)")
        return verify_token(secret, token, self.server.now())

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        try:
            if url.path == "/healthz":
                self._send(HTTPStatus.OK, "ok\n", "text/plain")
            elif url.path == "/metrics":
                with self._store() as store:
                    text = metrics_text(store, self.server.now())
                self._send(HTTPStatus.OK, text, "text/plain; version=0.0.4")
            elif url.path == "/suppress":
                token = parse_qs(url.query).get("token", [""])[0]
                claims = self._claims(token)
                with self._store() as store:
                    params = {"pattern_id": claims.pattern_id, "source": claims.source}
                    rows = store.query("alerts/pattern_lookup", params)
                self._send(HTTPStatus.OK, _confirm_page(claims, token, rows))
            else:
                self._error(HTTPStatus.NOT_FOUND, "nothing here")
        except AIlertError as exc:
            self._error(HTTPStatus.FORBIDDEN, str(exc))

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/suppress":
            self._error(HTTPStatus.NOT_FOUND, "nothing here")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
            return
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        field = {k: v[0] for k, v in form.items() if v}
        try:
            claims = self._claims(field.get("token", ""))
            duration = min(parse_duration(field.get("for", "7d")), MAX_SUPPRESS)
            result = self._apply(claims, duration, field)
        except AIlertError as exc:
            self._error(HTTPStatus.FORBIDDEN, str(exc))
            return
        except ValueError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        self._send(HTTPStatus.OK, result)

    def _apply(self, claims: TokenClaims, duration: timedelta, field: dict[str, str]) -> str:
        by = (field.get("by") or "").strip()[:80] or f"web ({self.client_address[0]})"
        with self._store() as store:
            result = suppress(
                store, self.server.config, claims.pattern_id, now=self.server.now(), by=by,
                source=claims.source, duration=duration,
                reason=(field.get("reason") or "").strip()[:200] or "suppressed from a link",
            )  # fmt: skip
        supp = result.suppression
        note = f"<p>{html.escape(result.silence_error)}</p>" if result.silence_error else ""
        silence = (
            f" Silence <code>{html.escape(supp.silence_id)}</code>." if supp.silence_id else ""
        )
        return _page(
            "Suppressed",
            f"<p>Pattern <code>{html.escape(supp.pattern_id)}</code> is suppressed until "
            f"{supp.until:%Y-%m-%d %H:%M} UTC.{silence}</p>{note}",
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], config: Config) -> None:
        super().__init__(address, _Handler)
        self.config = config

    def now(self) -> datetime:
        return current_time()


def make_server(config: Config, host: str | None = None, port: int | None = None) -> _Server:
    """A bound, not yet serving server (``serve_forever()``; ``shutdown()``/``server_close()``)."""
    address = (host or config.serve.host, config.serve.port if port is None else port)
    return _Server(address, config)
