"""Config models of alerting: the ``alertmanager:``, ``alerting:`` and ``serve:`` sections.

``alertmanager:`` absent means "no Alertmanager": alerts are kept in DuckDB and listed only.
Durations accept ``30s``/``5m``/``2h`` like the rest of ``ailert.yaml``. This module must not
import :mod:`ailert.config` at import time (that module imports this one), so durations are
parsed through a lazy import inside the validator.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AlertRule",
    "AlertingSettings",
    "AlertmanagerSettings",
    "FindingKind",
    "Level",
    "ServeSettings",
    "Severity",
]

FindingKind = Literal["new", "gone", "rate_shift", "level_drift", "format_drift"]
Level = Literal["trace", "debug", "info", "unknown", "warn", "error", "fatal"]
Severity = Literal["critical", "error", "warning", "info", "none"]

DEFAULT_SEVERITY_BY_LEVEL: dict[str, Severity] = {
    "fatal": "critical",
    "error": "critical",
    "warn": "warning",
    "unknown": "warning",
    "info": "info",
    "debug": "info",
    "trace": "info",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> timedelta:
    from ailert.config import parse_duration  # lazy: ailert.config imports this module

    return parse_duration(value)


class AlertmanagerSettings(_Model):
    """Where alerts go. Every URL gets every alert (an HA pair: list both)."""

    urls: list[str] = Field(min_length=1)
    timeout: timedelta = timedelta(seconds=5)
    retry_backoff: timedelta = timedelta(seconds=30)
    retry_backoff_max: timedelta = timedelta(minutes=15)
    max_annotation_chars: int = Field(default=1024, ge=64)
    silences: bool = True

    @field_validator("timeout", "retry_backoff", "retry_backoff_max", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(
                    f"expected an http(s) URL such as http://127.0.0.1:9093, got {url!r}"
                )
        return [url.rstrip("/") for url in urls]


class AlertRule(_Model):
    """One rule: which findings it matches, and what to do with them. First match wins.

    An empty ``kinds`` matches every kind; ``patterns`` / ``template`` / ``sources`` narrow it
    to some patterns (a heartbeat: ``{kinds: [gone], patterns: [<id>]}``; always alert on a
    pattern: ``{patterns: [<id>]}``).
    """

    name: str | None = None
    kinds: list[FindingKind] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    template: str | None = None
    min_level: Level | None = None
    min_score: float | None = None
    direction: Literal["up", "down", "any"] = "any"
    action: Literal["alert", "ignore"] = "alert"
    severity: Severity | None = None
    escalate: bool = True

    @field_validator("kinds", "sources", "patterns", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("template")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"template is not a valid regex: {exc}") from None
        return value


DEFAULT_RULES = (
    AlertRule(name="new-warn-or-worse", kinds=["new"], min_level="warn"),
    AlertRule(name="rate-spike", kinds=["rate_shift"], direction="up"),
)


class AlertingSettings(_Model):
    """What alerts, how loud, and how long an alert lives."""

    rules: list[AlertRule] = Field(default_factory=list)
    interval: timedelta = timedelta(minutes=1)
    ends_after_ticks: int = Field(default=4, ge=2)
    resolve_after: timedelta = timedelta(minutes=10)
    escalation_factor: float = Field(default=10.0, gt=1)
    severity_by_level: dict[str, Severity] = Field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_BY_LEVEL)
    )
    severity_by_kind: dict[FindingKind, Severity] = Field(default_factory=dict)
    generator_url: str | None = None
    external_url: str | None = None
    secret_env: str = Field(default="AILERT_SECRET", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    link_ttl: timedelta = timedelta(days=7)
    suppress_for: timedelta = timedelta(days=7)

    @field_validator("interval", "resolve_after", "link_ttl", "suppress_for", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("interval must be positive (how often `ailert tick` runs)")
        return value

    @model_validator(mode="after")
    def _strip_urls(self) -> AlertingSettings:
        for name in ("generator_url", "external_url"):
            url = getattr(self, name)
            if url is not None and not re.match(r"^https?://", url):
                raise ValueError(f"{name}: expected an http(s) URL, got {url!r}")
        return self

    def effective_rules(self) -> tuple[AlertRule, ...]:
        """The configured rules, or the defaults (new at warn+, upward rate shifts)."""
        return tuple(self.rules) if self.rules else DEFAULT_RULES

    def firing_ttl(self) -> timedelta:
        """How far ahead a firing alert's ``endsAt`` is set (re-posted every tick)."""
        return self.interval * self.ends_after_ticks


class ServeSettings(_Model):
    """``ailert serve``: the one-click suppress endpoint, /healthz and /metrics."""

    host: str = "127.0.0.1"
    port: int = Field(default=9099, ge=0, le=65535)
