"""Row-table tests of each ``sql/diff/*.sql`` query (issue 4): small hand-made ``patterns``,
``pattern_counts`` (and rollup), ``source_counts`` and ``source_fields`` rows in a migrated
in-memory store → the expected findings. Plus the Python face: baselines, thresholds, filters.

Counts are stored the way ticks and retention store them: minute rows go through the tick's
upserts (so the hourly and daily tables hold them too); ``hourly`` / ``daily`` rows stand for
periods past retention (kept only at that resolution and coarser), and ``count_coverage``
says so."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from ailert.diff import (
    ChangeKind,
    DiffThresholds,
    Finding,
    Window,
    detect_changes,
    resolve_baseline,
)
from ailert.sqlfiles import load_sql, sql_dir
from ailert.store import Store, open_store
from ailert.store.snapshot import COUNT_UPSERTS

START = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)  # a Wednesday
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
WINDOW = Window(START, START + HOUR)
PREVIOUS = WINDOW.baseline("previous")
LONG_AGO = START - timedelta(days=30)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with open_store(None) as store:
        yield store


@pytest.fixture
def con(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """The migrated in-memory store, each test's rows rolled back after it."""
    store.con.execute("BEGIN TRANSACTION")
    yield store.con
    store.con.execute("ROLLBACK")


def per_minute(start: datetime, minutes: int, n: int) -> list[tuple[datetime, int]]:
    """``n`` lines in each of ``minutes`` minute buckets from ``start``."""
    return [(start + i * MINUTE, n) for i in range(minutes)]


@dataclass(frozen=True)
class P:
    """One pattern of a case: its row in ``patterns`` and its count buckets."""

    pattern_id: str
    counts: list[tuple[datetime, int]]
    level: str = "info"
    source: str = "app"
    first_seen: datetime = LONG_AGO
    hourly: list[tuple[datetime, int]] = field(default_factory=list)  # minutes deleted
    daily: list[tuple[datetime, int]] = field(default_factory=list)  # minutes and hours deleted


@dataclass(frozen=True)
class Case:
    patterns: list[P]
    expected: set[tuple[str, str, str | None]]  # (kind, source, pattern_id or level/template)
    window: Window = WINDOW
    baseline: Window = PREVIOUS
    failures: list[tuple[str, datetime, int, int]] = field(default_factory=list)
    fields: list[tuple[str, str, datetime]] = field(default_factory=list)


def _frame(counts: list[tuple[datetime, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"bucket": [b for b, _ in counts], "n": [n for _, n in counts]},
        schema={"bucket": pl.Datetime("us", "UTC"), "n": pl.Int64},
    )


def _store_counts(con: duckdb.DuckDBPyConnection, p: P) -> None:
    """``p``'s counts as ticks and retention leave them: minute rows through the tick's upserts
    (every resolution), hourly rows in the hourly and daily tables, daily rows in the daily
    one; count_coverage moved past the periods whose finer rows retention deleted."""
    params = {"source": p.source}
    if p.counts:
        con.register("batch_counts", _frame(p.counts).with_columns(pattern_id=pl.lit(p.pattern_id)))
        for name in COUNT_UPSERTS:
            con.execute(load_sql(name), params)
        con.unregister("batch_counts")
    for rows, tables in (
        (p.hourly, ("pattern_counts_hourly", "pattern_counts_daily")),
        (p.daily, ("pattern_counts_daily",)),
    ):
        if not rows:
            continue
        con.register("rows_in", _frame(rows))
        for table in tables:
            unit = "hour" if table.endswith("hourly") else "day"
            con.execute(
                f"INSERT INTO {table} SELECT $s, $p, date_trunc('{unit}', bucket), sum(n) "
                "FROM rows_in GROUP BY ALL",
                {"s": p.source, "p": p.pattern_id},
            )
        con.unregister("rows_in")
    minute_from = max([b + HOUR for b, _ in p.hourly] + [b + DAY for b, _ in p.daily], default=None)
    hour_from = max((b + DAY for b, _ in p.daily), default=None)
    for resolution, cutoff in (("minute", minute_from), ("hour", hour_from)):
        if cutoff is not None:
            con.execute(
                "UPDATE count_coverage SET complete_from = greatest(complete_from, $c) "
                "WHERE resolution = $r",
                {"c": cutoff, "r": resolution},
            )
    kept_from = con.execute(
        "SELECT complete_from FROM count_coverage WHERE resolution = 'minute'"
    ).fetchall()[0][0]
    assert kept_from is None or all(b >= kept_from for b, _ in p.counts), "minutes past retention"


def load(con: duckdb.DuckDBPyConnection, case: Case) -> None:
    for p in case.patterns:
        everything = [*p.counts, *p.hourly, *p.daily]
        last = max((b for b, _ in everything), default=p.first_seen)
        total = sum(n for _, n in everything)
        con.execute(
            "INSERT INTO patterns VALUES ($s, $p, $t, $l, $f, $last, $total, $sample)",
            {
                "s": p.source,
                "p": p.pattern_id,
                "t": f"template of {p.pattern_id} <*>",
                "l": p.level,
                "f": p.first_seen,
                "last": last,
                "total": total,
                "sample": f"sample of {p.pattern_id} 1",
            },
        )
        _store_counts(con, p)
    if case.failures:
        con.executemany("INSERT INTO source_counts VALUES (?, ?, ?, ?)", case.failures)
    if case.fields:
        con.executemany(
            "INSERT INTO source_fields VALUES (?, ?, ?, ?, 1)",
            [(s, f, ts, ts) for s, f, ts in case.fields],
        )


def keyed(findings: list[Finding]) -> set[tuple[str, str, str | None]]:
    def key(f: Finding) -> str | None:
        if f.kind == ChangeKind.LEVEL_DRIFT:
            return f.level
        if f.kind == ChangeKind.FORMAT_DRIFT:
            return f.template
        return f.pattern_id

    return {(f.kind.value, f.source, key(f)) for f in findings}


def run(con: duckdb.DuckDBPyConnection, case: Case, kind: str) -> list[Finding]:
    load(con, case)
    return detect_changes(con, case.window, case.baseline, kinds=[kind])


# --- rate_shift ------------------------------------------------------------------------------

BEFORE = START - HOUR
DAY_BEFORE = START - DAY
RATE_SHIFT_CASES = {
    "x10 spike": Case(
        [P("p1", per_minute(BEFORE, 60, 2) + per_minute(START, 60, 20))],
        {("rate_shift", "app", "p1")},
    ),
    "1 -> 3 is not a spike": Case(
        [P("p1", [(BEFORE + 5 * MINUTE, 1), (START, 1), (START + MINUTE, 2)])], set()
    ),
    "0 -> 8 is not a spike (count floor)": Case([P("p1", per_minute(START, 8, 1))], set()),
    "drop to 20%": Case(
        [P("p1", per_minute(BEFORE, 60, 5) + per_minute(START, 60, 1))],
        {("rate_shift", "app", "p1")},
    ),
    "noise is not a shift": Case(
        [P("p1", per_minute(BEFORE, 50, 2) + per_minute(START, 60, 2))], set()
    ),
    "significant but small ratio": Case(
        [P("p1", per_minute(BEFORE, 60, 1000) + per_minute(START, 60, 1300))], set()
    ),
    "a day-long baseline is scaled to the hour": Case(
        [P("p1", per_minute(DAY_BEFORE, 24 * 60, 2) + per_minute(START, 60, 2))],
        set(),
        baseline=Window(DAY_BEFORE, START),
    ),
    "a day-long baseline, x5 now": Case(
        [P("p1", per_minute(DAY_BEFORE, 24 * 60, 2) + per_minute(START, 60, 10))],
        {("rate_shift", "app", "p1")},
        baseline=Window(DAY_BEFORE, START),
    ),
    "baseline in an hourly rollup, same rate": Case(
        [P("p1", per_minute(START, 60, 2), hourly=[(BEFORE, 120)])], set()
    ),
    "baseline in a daily rollup, x10 now": Case(
        [P("p1", per_minute(START, 60, 20), daily=[(DAY_BEFORE - 12 * HOUR, 2880)])],
        {("rate_shift", "app", "p1")},
        baseline=Window(DAY_BEFORE - 12 * HOUR, START - 12 * HOUR),
    ),
    "absent now is left to gone": Case([P("p1", per_minute(BEFORE, 60, 5))], set()),
    "a new pattern is left to new": Case(
        [P("p1", per_minute(START, 60, 20), first_seen=START + MINUTE)], set()
    ),
    "back after a quiet baseline": Case(
        [P("p1", per_minute(START, 60, 1), first_seen=LONG_AGO)], {("rate_shift", "app", "p1")}
    ),
}


@pytest.mark.parametrize("name", RATE_SHIFT_CASES)
def test_rate_shift(con: duckdb.DuckDBPyConnection, name: str) -> None:
    case = RATE_SHIFT_CASES[name]
    assert keyed(run(con, case, "rate_shift")) == case.expected


def test_rate_shift_columns_and_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Rates are per minute; a baseline kept only as an hourly rollup still counts."""
    load(con, Case([P("p1", per_minute(START, 60, 20), hourly=[(BEFORE, 120)])], set()))
    (finding,) = detect_changes(con, WINDOW, PREVIOUS, kinds=["rate_shift"])
    assert (finding.pattern_id, finding.source, finding.level) == ("p1", "app", "info")
    assert (finding.current_count, finding.baseline_count) == (1200, 120)
    assert finding.current_rate == pytest.approx(20.0)
    assert finding.baseline_rate == pytest.approx(2.0)
    assert finding.direction == "up"
    assert finding.score > DiffThresholds().score_min
    assert finding.template == "template of p1 <*>"
    assert finding.last_seen == START + 59 * MINUTE


# --- gone ------------------------------------------------------------------------------------

GONE_CASES = {
    "a heartbeat stops": Case([P("hb", per_minute(BEFORE, 60, 1))], {("gone", "app", "hb")}),
    "a rare pattern absent now is not gone": Case(
        [P("rare", [(BEFORE + 7 * MINUTE, 1), (BEFORE + 40 * MINUTE, 2)])], set()
    ),
    "a burst in one slice is not steady": Case([P("burst", per_minute(BEFORE, 5, 12))], set()),
    "still there (once) is not gone": Case(
        [P("hb", [*per_minute(BEFORE, 60, 1), (START + 30 * MINUTE, 1)])], set()
    ),
    "steady in hourly rollups": Case(
        [P("hb", [], hourly=[(START - i * HOUR, 60) for i in range(1, 7)])],
        {("gone", "app", "hb")},
        baseline=Window(START - 6 * HOUR, START),
    ),
    "steady in a daily rollup": Case(
        [P("hb", [], daily=[(DAY_BEFORE - 12 * HOUR, 1440)])],
        {("gone", "app", "hb")},
        baseline=Window(DAY_BEFORE - 12 * HOUR, START - 12 * HOUR),
    ),
    "12 lines, one per 5 minutes: an empty hour is not surprising enough": Case(
        [P("slow", per_minute(BEFORE, 60, 1)[::5])], set()
    ),
}


@pytest.mark.parametrize("name", GONE_CASES)
def test_gone(con: duckdb.DuckDBPyConnection, name: str) -> None:
    case = GONE_CASES[name]
    assert keyed(run(con, case, "gone")) == case.expected


def test_gone_columns(con: duckdb.DuckDBPyConnection) -> None:
    case = GONE_CASES["a heartbeat stops"]
    (finding,) = run(con, case, "gone")
    assert (finding.current_count, finding.baseline_count) == (0, 60)
    assert finding.current_rate == 0.0
    assert finding.baseline_rate == pytest.approx(1.0)
    assert finding.last_seen == START - MINUTE
    assert finding.direction == "down"


def test_once_now_is_a_rate_shift_down_not_gone(con: duckdb.DuckDBPyConnection) -> None:
    load(con, GONE_CASES["still there (once) is not gone"])
    (finding,) = detect_changes(con, WINDOW, PREVIOUS)
    assert (finding.kind, finding.direction) == (ChangeKind.RATE_SHIFT, "down")


# --- new -------------------------------------------------------------------------------------

NEW_CASES = {
    "first seen in the window": Case(
        [P("n1", per_minute(START + 10 * MINUTE, 3, 1), first_seen=START + 10 * MINUTE)],
        {("new", "app", "n1")},
    ),
    "seen long ago is not new": Case([P("old", per_minute(START, 3, 1))], set()),
    "seen before the window only in an hourly rollup": Case(
        [P("r1", [(START, 2)], hourly=[(START - 3 * DAY, 4)], first_seen=START + MINUTE)], set()
    ),
    "seen before the window only in a daily rollup": Case(
        [P("r2", [(START, 2)], daily=[(START - 40 * DAY, 9)], first_seen=START + MINUTE)], set()
    ),
    "an hourly rollup ending after the window start proves nothing": Case(
        [P("r3", [], hourly=[(START, 5)], first_seen=START + 5 * MINUTE)], {("new", "app", "r3")}
    ),
    "first seen after the window is not new in it": Case(
        [P("late", [(START + 2 * HOUR, 1)], first_seen=START + 2 * HOUR)], set()
    ),
    "new in another source too": Case(
        [
            P("n1", [(START, 1)], first_seen=START),
            P("n1", [(START, 2)], first_seen=START + 5 * MINUTE, source="api"),
        ],
        {("new", "app", "n1"), ("new", "api", "n1")},
    ),
}


@pytest.mark.parametrize("name", NEW_CASES)
def test_new(con: duckdb.DuckDBPyConnection, name: str) -> None:
    case = NEW_CASES[name]
    assert keyed(run(con, case, "new")) == case.expected


def test_new_columns_and_no_rate_shift(con: duckdb.DuckDBPyConnection) -> None:
    load(con, NEW_CASES["first seen in the window"])
    (finding,) = detect_changes(con, WINDOW, PREVIOUS)
    assert finding.kind == ChangeKind.NEW
    assert (finding.current_count, finding.baseline_count, finding.baseline_rate) == (3, 0, 0.0)
    assert finding.current_rate == pytest.approx(3 / 60)
    assert finding.first_seen == START + 10 * MINUTE
    assert finding.last_seen == START + 12 * MINUTE
    assert finding.sample == "sample of n1 1"


def test_a_learned_pattern_is_not_new(con: duckdb.DuckDBPyConnection) -> None:
    """Patterns the first tick (or a train) read before learned_until are known, not new."""
    load(con, NEW_CASES["first seen in the window"])
    con.execute(
        "INSERT INTO source_state (source, learned_until, updated_at) VALUES ('app', $at, $at)",
        {"at": START + 20 * MINUTE},
    )
    assert detect_changes(con, WINDOW, PREVIOUS) == []
    con.execute("UPDATE source_state SET learned_until = $at", {"at": START + 5 * MINUTE})
    assert keyed(detect_changes(con, WINDOW, PREVIOUS)) == {("new", "app", "n1")}


def test_new_min_count(con: duckdb.DuckDBPyConnection) -> None:
    load(con, NEW_CASES["first seen in the window"])
    strict = DiffThresholds(new_min_count=5)
    assert detect_changes(con, WINDOW, PREVIOUS, kinds=["new"], thresholds=strict) == []


# --- level_drift -----------------------------------------------------------------------------


def levels(source: str, before: tuple[int, int, int], now: tuple[int, int, int]) -> list[P]:
    """The same three patterns (info, error, warn) with counts ``before`` and ``now``."""
    out = []
    for i, level in enumerate(("info", "error", "warn")):
        counts = [(BEFORE, before[i])] if before[i] else []
        counts += [(START, now[i])] if now[i] else []
        if counts:
            out.append(P(f"{source}-{level}", counts, level, source))
    return out


LEVEL_CASES = {
    "error share jumps": Case(
        levels("db", (950, 50, 0), (950, 400, 0)), {("level_drift", "db", "error")}
    ),
    "same shares at another volume": Case(levels("db", (950, 50, 100), (1900, 100, 200)), set()),
    "too few records": Case(levels("db", (30, 2, 0), (30, 15, 0)), set()),
    "warn share falls": Case(
        levels("web", (700, 0, 300), (950, 0, 50)), {("level_drift", "web", "warn")}
    ),
    "a small move stays inside the band": Case(levels("db", (9500, 500, 0), (9200, 800, 0)), set()),
    "fatal counts as error": Case(
        [*levels("db", (950, 0, 0), (950, 0, 0)), P("db-fatal", [(START, 300)], "fatal", "db")],
        {("level_drift", "db", "error")},
    ),
}


@pytest.mark.parametrize("name", LEVEL_CASES)
def test_level_drift(con: duckdb.DuckDBPyConnection, name: str) -> None:
    case = LEVEL_CASES[name]
    assert keyed(run(con, case, "level_drift")) == case.expected


def test_level_drift_columns_are_shares(con: duckdb.DuckDBPyConnection) -> None:
    (finding,) = run(con, LEVEL_CASES["error share jumps"], "level_drift")
    assert (finding.pattern_id, finding.template, finding.sample) == (None, None, None)
    assert (finding.current_count, finding.baseline_count) == (400, 50)
    assert finding.current_rate == pytest.approx(400 / 1350)
    assert finding.baseline_rate == pytest.approx(50 / 1000)


# --- format_drift ----------------------------------------------------------------------------

FAILURES = "mapping failures"
FORMAT_CASES = {
    "failures start": Case(
        [],
        {("format_drift", "pay", FAILURES)},
        failures=[("pay", BEFORE, 100, 0), ("pay", START + 5 * MINUTE, 100, 30)],
    ),
    "steady failures": Case(
        [], set(), failures=[("pay", BEFORE, 100, 20), ("pay", START + 5 * MINUTE, 100, 22)]
    ),
    "a few failures": Case([], set(), failures=[("pay", START, 100, 3)]),
    "a new field": Case(
        [],
        {("format_drift", "pay", "new field trace_id")},
        fields=[("pay", "msg", LONG_AGO), ("pay", "ts", LONG_AGO), ("pay", "trace_id", START)],
    ),
    "a new source's first fields are not drift": Case(
        [], set(), fields=[("fresh", "msg", START), ("fresh", "ts", START + MINUTE)]
    ),
    "a field seen before the window is not new": Case(
        [], set(), fields=[("pay", "msg", LONG_AGO), ("pay", "trace_id", START - MINUTE)]
    ),
}


@pytest.mark.parametrize("name", FORMAT_CASES)
def test_format_drift(con: duckdb.DuckDBPyConnection, name: str) -> None:
    case = FORMAT_CASES[name]
    assert keyed(run(con, case, "format_drift")) == case.expected


def test_format_drift_columns(con: duckdb.DuckDBPyConnection) -> None:
    load(con, FORMAT_CASES["failures start"])
    load(con, FORMAT_CASES["a new field"])
    found = {f.template: f for f in detect_changes(con, WINDOW, PREVIOUS)}
    failures, field_ = found[FAILURES], found["new field trace_id"]
    assert (failures.current_count, failures.baseline_count) == (30, 0)
    assert failures.current_rate == pytest.approx(0.5)
    assert failures.first_seen == failures.last_seen == START + 5 * MINUTE
    assert (field_.sample, field_.current_count, field_.first_seen) == ("trace_id", 1, START)


# --- detect_changes and baselines ------------------------------------------------------------


def test_findings_are_sorted_by_score_and_filtered(con: duckdb.DuckDBPyConnection) -> None:
    load(con, RATE_SHIFT_CASES["x10 spike"])
    load(con, GONE_CASES["a heartbeat stops"])
    load(con, LEVEL_CASES["error share jumps"])
    found = detect_changes(con, WINDOW, PREVIOUS)
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    assert {f.kind for f in found} == {"rate_shift", "gone", "level_drift"}
    only_db = detect_changes(con, WINDOW, PREVIOUS, sources=["db"])
    assert {f.source for f in only_db} == {"db"}
    assert detect_changes(con, WINDOW, PREVIOUS, sources=[]) == []
    assert {f.kind for f in detect_changes(con, WINDOW, PREVIOUS, kinds=["gone"])} == {"gone"}


def test_unknown_kind_is_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match=r"unknown change kind 'spike'.*rate_shift"):
        detect_changes(con, WINDOW, PREVIOUS, kinds=["spike"])


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("previous", (START - HOUR, START)),
        ("1d-ago", (START - timedelta(days=1), START + HOUR - timedelta(days=1))),
        ("1w-ago", (START - timedelta(days=7), START + HOUR - timedelta(days=7))),
        ("12h-ago", (START - timedelta(hours=12), START - timedelta(hours=11))),
        (
            "2026-11-01T00:00:00Z..2026-11-02T00:00",
            (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
        ),
    ],
)
def test_resolve_baseline(spec: str, expected: tuple[datetime, datetime]) -> None:
    assert resolve_baseline(spec, START, START + HOUR) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("yesterday", "unknown baseline 'yesterday'; expected previous"),
        ("0d-ago", "unknown baseline"),
        ("xd-ago", "unknown baseline"),
        ("2026-11-02..2026-11-01", "must be before"),
        ("2026-11-01..soon", "ISO 8601"),
    ],
)
def test_resolve_baseline_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_baseline(spec, START, START + HOUR)


def test_windows_and_thresholds_are_checked() -> None:
    with pytest.raises(ValueError, match="before its end"):
        Window(START, START)
    with pytest.raises(ValueError, match="timezone-aware"):
        Window(datetime(2026, 11, 4), datetime(2026, 11, 5))
    with pytest.raises(ValueError, match="alpha must be in"):
        DiffThresholds(alpha=0.7)
    assert DiffThresholds().score_min == pytest.approx(5.678, abs=1e-3)


def test_every_diff_query_has_a_header_and_a_kind() -> None:
    files = sorted((sql_dir() / "diff").glob("*.sql"))
    assert {f.stem for f in files} == {k.value for k in ChangeKind}
    for path in files:
        head = path.read_text(encoding="utf-8").splitlines()[:6]
        for key in ("-- purpose:", "-- grain:", "-- params:", "-- returns:"):
            assert any(line.startswith(key) for line in head), f"{path.name} lacks {key}"
