"""Change detection: what changed in a window compared with a baseline.

Owns the typed face of ``sql/diff/*.sql``: :class:`ChangeKind`, :class:`Window`,
:class:`DiffThresholds`, :class:`Finding`, :func:`resolve_baseline` (``previous``, ``1d-ago``,
``1w-ago``, any ``<duration>-ago``, or ``START..END``) and :func:`detect_changes`, which runs
one SQL file per kind against the snapshot store with bound parameters and returns the findings
sorted by score. The rules themselves (and what each output column means for each kind) are in
the headers of the SQL files; this module only binds, runs and types them.

Rates are lines per minute. Windows are half-open ``[start, end)``; a window and its baseline
may differ in length (rates are scaled by duration). Counts are read through the ``count_rows``
table macro in pieces planned by :func:`count_plan`: minute buckets near the ends of a range,
hourly and daily buckets in its aligned middle when the range is long (every resolution holds
every period it covers, see ``count_coverage``), so ``--since 7d`` reads a few hundred thousand
rows instead of tens of millions and counts exactly what the minute buckets would (``last_seen``
is the start of the latest bucket with lines at the resolution read: an hour or a day when a long
window's last lines fall in its middle). Where a period is only kept as hourly or daily rollups
(older than ``retention.minute`` / ``retention.hour``) a bucket counts when it starts inside the
range, as in ``v_counts``, so such ranges should start and end on bucket boundaries of the
resolution their period is kept at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

import duckdb

from ailert.config import parse_duration
from ailert.sqlfiles import load_sql
from ailert.window import parse_instant

__all__ = [
    "BASELINE_SPECS",
    "ChangeKind",
    "CountPlan",
    "Coverage",
    "DiffThresholds",
    "Finding",
    "Window",
    "count_plan",
    "detect_changes",
    "read_coverage",
    "resolve_baseline",
]

#: The baseline forms :func:`resolve_baseline` accepts (for help texts).
BASELINE_SPECS = "previous | 1d-ago | 1w-ago | <duration>-ago | START..END (ISO 8601 times)"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
#: A range longer than this reads hourly buckets in its hour-aligned middle (shorter: minutes).
HOURS_AFTER = timedelta(hours=6)
#: A range longer than this reads daily buckets in its day-aligned middle.
DAYS_AFTER = timedelta(days=2)
#: The start of "all history" (new.sql's "never before the window").
_HISTORY = datetime(1, 1, 1, tzinfo=UTC)


class ChangeKind(StrEnum):
    """The kinds of finding; each is ``sql/diff/<kind>.sql``."""

    NEW = "new"
    GONE = "gone"
    RATE_SHIFT = "rate_shift"
    LEVEL_DRIFT = "level_drift"
    FORMAT_DRIFT = "format_drift"


@dataclass(frozen=True)
class Window:
    """A half-open time range ``[start, end)`` of timezone-aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware (UTC)")
        if self.start >= self.end:
            raise ValueError(f"window start {self.start} must be before its end {self.end}")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def baseline(self, spec: str) -> Window:
        """The baseline window of ``spec`` (see :func:`resolve_baseline`)."""
        return Window(*resolve_baseline(spec, self.start, self.end))


@dataclass(frozen=True)
class DiffThresholds:
    """Floors and significance of the diff queries (defaults tuned for zero false positives
    over two weeks of steady, seasonal data with a ``1w-ago`` or ``1d-ago`` baseline).

    - ``alpha`` (1e-7): significance of each test. Every test scores a likelihood ratio G as
      ``score = sqrt(G)`` and needs ``exp(-score**2 / 2) <= alpha``, i.e. ``score >=
      score_min`` (about 5.68): a bound on the exact p-value that never over-trusts small
      counts. Every tick tests every pattern against a single past window, so it is strict
      (at 1e-6 one steady hour in ~5 scenario runs still looked "gone").
    - ``min_count`` (10): rate_shift, level_drift and mapping failures need the larger of the
      observed and the expected count to reach it (1 -> 3 lines is never a spike).
    - ``min_ratio`` (1.5): a rate shift is at least x1.5 up or /1.5 down.
    - ``new_min_count`` (1): window lines a new pattern (or lines a new field) needs.
    - ``gone_min_count`` (10), ``gone_slices`` (6, at most 126), ``gone_coverage`` (0.8): a
      gone pattern had at least 10 baseline lines, present in at least 80% of 6 equal baseline
      slices.
    - ``level_band`` (0.05), ``level_min_total`` (50): a level share moves by 5 points or more,
      with at least 50 records of the source in the window and in the baseline.
    """

    alpha: float = 1e-7
    min_count: int = 10
    min_ratio: float = 1.5
    new_min_count: int = 1
    gone_min_count: int = 10
    gone_slices: int = 6
    gone_coverage: float = 0.8
    level_band: float = 0.05
    level_min_total: int = 50

    def __post_init__(self) -> None:
        checks = {
            "alpha must be in (0, 0.5)": 0 < self.alpha < 0.5,
            "min_count must be >= 1": self.min_count >= 1,
            "min_ratio must be >= 1": self.min_ratio >= 1,
            "new_min_count must be >= 1": self.new_min_count >= 1,
            "gone_min_count must be >= 1": self.gone_min_count >= 1,
            "gone_slices must be in [1, 126]": 1 <= self.gone_slices <= 126,
            "gone_coverage must be in [0, 1]": 0 <= self.gone_coverage <= 1,
            "level_band must be in [0, 1]": 0 <= self.level_band <= 1,
            "level_min_total must be >= 1": self.level_min_total >= 1,
        }
        wrong = [message for message, ok in checks.items() if not ok]
        if wrong:
            raise ValueError("invalid diff thresholds: " + "; ".join(wrong))

    @property
    def score_min(self) -> float:
        """The score a finding needs: ``sqrt(2 ln(1 / alpha))``."""
        return math.sqrt(2 * math.log(1 / self.alpha))

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        values.pop("alpha")
        return {**values, "score_min": self.score_min}


@dataclass(frozen=True)
class Finding:
    """One change. Columns that mean nothing for a kind are None (see the SQL headers):
    level_drift has no pattern and carries the level group's *shares* (0..1) in the rate
    columns; format_drift has no pattern and names its cause in ``template``. Rates are lines
    per minute; ``score`` is the square root of a likelihood ratio (higher = stronger
    evidence; ``exp(-score**2 / 2)`` bounds its p-value)."""

    kind: ChangeKind
    pattern_id: str | None
    source: str
    level: str | None
    template: str | None
    sample: str | None
    current_count: int | None
    baseline_count: int | None
    current_rate: float | None
    baseline_rate: float | None
    score: float
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def direction(self) -> str | None:
        """``up`` or ``down`` when the finding compares two rates (or shares), else None."""
        if self.current_rate is None or self.baseline_rate is None:
            return None
        return "up" if self.current_rate >= self.baseline_rate else "down"


def resolve_baseline(spec: str, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The baseline ``(start, end)`` for the window ``[start, end)``.

    ``previous``: the window just before, same length. ``1d-ago`` / ``1w-ago`` (any
    ``<duration>-ago``, e.g. ``12h-ago``): the same window that long ago. ``START..END``: an
    explicit range of ISO 8601 times (naive = UTC). Raises ValueError for anything else.
    """
    window = Window(start, end)
    text = spec.strip()
    if text == "previous":
        return start - window.duration, start
    if text.endswith("-ago"):
        try:
            back = parse_duration(text.removesuffix("-ago"))
        except ValueError:
            back = timedelta(0)
        if back > timedelta(0):
            return start - back, end - back
    elif ".." in text:
        first, _, last = text.partition("..")
        try:
            explicit = Window(parse_instant(first), parse_instant(last))
        except ValueError as exc:
            raise ValueError(f"baseline {spec!r}: {exc}") from None
        return explicit.start, explicit.end
    raise ValueError(f"unknown baseline {spec!r}; expected {BASELINE_SPECS}")


@dataclass(frozen=True)
class Coverage:
    """From when each count resolution holds every record (``count_coverage``): buckets
    starting at or after ``minute_from`` (``hour_from``) are complete in the minute (hourly)
    table; None = complete for all time. Days are always complete."""

    minute_from: datetime | None = None
    hour_from: datetime | None = None


def read_coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    """The store's :class:`Coverage` (retention moves it forward)."""
    rows = dict(con.execute(load_sql("retention/coverage")).fetchall())
    return Coverage(rows.get("minute"), rows.get("hour"))


@dataclass(frozen=True)
class CountPlan:
    """How to read the counts of ``[lo, hi)``: minute buckets in ``[lo, lo_hours)``, hours in
    ``[lo_hours, lo_days)``, days in ``[lo_days, hi_days)``, hours in ``[hi_days, hi_hours)``,
    minutes in ``[hi_hours, hi)`` — the arguments of the ``count_rows`` table macro."""

    lo: datetime
    lo_hours: datetime
    lo_days: datetime
    hi_days: datetime
    hi_hours: datetime
    hi: datetime

    def __post_init__(self) -> None:
        cuts = (self.lo, self.lo_hours, self.lo_days, self.hi_days, self.hi_hours, self.hi)
        if any(a > b for a, b in pairwise(cuts)):
            raise ValueError(f"count plan cuts out of order: {cuts}")

    def params(self, prefix: str = "") -> dict[str, datetime]:
        """The cuts as the diff queries' parameters: ``$<prefix>start``,
        ``$<prefix>start_hours``, ``$<prefix>start_days``, ``$<prefix>end_days``,
        ``$<prefix>end_hours``, ``$<prefix>end``."""
        return {
            f"{prefix}start": self.lo,
            f"{prefix}start_hours": self.lo_hours,
            f"{prefix}start_days": self.lo_days,
            f"{prefix}end_days": self.hi_days,
            f"{prefix}end_hours": self.hi_hours,
            f"{prefix}end": self.hi,
        }


def _floor(moment: datetime, step: timedelta) -> datetime:
    return _EPOCH + ((moment - _EPOCH) // step) * step


def _ceil(moment: datetime, step: timedelta) -> datetime:
    floor = _floor(moment, step)
    return floor if floor == moment else floor + step


def _aligned(step: timedelta, lo: datetime, slice_length: timedelta | None) -> bool:
    """No bucket of ``step`` straddles a slice boundary ``lo + k * slice_length``."""
    if slice_length is None:
        return True
    return _floor(lo, step) == lo and slice_length % step == timedelta(0)


def count_plan(
    window: Window, coverage: Coverage = Coverage(), *, slices: int | None = None
) -> CountPlan:
    """The cheapest exact way to read the counts of ``window``.

    Policy: a range longer than :data:`HOURS_AFTER` reads hourly buckets in its hour-aligned
    middle and minutes only at its unaligned ends; one longer than :data:`DAYS_AFTER` reads
    daily buckets in its day-aligned middle. Every resolution holds every period it covers, so
    this counts exactly the records whose minute bucket starts inside the range. ``slices``
    (gone.sql's baseline slices): a coarse resolution is used only where its buckets do not
    straddle a slice boundary, so slice coverage is what the minute buckets say.

    Coverage: where minutes (hours) no longer hold the start of the range, it is read from
    hours (days) — a bucket then counts when it starts inside the range, as ``v_counts`` does —
    and the finer resolution takes over at its ``complete_from`` (hour-/day-aligned).
    """
    lo, hi = window.start, window.end
    span = hi - lo
    slice_length = window.duration / slices if slices else None
    hours = span > HOURS_AFTER and _aligned(_HOUR, lo, slice_length)
    days = hours and span > DAYS_AFTER and _aligned(_DAY, lo, slice_length)
    a = d = hi  # minutes [lo, a) and [d, hi); hours [a, b) and [c, d); days [b, c)
    if hours:
        a = min(_ceil(lo, _HOUR), hi)
        d = max(_floor(hi, _HOUR), a)
    b = c = d
    if days and _ceil(lo, _DAY) < _floor(hi, _DAY):
        b, c = _ceil(lo, _DAY), _floor(hi, _DAY)
    minute_from, hour_from = coverage.minute_from, coverage.hour_from
    if minute_from is not None and lo < minute_from:  # minutes do not hold the start
        core = c > b
        a = lo
        d = min(max(_floor(hi, _HOUR), minute_from), hi)
        if not core:
            b = c = d
    if hour_from is not None and lo < hour_from:  # nor do hours: days from the start
        core = c > b
        b = a = lo
        c = max(c, min(hour_from, d)) if core else min(hour_from, d)
    return CountPlan(lo, a, b, c, d, hi)


def _bound(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` uses (DuckDB rejects extra ones), all of which must be given."""
    names = set(_PARAM.findall(_COMMENT.sub("", sql)))
    missing = names - values.keys()
    if missing:
        raise KeyError(f"diff query needs parameters {sorted(missing)}")
    return {name: values[name] for name in names}


def _finding(row: dict[str, Any]) -> Finding:
    def num(name: str, kind: type[int] | type[float]) -> Any:
        value = row[name]
        return None if value is None else kind(value)

    return Finding(
        kind=ChangeKind(row["kind"]),
        pattern_id=row["pattern_id"],
        source=row["source"],
        level=row["level"],
        template=row["template"],
        sample=row["sample"],
        current_count=num("current_count", int),
        baseline_count=num("baseline_count", int),
        current_rate=num("current_rate", float),
        baseline_rate=num("baseline_rate", float),
        score=float(row["score"]),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )


def detect_changes(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    baseline: Window,
    *,
    kinds: Collection[str] | None = None,
    sources: Collection[str] | None = None,
    thresholds: DiffThresholds | None = None,
) -> list[Finding]:
    """Findings of ``kinds`` (default all) in ``sources`` (default all), strongest first."""
    wanted = list(ChangeKind) if kinds is None else [_kind(k) for k in kinds]
    if sources is not None and not sources:
        return []
    limits = thresholds or DiffThresholds()
    coverage = read_coverage(con)
    history = Window(_HISTORY, window.start)  # new.sql: seen before the window?
    values: dict[str, Any] = {
        **count_plan(window, coverage).params(),
        **count_plan(history, coverage).params("history_"),
        "sources": None if sources is None else sorted(sources),
        **limits.params(),
    }
    baseline_plan = count_plan(baseline, coverage).params("baseline_")
    slice_plan = count_plan(baseline, coverage, slices=limits.gone_slices).params("baseline_")
    found: list[Finding] = []
    for kind in dict.fromkeys(wanted):
        sql = load_sql(f"diff/{kind.value}")
        plan = slice_plan if kind == ChangeKind.GONE else baseline_plan
        cursor = con.execute(sql, _bound(sql, {**values, **plan}))
        columns = [d[0] for d in cursor.description or []]
        found.extend(_finding(dict(zip(columns, r, strict=True))) for r in cursor.fetchall())
    return sorted(
        found, key=lambda f: (-f.score, f.kind, f.source, f.pattern_id or "", f.template or "")
    )


def _kind(name: str) -> ChangeKind:
    try:
        return ChangeKind(name)
    except ValueError:
        known = ", ".join(k.value for k in ChangeKind)
        raise ValueError(f"unknown change kind {name!r}; expected one of {known}") from None
