"""Retention: minute buckets older than ``retention.minute`` become hourly buckets, hourly
ones older than ``retention.hour`` become daily ones. Part of every tick, idempotent (a rerun
finds nothing left to roll), and totals-preserving (insert and delete in one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ailert.config import RetentionSettings
from ailert.store import Store

__all__ = ["RollupReport", "roll_up"]


@dataclass(frozen=True)
class RollupReport:
    minute_rows: int
    hour_rows: int


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.astimezone(UTC)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def roll_up(store: Store, settings: RetentionSettings, now: datetime) -> RollupReport:
    """Roll old minute buckets into hours and old hours into days."""
    hour_cutoff = _floor(now - settings.minute, "hour")
    day_cutoff = _floor(now - settings.hour, "day")
    counts = []
    for rollup, delete, cutoff in (
        ("retention/rollup_hours", "retention/delete_minutes", hour_cutoff),
        ("retention/rollup_days", "retention/delete_hours", day_cutoff),
    ):
        with store.transaction():
            store.run(rollup, {"cutoff": cutoff})
            deleted = store.run(delete, {"cutoff": cutoff}).fetchall()
        counts.append(int(deleted[0][0]) if deleted else 0)
    return RollupReport(counts[0], counts[1])
