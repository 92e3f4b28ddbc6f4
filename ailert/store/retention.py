"""Retention: minute buckets older than ``retention.minute`` and hourly ones older than
``retention.hour`` are deleted. Nothing needs rolling up: every batch adds its counts to the
minute, hourly and daily tables at once, so the coarser table already holds every record of
what is deleted. ``count_coverage`` moves forward (never back) in the same transaction as each
delete, so ``v_counts`` and the diff queries always read a complete resolution: totals never
change, and a rerun finds nothing left to delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ailert.config import RetentionSettings
from ailert.store import Store

__all__ = ["RollupReport", "roll_up"]


@dataclass(frozen=True)
class RollupReport:
    """Rows deleted: minute rows past ``retention.minute``, hour rows past ``retention.hour``."""

    minute_rows: int
    hour_rows: int


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.astimezone(UTC)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def roll_up(store: Store, settings: RetentionSettings, now: datetime) -> RollupReport:
    """Delete minute rows older than ``retention.minute`` (hour-aligned) and hour rows older
    than ``retention.hour`` (day-aligned, and never after the minute cutoff's day)."""
    hour_cutoff = _floor(now - settings.minute, "hour")
    day_cutoff = min(_floor(now - settings.hour, "day"), _floor(hour_cutoff, "day"))
    counts = []
    for resolution, delete, cutoff in (
        ("minute", "retention/delete_minutes", hour_cutoff),
        ("hour", "retention/delete_hours", day_cutoff),
    ):
        with store.transaction():
            moved = store.run(
                "retention/advance_coverage", {"resolution": resolution, "cutoff": cutoff}
            ).fetchall()
            deleted = store.run(delete, {"cutoff": moved[0][0]}).fetchall()
        counts.append(int(deleted[0][0]) if deleted else 0)
    return RollupReport(counts[0], counts[1])
