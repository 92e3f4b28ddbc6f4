"""Time windows: ``--since 7d`` / ``--since 2026-11-26T08:00:00Z`` into UTC instants, and the
clock (one place to ask for "now", so tests can freeze it with ``AILERT_NOW``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ailert.config import parse_duration

__all__ = ["now", "parse_instant", "parse_since"]


def now() -> datetime:
    """The current UTC time, or ``$AILERT_NOW`` (ISO 8601) when set."""
    frozen = os.environ.get("AILERT_NOW")
    return parse_instant(frozen) if frozen else datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 timestamp; naive values are taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            "expected a duration (30m, 7d) or an ISO 8601 time (2026-11-26T08:00:00Z), "
            f"got {text!r}"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_since(text: str, reference: datetime | None = None) -> datetime:
    """``7d`` means 7 days before ``reference`` (default now); a timestamp means itself."""
    try:
        return (reference or now()) - parse_duration(text)
    except ValueError:
        return parse_instant(text)
