"""Change detection as part of a tick: which window, against which baseline, and where the
findings go (the ``findings`` table, read by ``v_findings``, and then to alerting).

The rules themselves live in ``sql/diff/*.sql`` behind :func:`ailert.diff.detect_changes`;
this module only decides the tick's window — the last ``detect.window`` ending on the last
complete bucket — and stores what was found.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from ailert.config import DetectSettings
from ailert.diff import DiffThresholds, Finding, Window, detect_changes, resolve_baseline
from ailert.errors import ConfigError
from ailert.store import Store

__all__ = ["detect_for_tick", "diff_thresholds", "store_findings", "tick_window"]


def diff_thresholds(settings: DetectSettings) -> DiffThresholds:
    """``detect.thresholds`` over the defaults; an unknown name is a config error."""
    defaults = DiffThresholds()
    known = {f.name for f in fields(DiffThresholds)}
    unknown = sorted(set(settings.thresholds) - known)
    if unknown:
        raise ConfigError(f"detect.thresholds: unknown {unknown}; known: {sorted(known)}")
    typed: dict[str, Any] = {
        name: type(getattr(defaults, name))(value) for name, value in settings.thresholds.items()
    }
    return DiffThresholds(**typed)


def tick_window(now: datetime, settings: DetectSettings, bucket: timedelta) -> Window:
    """The last ``settings.window`` up to the end of the current bucket, so a pattern that
    appears now is found by this tick, not the next one."""
    step = int(bucket.total_seconds())
    epoch = int(now.astimezone(UTC).timestamp())
    end = datetime.fromtimestamp(epoch - epoch % step + step, UTC)
    return Window(end - settings.window, end)


def detect_for_tick(
    store: Store, settings: DetectSettings, bucket: timedelta, now: datetime
) -> tuple[Window, Window, list[Finding]]:
    """Run change detection over the tick's window and baseline."""
    window = tick_window(now, settings, bucket)
    baseline = Window(*resolve_baseline(settings.baseline, window.start, window.end))
    found = detect_changes(
        store.con, window, baseline, kinds=settings.kinds, thresholds=diff_thresholds(settings)
    )
    return window, baseline, found


def store_findings(
    store: Store, window: Window, baseline: Window, findings: list[Finding], now: datetime
) -> None:
    """Append the tick's findings to ``findings`` (what ``v_findings`` shows)."""
    if not findings:
        return
    rows = [{**asdict(f), "kind": str(f.kind)} for f in findings]
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        detected_at=pl.lit(now),
        window_start=pl.lit(window.start),
        window_end=pl.lit(window.end),
        baseline_start=pl.lit(baseline.start),
        baseline_end=pl.lit(baseline.end),
    )
    with store.transaction():
        store.con.register("batch_findings", frame)
        try:
            store.run("snapshot/insert_findings")
        finally:
            store.con.unregister("batch_findings")
