"""Around the counts: learning on the first tick, `train` backfills, retention rollups that
keep totals, the analysts' views, and the published read copy that never blocks a tick."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ailert.config import Config, RetentionSettings
from ailert.errors import AIlertError
from ailert.pipeline import run_tick, run_train
from ailert.store import open_store
from ailert.store.retention import roll_up
from datagen.generate import generate_between, render, write_lines
from tests.conftest import file_source

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PER_PATTERN = "SELECT source, pattern_id, sum(n) FROM v_counts GROUP BY ALL ORDER BY ALL"


def _query(config: Config, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def history(workspace: Path) -> Path:
    """Three days of JSON logs ending at NOW."""
    log = workspace / "logs" / "app.jsonl"
    events = generate_between(21, NOW - timedelta(days=3), NOW, rate_per_s=0.05)
    write_lines(log, render(events, "json"))
    return log


def test_first_tick_is_learning(history: Path, make_config: Callable[..., Config]) -> None:
    config = make_config(file_source(history, format="json"))
    run_tick(config)
    rows = _query(config, "SELECT count(*), count(*) FILTER (WHERE is_new) FROM v_new_patterns")
    assert rows[0][0] > 10
    assert rows[0][1] == 0  # everything the first tick saw is learned, not new
    with history.open("a") as handle:
        handle.write(
            '{"ts": "2099-01-01T00:00:00Z", "level": "error", "msg": "brand new failure"}\n'
        )
    run_tick(config)
    new = _query(config, "SELECT template FROM v_new_patterns WHERE is_new")
    assert new == [("brand new failure",)]


def test_train_backfills_a_range_and_ticks_skip_it(
    history: Path, make_config: Callable[..., Config]
) -> None:
    config = make_config(file_source(history, format="json"))
    total = len(history.read_text().splitlines())
    since, until = NOW - timedelta(days=2), NOW - timedelta(days=1)
    report = run_train(config, since, until)
    assert report.ok
    trained = report.sources[0].records
    in_range = _query(
        config,
        "SELECT sum(n) FROM v_counts WHERE bucket >= TIMESTAMPTZ '2026-11-24 12:00:00+00'"
        " AND bucket < TIMESTAMPTZ '2026-11-25 12:00:00+00'",
    )[0][0]
    assert trained == in_range > 0
    assert _query(config, "SELECT count(*) FROM file_cursors") == [(0,)]  # train keeps no cursor
    tick = run_tick(config).sources[0]
    # the tick reads the file from its start, skipping what is older than the trained range's end
    older = _query(config, "SELECT count(*) FROM runs WHERE outcome = 'ok'")[0][0]
    assert older == 2
    assert tick.records + tick.skipped == total
    assert _query(config, "SELECT sum(n) FROM v_counts")[0][0] == trained + tick.records
    with pytest.raises(AIlertError, match="already been read by ticks"):
        run_train(config, since - timedelta(days=1), since)


def test_train_refuses_an_overlapping_range(
    history: Path, make_config: Callable[..., Config]
) -> None:
    config = make_config(file_source(history, format="json"))
    run_train(config, NOW - timedelta(days=2), NOW - timedelta(days=1))
    with pytest.raises(AIlertError, match="trained up to"):
        run_train(config, NOW - timedelta(days=1, hours=12), NOW)
    with pytest.raises(AIlertError, match="must be before"):
        run_train(config, NOW, NOW)


def test_rollups_keep_totals_and_are_idempotent(
    history: Path, make_config: Callable[..., Config]
) -> None:
    config = make_config(file_source(history, format="json"), extra="publish: {read_copy: false}")
    run_tick(config)
    before = _query(config, PER_PATTERN)
    settings = RetentionSettings(minute=timedelta(days=1), hour=timedelta(days=2))
    with open_store(config.store_path()) as store:
        first = roll_up(store, settings, NOW)
        second = roll_up(store, settings, NOW)
    assert first.minute_rows > 0
    assert first.hour_rows > 0
    assert second.minute_rows == second.hour_rows == 0
    after = _query(config, PER_PATTERN)
    assert after == before
    oldest_minute = _query(config, "SELECT min(bucket) FROM pattern_counts")[0][0]
    assert oldest_minute >= NOW - timedelta(days=1, hours=1)
    resolutions = {r[0] for r in _query(config, "SELECT DISTINCT resolution FROM v_counts")}
    assert resolutions == {"minute", "hour", "day"}


def test_views_are_documented(history: Path, make_config: Callable[..., Config]) -> None:
    config = make_config(file_source(history, format="json"))
    run_tick(config)
    views = dict(_query(config, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"))
    for name in ("v_pattern_timeline", "v_new_patterns", "v_findings", "v_counts"):
        assert views.get(name), f"{name} has no COMMENT"
    tables = dict(_query(config, "SELECT table_name, comment FROM duckdb_tables()"))
    assert all(tables[t] for t in ("patterns", "pattern_counts", "runs", "file_cursors"))
    timeline = _query(config, "SELECT sum(n) FROM v_pattern_timeline")[0][0]
    assert timeline == _query(config, "SELECT sum(total) FROM patterns")[0][0]


def test_an_open_read_copy_does_not_stop_ticks(
    history: Path, make_config: Callable[..., Config]
) -> None:
    config = make_config(file_source(history, format="json"))
    run_tick(config)
    copy = config.read_copy_path()
    assert copy is not None
    assert copy.exists()
    analyst = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb,time; c=duckdb.connect({str(copy)!r}, read_only=True); "
         "print(c.execute('SELECT sum(total) FROM patterns').fetchall()[0][0], flush=True); "
         "time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert analyst.stdout is not None
        seen_by_analyst = int(analyst.stdout.readline())
        with history.open("a") as handle:
            handle.write('{"ts": "2026-11-26T12:00:00Z", "level": "info", "msg": "one more"}\n')
        assert run_tick(config).ok  # neither the store nor the copy is blocked
    finally:
        analyst.kill()
        analyst.wait()
        assert analyst.stdout is not None
        analyst.stdout.close()
    with duckdb.connect(str(copy), read_only=True) as con:
        assert (
            con.execute("SELECT sum(total) FROM patterns").fetchall()[0][0] == seen_by_analyst + 1
        )
