"""One config with a source of each type — file, loki, prometheus, sql, http — ticks into one
store (issue 6); `ailert sources check` and `ailert query-logs` work on all of them, and no
password reaches their output."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ailert.cli import app
from ailert.cli_sources import register
from ailert.config import Config
from ailert.pipeline import run_tick
from ailert.sources.base import Secrets, plan_window, redact_url, to_ns
from tests.conftest import file_source
from tests.servers import FakeLoki, JsonApi, MetricsEndpoint, free_port

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AILERT_NOW", NOW.isoformat())


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-v", "ON_ERROR_STOP=1",
         "-q", "-c", sql],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@dataclass
class Everything:
    config: Config
    loki: FakeLoki


@pytest.fixture
def everything(workspace: Path, make_config: Callable[..., Config]) -> Iterator[Everything]:
    log = workspace / "logs" / "app.log"
    log.write_text("".join(f"2026-11-26T08:{m:02d}:00Z INFO hello {m}\n" for m in range(10)))
    table = f"ailert_all_{secrets.token_hex(4)}"
    psql(
        f"CREATE TABLE {table} (ts timestamptz, level text, msg text);"
        f"INSERT INTO {table} SELECT timestamptz '2026-11-26 08:30:00+00' + i * interval '1 s', "
        "'warn', 'slow query ' || i FROM generate_series(1, 40) AS i;"
    )
    api_records = [
        {"time": f"2026-11-26T08:4{i}:00Z", "level": "error", "msg": f"payment {i} declined"}
        for i in range(5)
    ]
    metrics = '# TYPE jobs gauge\njobs{queue="mail"} 4\njobs{queue="sms"} 1\n'
    try:
        with FakeLoki() as loki, MetricsEndpoint(metrics) as endpoint, JsonApi(
            api_records, page_size=2
        ) as api:  # fmt: skip
            start = to_ns(NOW - timedelta(minutes=20))
            for i in range(30):
                loki.push({"app": "api", "pod": f"api-{i % 2}"}, start + i * 1_000_000_000,
                          f"GET /orders/{i} 200")  # fmt: skip
            config = make_config(
                file_source(log, name="app")
                + f"  - name: loki\n    type: loki\n    url: {loki.url}\n"
                "    query: '{app=\"api\"}'\n"
                f"  - name: metrics\n    type: prometheus\n    scrape: {endpoint.url}/metrics\n"
                f"  - name: db\n    type: sql\n    url: {PG}\n"
                f"    query: select ts, level, msg from {table} where ts >= {{start}} and ts < "
                "{end}\n"
                f"  - name: api\n    type: http\n    url: '{api.url}/logs?start={{start}}&end="
                "{end}'\n    records: data.items\n"
                "    pagination: {type: link, path: links.next}\n"
            )
            yield Everything(config, loki)
    finally:
        psql(f"DROP TABLE IF EXISTS {table}")


def test_one_source_of_each_type_ticks_into_one_store(everything: Everything) -> None:
    report = run_tick(everything.config)
    assert report.ok, {s.source: s.errors for s in report.sources}
    records = {s.source: s.records for s in report.sources}
    assert records == {"app": 10, "loki": 30, "metrics": 2, "db": 40, "api": 5}
    with duckdb.connect(str(everything.config.store_path()), read_only=True) as con:
        counted = dict(
            con.execute("SELECT source, sum(n) FROM pattern_counts GROUP BY 1").fetchall()
        )
        cursors = dict(con.execute("SELECT source, type FROM pull_cursors").fetchall())
        runs = dict(con.execute("SELECT source, outcome FROM runs").fetchall())
    assert counted == records
    assert cursors == {"loki": "loki", "metrics": "prometheus", "db": "sql", "api": "http"}
    assert set(runs.values()) == {"ok"}
    assert len(runs) == 5


def test_sources_check_and_query_logs(everything: Everything) -> None:
    register(app)
    runner = CliRunner()
    args = ["--config", str(everything.config.path)]
    result = runner.invoke(app, ["sources", "check", "--json", *args])
    assert result.exit_code == 0, result.output
    checks = {s["source"]: s for s in json.loads(result.output)["sources"]}
    assert all(c["ok"] for c in checks.values())
    assert checks["loki"]["sample"]["message"] == "GET /orders/0 200"
    assert checks["loki"]["sample"]["labels"] == {"app": "api", "pod": "api-0"}
    assert checks["db"]["sample"]["level"] == "warn"
    assert checks["metrics"]["sample"]["value"] == 4.0
    assert checks["app"]["sample"]["message"] == "2026-11-26T08:00:00Z INFO hello 0"
    assert len(everything.loki.requests) == 1
    assert everything.loki.requests[0]["limit"] == "1"
    table = runner.invoke(app, ["sources", "check", *args])
    assert table.exit_code == 0
    assert "reachable" in table.output

    logs = runner.invoke(
        app, ["query-logs", "-s", "loki", "--since", "1h", "-n", "5", "--json", *args]
    )
    assert logs.exit_code == 0, logs.output
    got = json.loads(logs.output)["records"]
    assert [r["message"] for r in got] == [f"GET /orders/{i} 200" for i in range(5)]
    assert got[0]["ts"] == "2026-11-26T08:40:00Z"
    files = runner.invoke(app, ["query-logs", "-s", "app", "--since", "55m", "--json", *args])
    assert [r["message"][-7:] for r in json.loads(files.output)["records"]] == [
        f"hello {m}" for m in range(5, 10)
    ]
    missing = runner.invoke(app, ["query-logs", "-s", "nope", *args])
    assert missing.exit_code == 1
    assert "no source named 'nope'" in missing.output


def test_check_reports_an_unreachable_source_without_its_password(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOKI_PASSWORD", "pa55-word")
    config = make_config(
        f"  - name: loki\n    type: loki\n    url: http://admin:hunter2@127.0.0.1:{free_port()}\n"
        "    query: '{app=\"api\"}'\n    timeout: 1s\n    retries: 0\n"
        "    username: admin\n    password_env: LOKI_PASSWORD\n"
    )
    register(app)
    result = CliRunner().invoke(app, ["sources", "check", "--config", str(config.path)])
    assert result.exit_code == 1
    assert "admin:***@127.0.0.1" in result.output
    assert "hunter2" not in result.output
    assert "pa55-word" not in result.output


def test_secrets_are_scrubbed_everywhere() -> None:
    assert redact_url("see postgresql://u:p%40ss@db:5432/x and mysql://root:@h/y") == (
        "see postgresql://u:***@db:5432/x and mysql://root:***@h/y"
    )
    scrubber = Secrets()
    scrubber.add("s3cr/et")
    assert scrubber.scrub("token s3cr/et or s3cr%2Fet") == "token *** or ***"


def test_window_planning() -> None:
    now, hour = to_ns(NOW), timedelta(hours=1)
    first = plan_window(None, now_ns=now, lag=timedelta(seconds=30), lookback=hour)
    assert first is not None
    assert (first.start, first.end) == (
        NOW - hour - timedelta(seconds=30),
        NOW - timedelta(seconds=30),
    )
    assert plan_window(now, now_ns=now, lag=timedelta(0), lookback=hour) is None
    trained = plan_window(None, now_ns=now, lag=timedelta(0), lookback=hour,
                          trained_until=NOW - timedelta(hours=5))  # fmt: skip
    assert trained is not None
    assert trained.start == NOW - timedelta(hours=5)
    aligned = plan_window(now, now_ns=now + 1500, lag=timedelta(0), lookback=hour, align_s=1)
    assert aligned is None


def test_the_issue_config_example_validates(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ailert.config import load_config
    from ailert.errors import ConfigError

    monkeypatch.setenv("LOGS_DB_URL", "postgresql://app:db-pass@127.0.0.1:5432/logs")
    path = workspace / "ailert.yaml"
    path.write_text(
        "sources:\n"
        "  - name: db\n    type: sql\n    url: ${LOGS_DB_URL}\n"
        '    query: "select ts, level, msg from logs where ts >= {start} and ts < {end}"\n'
        "  - name: metrics\n    type: prometheus\n    url: http://127.0.0.1:9090\n    query: up\n"
        "  - name: loki\n    type: loki\n    url: http://127.0.0.1:3100\n"
        "    query: '{app=\"api\"}'\n"
    )
    config = load_config(path)
    assert [s.type for s in config.sources] == ["sql", "prometheus", "loki"]
    path.write_text(
        "sources:\n  - name: loki\n    type: loki\n    url: http://x\n    query: '{a=\"b\"}'\n"
        "    password_env: 'hunter2 is my password'\n    limt: 5\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "sources[0].limt: unknown key" in message
    assert "sources[0].password_env: expected the name of an environment variable" in message
    assert "hunter2" not in message
