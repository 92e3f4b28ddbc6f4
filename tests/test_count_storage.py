"""Count storage (migration 0008): every batch adds to the minute, hourly and daily tables
(one row per key, no index), retention only deletes what a coarser table already holds, and
the diff queries read each range through ``count_rows`` in pieces planned by
:func:`ailert.diff.count_plan` — which must count exactly what ``v_counts`` (the best
available resolution) holds, whatever the window, its alignment and the retention state."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
import pytest

from ailert.config import RetentionSettings
from ailert.diff import CountPlan, Coverage, Window, count_plan, read_coverage
from ailert.sqlfiles import load_sql, sql_dir
from ailert.store import Store, open_store
from ailert.store.migrate import migrate
from ailert.store.retention import roll_up
from ailert.store.snapshot import COUNT_UPSERTS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TABLES = ("pattern_counts", "pattern_counts_hourly", "pattern_counts_daily")
Row = tuple[Any, ...]
PER_KEY = "SELECT source, pattern_id, sum(n) FROM v_counts GROUP BY ALL ORDER BY ALL"


def add_batch(
    con: duckdb.DuckDBPyConnection, source: str, rows: list[tuple[str, datetime, int]]
) -> None:
    """One batch's counts (pattern_id, minute bucket, n) through the tick's upserts."""
    frame = (
        pl.DataFrame(
            rows,
            schema={"pattern_id": pl.String, "bucket": pl.Datetime("us", "UTC"), "n": pl.Int64},
            orient="row",
        )
        .group_by("pattern_id", "bucket")
        .agg(pl.col("n").sum())
    )
    con.register("batch_counts", frame)
    try:
        for name in COUNT_UPSERTS:
            con.execute(load_sql(name), {"source": source})
    finally:
        con.unregister("batch_counts")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    return con.execute(sql, params or {}).fetchall()[0][0]


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store(None) as store:
        yield store


def random_history(con: duckdb.DuckDBPyConnection, seed: int, days: int = 12) -> None:
    """Three patterns in two sources, lines in random minutes over ``days`` before NOW, added
    in batches that overlap (a bucket is often split between two batches)."""
    rng = random.Random(seed)
    start = NOW - days * DAY
    minutes = days * 24 * 60
    for source, pattern in (("app", "p1"), ("app", "p2"), ("db", "p1")):
        chosen = sorted(rng.sample(range(minutes), minutes // 7))
        rows = [(pattern, start + m * MINUTE, rng.randint(1, 9)) for m in chosen]
        cut = 0
        while cut < len(rows):
            step = rng.randint(50, 400)
            batch = rows[cut : cut + step]
            if cut and rng.random() < 0.5:  # adds to the previous batch's last bucket again
                batch.append((pattern, rows[cut - 1][1], 1))
            add_batch(con, source, batch)
            cut += step


def v_counts_sum(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> list[Row]:
    return con.execute(
        "SELECT source, pattern_id, sum(n)::BIGINT FROM v_counts "
        "WHERE bucket >= $lo AND bucket < $hi GROUP BY ALL ORDER BY ALL",
        {"lo": lo, "hi": hi},
    ).fetchall()


def plan_sum(
    con: duckdb.DuckDBPyConnection, plan: CountPlan, sources: list[str] | None = None
) -> list[Row]:
    return con.execute(
        "SELECT source, pattern_id, sum(n)::BIGINT FROM count_rows($start, $start_hours, "
        "$start_days, $end_days, $end_hours, $end, $sources) GROUP BY ALL ORDER BY ALL",
        {**plan.params(), "sources": sources},
    ).fetchall()


def test_every_batch_adds_to_every_resolution_one_row_per_key(store: Store) -> None:
    con = store.con
    random_history(con, seed=1, days=3)
    for table in TABLES:
        dupes = scalar(
            con,
            f"SELECT count(*) FROM (SELECT source, pattern_id, bucket FROM {table} "
            "GROUP BY ALL HAVING count(*) > 1)",
        )
        assert dupes == 0, table
    for table, unit in (("pattern_counts_hourly", "hour"), ("pattern_counts_daily", "day")):
        rolled = con.execute(
            f"SELECT source, pattern_id, date_trunc('{unit}', bucket) AS b, sum(n)::BIGINT "
            "FROM pattern_counts GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        kept = con.execute(
            f"SELECT source, pattern_id, bucket, n FROM {table} ORDER BY ALL"
        ).fetchall()
        assert kept == rolled, table
    # no index: the ART of a PRIMARY KEY cost ~90 bytes a row
    constrained = con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type IN "
        "('PRIMARY KEY', 'UNIQUE') AND table_name LIKE 'pattern_counts%'"
    ).fetchall()
    assert constrained == []
    assert (
        scalar(con, "SELECT count(*) FROM duckdb_indexes() WHERE table_name LIKE 'pattern_c%'") == 0
    )


def test_retention_only_deletes_what_a_coarser_table_holds(store: Store) -> None:
    con = store.con
    random_history(con, seed=2)
    before = con.execute(PER_KEY).fetchall()
    assert read_coverage(con) == Coverage()
    assert scalar(con, "SELECT count(DISTINCT resolution) FROM v_counts") == 1  # all minutes
    settings = RetentionSettings(minute=timedelta(days=3), hour=timedelta(days=7))
    first = roll_up(store, settings, NOW + 17 * MINUTE)
    assert first.minute_rows > 0
    assert first.hour_rows > 0
    coverage = read_coverage(con)
    assert coverage == Coverage(NOW - 3 * DAY, NOW - 7 * DAY - 12 * HOUR)
    assert con.execute(PER_KEY).fetchall() == before
    assert roll_up(store, settings, NOW + 17 * MINUTE) == type(first)(0, 0)  # idempotent
    roll_up(store, settings, NOW - 5 * DAY)  # an earlier clock never moves coverage back
    assert read_coverage(con) == coverage
    oldest = scalar(con, "SELECT min(bucket) FROM pattern_counts")
    assert oldest >= NOW - 3 * DAY
    resolutions = dict(
        con.execute("SELECT resolution, min(bucket) FROM v_counts GROUP BY 1").fetchall()
    )
    assert set(resolutions) == {"minute", "hour", "day"}
    # a late batch (a train) older than the minute coverage: hours and days count it at once,
    # the minute rows are hidden from v_counts and deleted by the next retention
    late = NOW - 5 * DAY + 7 * MINUTE
    add_batch(con, "app", [("p1", late, 5)])
    total = scalar(con, "SELECT sum(n) FROM v_counts")
    assert total == sum(n for *_, n in before) + 5
    assert roll_up(store, settings, NOW + 17 * MINUTE).minute_rows == 1
    assert scalar(con, "SELECT sum(n) FROM v_counts") == total


def test_a_short_aligned_window_reads_minutes() -> None:
    window = Window(NOW, NOW + HOUR)
    end = NOW + HOUR
    assert count_plan(window) == CountPlan(NOW, end, end, end, end, end)


def test_seven_days_read_days_in_the_middle_and_minutes_only_at_unaligned_ends() -> None:
    aligned = Window(NOW - 7 * DAY, NOW)  # 12:00 to 12:00: hours, 6 days, hours
    midnight = NOW - 12 * HOUR
    assert count_plan(aligned) == CountPlan(
        NOW - 7 * DAY, NOW - 7 * DAY, midnight - 6 * DAY, midnight, NOW, NOW
    )
    end = NOW + 34 * MINUTE + timedelta(seconds=56.5)  # `ailert diff --since 7d` at 12:34:56
    plan = count_plan(Window(end - 7 * DAY, end))
    assert plan == CountPlan(
        end - 7 * DAY, NOW - 7 * DAY + HOUR, midnight - 6 * DAY, midnight, NOW, end
    )
    # gone's baseline slices (28 h) are hour- but not day-aligned: hours, no days
    sliced = count_plan(aligned, slices=6)
    assert sliced == CountPlan(NOW - 7 * DAY, NOW - 7 * DAY, NOW, NOW, NOW, NOW)


def test_periods_past_retention_are_read_at_the_resolution_that_holds_them() -> None:
    hour_from = NOW - 90 * DAY - 12 * HOUR
    coverage = Coverage(minute_from=NOW - 7 * DAY, hour_from=hour_from)
    baseline = Window(NOW - 14 * DAY + 5 * MINUTE, NOW - 7 * DAY + 5 * MINUTE)
    plan = count_plan(baseline, coverage)
    midnight = NOW - 12 * HOUR
    assert plan == CountPlan(
        baseline.start, baseline.start, midnight - 13 * DAY, midnight - 7 * DAY,
        NOW - 7 * DAY, baseline.end,
    )  # fmt: skip
    old = Window(NOW - 100 * DAY, NOW - 99 * DAY + 30 * MINUTE)  # days only, to its end
    lo, hi = old.start, old.end
    assert count_plan(old, coverage) == CountPlan(lo, lo, lo, hi, hi, hi)
    straddling = Window(NOW - 91 * DAY, NOW - 89 * DAY)  # days, then hours from hour_from
    assert count_plan(straddling, coverage) == CountPlan(
        straddling.start, straddling.start, straddling.start, hour_from,
        straddling.end, straddling.end,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_count_plans_count_exactly_what_v_counts_holds(store: Store, seed: int) -> None:
    """Random windows (aligned or not, minutes to days long, before and after retention
    boundaries, with and without gone's slices): the planned read equals v_counts."""
    con = store.con
    random_history(con, seed=seed)
    if seed % 2:
        roll_up(store, RetentionSettings(minute=timedelta(days=3), hour=timedelta(days=6)), NOW)
    coverage = read_coverage(con)
    rng = random.Random(seed)
    lengths = [MINUTE * 7, HOUR, 5 * HOUR, 7 * HOUR, DAY, 2 * DAY + HOUR, 3 * DAY, 7 * DAY]
    for _ in range(60):
        length = rng.choice(lengths)
        if rng.random() < 0.5:
            length += timedelta(seconds=rng.randint(1, 5000))
        start = NOW - timedelta(seconds=rng.randint(0, 13 * 86400))
        if rng.random() < 0.4:
            start = start.replace(minute=0, second=0)
        window = Window(start, start + length)
        slices = rng.choice([None, 6, 4])
        plan = count_plan(window, coverage, slices=slices)
        assert plan_sum(con, plan) == v_counts_sum(con, window.start, window.end), (window, plan)
    app_only = count_plan(Window(NOW - 9 * DAY, NOW), coverage)
    assert {r[0] for r in plan_sum(con, app_only, ["app"])} == {"app"}


def _old_store(con: duckdb.DuckDBPyConnection) -> None:
    """Migrations 0001-0007 (the old layout: primary keys, one resolution per period)."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    for path in sorted((sql_dir() / "migrations").glob("*.sql")):
        version = int(path.name[:4])
        if version >= 8:
            continue
        con.execute(path.read_text(encoding="utf-8"))
        con.execute(
            "INSERT INTO schema_migrations VALUES ($v, $n, now())", {"v": version, "n": path.stem}
        )


def test_migration_keeps_totals_and_completes_the_coarser_tables() -> None:
    con = duckdb.connect(":memory:")
    _old_store(con)
    con.execute(
        "INSERT INTO pattern_counts VALUES "
        "('app', 'p1', $now - INTERVAL 2 DAY, 3), ('app', 'p1', $now - INTERVAL 1 MINUTE, 4), "
        "('db', 'p2', $now - INTERVAL 90 MINUTE, 5)",
        {"now": NOW},
    )
    con.execute(
        "INSERT INTO pattern_counts_hourly VALUES ('app', 'p1', $now - INTERVAL 9 DAY, 60), "
        "('app', 'p1', $now - INTERVAL 8 DAY, 50)",
        {"now": NOW},
    )
    con.execute(
        "INSERT INTO pattern_counts_daily VALUES ('app', 'p1', $d - INTERVAL 100 DAY, 1000)",
        {"d": NOW - 12 * HOUR},
    )
    old = con.execute(PER_KEY).fetchall()
    assert migrate(con)[0] == 8
    assert con.execute(PER_KEY).fetchall() == old
    assert read_coverage(con) == Coverage(NOW - 8 * DAY + HOUR, NOW - 12 * HOUR - 99 * DAY)
    hourly = dict(
        con.execute(
            "SELECT bucket, sum(n) FROM pattern_counts_hourly WHERE pattern_id = 'p1' GROUP BY 1"
        ).fetchall()
    )
    assert hourly == {
        NOW - 9 * DAY: 60, NOW - 8 * DAY: 50, NOW - 2 * DAY: 3, NOW - HOUR: 4
    }  # fmt: skip
    assert scalar(con, "SELECT sum(n) FROM pattern_counts_daily") == 1000 + 60 + 50 + 3 + 4 + 5
    # ticks go on adding to every resolution, with no primary key to upsert on
    add_batch(con, "app", [("p1", NOW - MINUTE, 1)])
    assert scalar(con, "SELECT n FROM pattern_counts WHERE bucket = $b", {"b": NOW - MINUTE}) == 5
