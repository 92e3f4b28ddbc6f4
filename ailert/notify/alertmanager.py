"""A small client of the Prometheus Alertmanager API v2 (alerts and silences).

One :class:`AlertmanagerClient` talks to one Alertmanager URL with an explicit timeout; tests
inject an ``httpx`` transport (``httpx.MockTransport``) or a whole ``httpx.Client``.

Errors::

    AlertmanagerError          base (an AIlertError: the CLI prints it)
    ├── AlertmanagerUnavailable  connection refused, timeout, 5xx: retry later, nothing lost
    └── AlertmanagerRejected     4xx: this request will never be accepted as it is

:meth:`AlertmanagerClient.post_alerts_split` posts a batch and, when Alertmanager answers 400
(one bad alert fails the whole request), splits it in halves until the bad alerts are alone,
so one rejected alert never blocks the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ailert.errors import AIlertError

__all__ = [
    "AlertmanagerClient",
    "AlertmanagerError",
    "AlertmanagerRejected",
    "AlertmanagerUnavailable",
    "Matcher",
    "PostResult",
    "Silence",
    "format_time",
    "parse_time",
]

MAX_BATCH = 100


class AlertmanagerError(AIlertError):
    """Alertmanager could not be used."""


class AlertmanagerUnavailable(AlertmanagerError):
    """Unreachable, timed out or a 5xx: the request may succeed later."""


class AlertmanagerRejected(AlertmanagerError):
    """A 4xx answer: the request itself is wrong."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager prints them."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Matcher:
    name: str
    value: str
    is_equal: bool = True
    is_regex: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.is_regex,
            "isEqual": self.is_equal,
        }


@dataclass(frozen=True)
class Silence:
    id: str
    state: str  # active | pending | expired
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str

    def equal_value(self, name: str) -> str | None:
        """The value of a plain ``name="value"`` matcher, if the silence has exactly one."""
        values = [
            m.value for m in self.matchers if m.name == name and m.is_equal and not m.is_regex
        ]
        return values[0] if len(values) == 1 else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Silence:
        matchers = tuple(
            Matcher(
                str(m.get("name", "")),
                str(m.get("value", "")),
                bool(m.get("isEqual", True)),
                bool(m.get("isRegex", False)),
            )
            for m in data.get("matchers") or []
        )
        return cls(
            id=str(data["id"]),
            state=str((data.get("status") or {}).get("state", "")),
            matchers=matchers,
            starts_at=parse_time(str(data["startsAt"])),
            ends_at=parse_time(str(data["endsAt"])),
            created_by=str(data.get("createdBy", "")),
            comment=str(data.get("comment", "")),
        )


@dataclass
class PostResult:
    """Outcome of posting a batch: indexes accepted and rejected (with the reason)."""

    accepted: list[int] = field(default_factory=list)
    rejected: dict[int, str] = field(default_factory=dict)
    error: str | None = None  # set when Alertmanager was unavailable: the rest is to retry


def _describe(response: httpx.Response) -> str:
    text = response.text.strip().strip('"')
    return f"HTTP {response.status_code}: {text[:300]}" if text else f"HTTP {response.status_code}"


class AlertmanagerClient:
    """Alertmanager API v2 at ``url`` (``http://host:9093``). Close it, or use ``with``."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float | timedelta | httpx.Timeout = 5.0,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        if isinstance(timeout, timedelta):
            timeout = timeout.total_seconds()
        if not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        self._owned = client is None
        self._client = client or httpx.Client(
            base_url=self.url, timeout=timeout, transport=transport, trust_env=False
        )

    def __enter__(self) -> AlertmanagerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self._client.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        target = path if self._owned else self.url + path
        try:
            response = self._client.request(method, target, **kwargs)
        except httpx.TimeoutException as exc:
            raise AlertmanagerUnavailable(f"Alertmanager {self.url} timed out ({exc})") from exc
        except httpx.HTTPError as exc:
            raise AlertmanagerUnavailable(
                f"Alertmanager {self.url} is unreachable ({exc}); is it running?"
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise AlertmanagerUnavailable(f"Alertmanager {self.url}: {_describe(response)}")
        if response.status_code >= 400:
            raise AlertmanagerRejected(
                f"Alertmanager {self.url} rejected {method} {path}: {_describe(response)}",
                response.status_code,
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise AlertmanagerUnavailable(
                f"Alertmanager {self.url}: {method} {path} answered something that is not JSON"
                " (is this URL an Alertmanager?)"
            ) from exc

    def ready(self) -> bool:
        try:
            return self._request("GET", "/-/ready").status_code == 200
        except AlertmanagerError:
            return False

    def post_alerts(self, alerts: Sequence[dict[str, Any]]) -> None:
        """``POST /api/v2/alerts`` with one batch (raises on any error)."""
        self._request("POST", "/api/v2/alerts", json=list(alerts))

    def post_alerts_split(self, alerts: Sequence[dict[str, Any]]) -> PostResult:
        """Post in batches; a 400 splits the batch until each bad alert is rejected alone.

        Never raises for Alertmanager's answers: when it cannot be reached the result's
        ``error`` says why, and the alerts neither accepted nor rejected are to be retried.
        """
        result = PostResult()
        indexes = list(range(len(alerts)))
        try:
            for start in range(0, len(indexes), MAX_BATCH):
                self._post_part(alerts, indexes[start : start + MAX_BATCH], result)
        except AlertmanagerError as exc:
            result.error = str(exc)
        return result

    def _post_part(
        self, alerts: Sequence[dict[str, Any]], part: list[int], result: PostResult
    ) -> None:
        try:
            self.post_alerts([alerts[i] for i in part])
        except AlertmanagerRejected as exc:
            if exc.status != 400 and exc.status != 422:
                raise
            if len(part) == 1:
                result.rejected[part[0]] = str(exc)
                return
            middle = len(part) // 2
            self._post_part(alerts, part[:middle], result)
            self._post_part(alerts, part[middle:], result)
            return
        result.accepted.extend(part)

    def get_alerts(self, **filters: str | bool) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts`` (for tests and diagnostics)."""
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()}
        data = self._json("GET", "/api/v2/alerts", params=params)
        return list(data) if isinstance(data, list) else []

    def create_silence(
        self,
        matchers: Sequence[Matcher],
        *,
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
        silence_id: str | None = None,
    ) -> str:
        """``POST /api/v2/silences``; with ``silence_id`` it updates that silence. Returns the
        (possibly new) silence id."""
        body: dict[str, Any] = {
            "matchers": [m.to_json() for m in matchers],
            "startsAt": format_time(starts_at),
            "endsAt": format_time(ends_at),
            "createdBy": created_by or "ailert",
            "comment": comment or "suppressed with ailert",
        }
        if silence_id:
            body["id"] = silence_id
        data = self._json("POST", "/api/v2/silences", json=body)
        if not isinstance(data, dict) or "silenceID" not in data:
            raise AlertmanagerUnavailable(f"Alertmanager {self.url}: no silenceID in {data!r}")
        return str(data["silenceID"])

    def expire_silence(self, silence_id: str) -> bool:
        """``DELETE /api/v2/silence/{id}``. False when Alertmanager does not know the id
        (0.25 answers 500 "silence not found"): there is nothing left to expire."""
        try:
            self._request("DELETE", f"/api/v2/silence/{silence_id}")
        except AlertmanagerUnavailable as exc:
            if "not found" in str(exc):
                return False
            raise
        return True

    def list_silences(self) -> list[Silence]:
        """``GET /api/v2/silences``: every silence Alertmanager keeps (active, pending, expired)."""
        data = self._json("GET", "/api/v2/silences")
        if not isinstance(data, list):
            raise AlertmanagerUnavailable(f"Alertmanager {self.url}: silences are not a list")
        try:
            return [Silence.from_json(item) for item in data if isinstance(item, dict)]
        except (KeyError, ValueError) as exc:
            raise AlertmanagerUnavailable(f"Alertmanager {self.url}: odd silence: {exc}") from exc
