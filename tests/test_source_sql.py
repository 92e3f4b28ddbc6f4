"""The sql source (issue 6) against the real PostgreSQL and MariaDB of this machine and SQLite:
windows filled from the cursor with exact [start, end) boundaries, column mapping (ts, level,
message, labels, a syslog line in a column), partitioning, and bad URLs or passwords failing
within the configured timeout without showing the password."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ailert.config import Config
from ailert.pipeline import run_tick
from ailert.sources.base import Window, to_ns
from ailert.sources.models import SqlSource
from ailert.sources.sqlsource import render_query, render_time
from tests.servers import free_port

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
MY_URL = "mysql://root@127.0.0.1:3306/test"


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-v", "ON_ERROR_STOP=1",
         "-q", "-c", sql],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def mariadb(sql: str) -> None:
    subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-uroot", "test", "-e", sql],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AILERT_NOW", NOW.isoformat())


@pytest.fixture
def pg_table() -> Iterator[str]:
    name = f"ailert_logs_{secrets.token_hex(4)}"
    psql(
        f"CREATE TABLE {name} (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, level text, "
        "msg text, host text);"
        f"INSERT INTO {name} (ts, level, msg, host) "
        "SELECT timestamptz '2026-11-26 08:00:00+00' + i * interval '1 second', "
        "CASE WHEN i % 10 = 0 THEN 'ERROR' ELSE 'info' END, "
        "'job ' || i || ' finished in ' || (i % 7) || ' ms', 'web-' || (i % 3) "
        "FROM generate_series(0, 2999) AS i;"
        f"INSERT INTO {name} (ts, level, msg, host) VALUES "
        "('2026-11-26 09:00:00+00', 'warn', 'exactly at the window end', 'web-0');"
    )
    try:
        yield name
    finally:
        psql(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def my_table() -> Iterator[str]:
    name = f"ailert_logs_{secrets.token_hex(4)}"
    mariadb(
        f"CREATE TABLE {name} (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL, "
        "body TEXT);"
        f"INSERT INTO {name} (ts, body) SELECT "
        "TIMESTAMP'2026-11-26 08:00:00' + INTERVAL seq SECOND, "
        "CONCAT('<', IF(seq % 4 = 0, 11, 14), '>Nov 26 08:00:00 web1 app[', seq % 5, ']: ', "
        "'disk ', seq, IF(seq % 4 = 0, ' failed', ' checked')) FROM seq_0_to_999;"
    )
    try:
        yield name
    finally:
        mariadb(f"DROP TABLE IF EXISTS {name}")


def sql_yaml(url: str, query: str, name: str = "db", **keys: str) -> str:
    lines = [f"  - name: {name}", "    type: sql", f"    url: '{url}'", f'    query: "{query}"']
    lines += [f"    {k}: {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def fetch(config: Config, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_postgres_window_is_half_open_and_cursor_moves(
    pg_table: str, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(
        sql_yaml(PG_URL, f"select ts, level, msg, host from {pg_table} "
                 "where ts >= {start} and ts < {end}", labels="[host]")
    )  # fmt: skip
    report = run_tick(config)
    assert report.ok, report.sources[0].errors
    assert report.sources[0].records == 3000  # 08:00:00 included, 09:00:00 not
    levels = dict(fetch(config, "SELECT level, total FROM patterns"))
    assert levels == {"error": 300, "info": 2700}
    assert fetch(config, "SELECT cursor_at FROM pull_cursors")[0][0] == NOW
    psql(f"INSERT INTO {pg_table} (ts, level, msg, host) VALUES "
         "('2026-11-26 09:03:00+00', 'info', 'job 1 finished in 2 ms', 'web-1')")  # fmt: skip
    monkeypatch.setenv("AILERT_NOW", (NOW + timedelta(minutes=5, microseconds=700)).isoformat())
    second = run_tick(config).sources[0]
    assert second.records == 2  # the row at 09:00:00 and the new one
    assert fetch(config, "SELECT sum(n) FROM pattern_counts")[0][0] == 3002
    cursor = fetch(config, "SELECT cursor_ns FROM pull_cursors")[0][0]
    assert cursor == to_ns(NOW + timedelta(minutes=5))  # whole seconds


def test_postgres_partitioned_and_wrapped_by_cursor(
    pg_table: str, make_config: Callable[..., Config]
) -> None:
    config = make_config(
        sql_yaml(PG_URL, f"select id, ts, level, msg from {pg_table} "
                 "where ts >= {start} and ts < {end}", name="parts", partition_on="id",
                 partition_num="3")
        + sql_yaml(PG_URL, f"select ts, level, msg from {pg_table}", name="wrapped",
                   cursor="ts")
    )  # fmt: skip
    report = run_tick(config)
    assert report.ok, [s.errors for s in report.sources]
    assert [s.records for s in report.sources] == [3000, 3000]


def test_mariadb_syslog_line_in_a_column(my_table: str, make_config: Callable[..., Config]) -> None:
    config = make_config(
        sql_yaml(MY_URL, f"select ts, body from {my_table} where ts >= {{start}} and ts < {{end}}",
                 format="syslog", fields="{ts: ts, message: body}")
    )  # fmt: skip
    report = run_tick(config)
    assert report.ok, report.sources[0].errors
    assert report.sources[0].records == 1000
    assert report.sources[0].mapping_failures == 0
    patterns = dict(fetch(config, "SELECT template, level FROM patterns"))
    assert patterns == {"disk <*> failed": "error", "disk <*> checked": "info"}
    first_seen = fetch(config, "SELECT min(first_seen), max(last_seen) FROM patterns")[0]
    assert first_seen == (
        datetime(2026, 11, 26, 8, 0, tzinfo=UTC),  # the column's time, not the syslog header's
        datetime(2026, 11, 26, 8, 16, 39, tzinfo=UTC),
    )


def test_sqlite_text_timestamps(workspace: Path, make_config: Callable[..., Config]) -> None:
    db = workspace / "logs.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE logs (ts TEXT, message TEXT)")
        con.executemany(
            "INSERT INTO logs VALUES (?, ?)",
            [("2026-11-26 07:59:59", "before"), ("2026-11-26 08:00:00", "at start 1"),
             ("2026-11-26 08:30:00.5", "inside 2"), ("2026-11-26 09:00:00", "at end 3")],
        )  # fmt: skip
    con.close()
    config = make_config(
        sql_yaml(
            f"sqlite://{db}", "select ts, message from logs where ts >= {start} and ts < {end}"
        )
    )
    report = run_tick(config)
    assert report.ok, report.sources[0].errors
    assert report.sources[0].records == 2


def test_unknown_user_fails_within_the_timeout_without_the_password(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PG_PASSWORD", "very-secret-pw")
    monkeypatch.setenv("MY_PASSWORD", "other-secret-pw")
    config = make_config(
        sql_yaml("postgresql://nosuchuser@127.0.0.1:5432/test", "select 1 as ts",
                 name="pg", cursor="ts", password_env="PG_PASSWORD", timeout="2s")
        + sql_yaml(MY_URL, "select 1 as ts", name="my", cursor="ts",
                   password_env="MY_PASSWORD", timeout="2s")
    )  # fmt: skip
    started = time.monotonic()
    report = run_tick(config)
    assert time.monotonic() - started < 8
    for source, user in zip(report.sources, ["nosuchuser", "root"], strict=True):
        assert not source.ok
        error = source.errors[0]
        assert "did not accept a connection within 2s" in error
        assert f"{user}:***@127.0.0.1" in error
        assert "secret" not in error
    assert fetch(config, "SELECT count(*) FROM pull_cursors")[0][0] == 0


def test_closed_port_is_refused_at_once(make_config: Callable[..., Config]) -> None:
    url = f"postgresql://postgres:pw-in-url@127.0.0.1:{free_port()}/test"
    config = make_config(sql_yaml(url, "select 1 as ts", cursor="ts", retries="1",
                                  backoff="10ms"))  # fmt: skip
    started = time.monotonic()
    error = run_tick(config).sources[0].errors[0]
    assert time.monotonic() - started < 3
    assert "cannot connect to the database at 127.0.0.1" in error
    assert "pw-in-url" not in error


def test_a_bad_query_says_so(pg_table: str, make_config: Callable[..., Config]) -> None:
    config = make_config(
        sql_yaml(PG_URL, f"select nope from {pg_table} where ts >= {{start}} and ts < {{end}}")
    )
    error = run_tick(config).sources[0].errors[0]
    assert "the query failed for window [2026-11-26T08:00:00" in error
    assert "nope" in error


def test_time_literals_are_rendered_from_the_cursor() -> None:
    ns = to_ns(datetime(2026, 11, 26, 8, 0, 1, 500000, tzinfo=UTC))
    assert render_time(ns, "timestamp", "postgres") == (
        "TIMESTAMPTZ '2026-11-26 08:00:01.500000+00:00'"
    )
    assert render_time(ns, "timestamp", "mysql", "Europe/Berlin") == (
        "TIMESTAMP '2026-11-26 09:00:01.500000'"
    )
    assert render_time(ns, "timestamp", "sqlite") == "'2026-11-26 08:00:01.500000'"
    assert render_time(ns, "iso", "ansi") == "'2026-11-26T08:00:01.500000Z'"
    assert render_time(ns, "epoch_ms", "ansi") == "1795680001500"
    source = SqlSource(
        name="x", type="sql", url="sqlite:///x.db", query="select * from t", cursor="ts"
    )
    window = Window(ns, ns + 1_000_000_000)
    assert render_query(source, window, "sqlite", 1) == (
        "SELECT * FROM (SELECT * FROM (select * from t) AS ailert_window WHERE ts >= "
        "'2026-11-26 08:00:01.500000' AND ts < '2026-11-26 08:00:02.500000') AS ailert_limit "
        "LIMIT 1"
    )
