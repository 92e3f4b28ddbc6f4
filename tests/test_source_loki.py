"""The loki source (issue 6) against a Loki-API server that follows the documented response
format and checks the parameters it gets: paging without losing or repeating lines that share
a timestamp at a page boundary, stream labels, mappings, auth, retries, failures, cursors."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ailert.config import Config
from ailert.errors import SourceError
from ailert.pipeline import run_tick, run_train
from ailert.sources import pull
from ailert.sources.adhoc import read_records
from ailert.sources.base import to_ns
from ailert.sources.loki import parse_streams
from ailert.sources.models import LokiSource
from tests.conftest import file_source
from tests.servers import FakeLoki, free_port

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
T0 = to_ns(NOW - timedelta(minutes=59))
MS = 1_000_000


@pytest.fixture
def loki() -> Iterator[FakeLoki]:
    with FakeLoki() as server:
        yield server


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AILERT_NOW", NOW.isoformat())


def loki_yaml(url: str, name: str = "loki", **keys: str) -> str:
    lines = [
        f"  - name: {name}",
        "    type: loki",
        f"    url: '{url}'",
        "    query: '{app=\"api\"}'",
    ]
    lines += [f"    {k}: {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def scalar(config: Config, sql: str) -> object:
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def push_shared_timestamps(loki: FakeLoki, n: int, per_ts: int = 7, start: int = T0) -> None:
    """``n`` lines over three streams, ``per_ts`` lines sharing each timestamp."""
    for i in range(n):
        pod = "abc"[i % 3]
        loki.push(
            {"app": "api", "pod": pod}, start + (i // per_ts) * MS, f"req {i} took {i % 13}ms"
        )


def test_paging_counts_every_line_once_across_shared_timestamps(
    loki: FakeLoki, make_config: Callable[..., Config]
) -> None:
    push_shared_timestamps(loki, 600)
    config = make_config(loki_yaml(loki.url, limit="10"))
    report = run_tick(config)
    assert report.ok, report.sources[0].errors
    assert report.sources[0].records == 600
    assert scalar(config, "SELECT sum(n) FROM pattern_counts") == 600
    assert scalar(config, "SELECT cursor_ns FROM pull_cursors") == to_ns(NOW)
    # the parameters Loki got: forward, our limit, ns integers, moving start, fixed end
    starts = [int(r["start"]) for r in loki.requests]
    assert all(r["direction"] == "forward" and r["limit"] == "10" for r in loki.requests)
    assert starts == sorted(starts)
    assert starts[0] == to_ns(NOW - timedelta(hours=1))
    assert {r["end"] for r in loki.requests} == {str(to_ns(NOW))}
    assert len(loki.requests) >= 60
    # read back ad hoc: exactly the lines pushed, none twice
    source = config.source("loki")
    assert isinstance(source, LokiSource)
    records = read_records(source, NOW - timedelta(hours=1), NOW).records
    got = Counter(zip(records["message"].to_list(), records["ts"].to_list(), strict=True))
    assert len(got) == 600
    assert set(got.values()) == {1}


def test_more_lines_on_one_timestamp_than_a_page(
    loki: FakeLoki, make_config: Callable[..., Config]
) -> None:
    for i in range(25):
        loki.push({"app": "api"}, T0, f"burst {i}")
    loki.push({"app": "api"}, T0 + MS, "after the burst")
    config = make_config(loki_yaml(loki.url, limit="10"))
    report = run_tick(config)
    assert report.ok
    assert report.sources[0].records == 26
    assert {r["limit"] for r in loki.requests} >= {"10", "40"}


def test_stream_labels_json_mapping_and_timestamps(
    loki: FakeLoki, make_config: Callable[..., Config]
) -> None:
    labels = {"app": "api", "pod": "api-7", "namespace": "prod"}
    loki.push(labels, T0, '{"log": "user 42 logged in", "level": "warn"}')
    loki.push(
        labels, T0 + MS, '{"log": "disk 3 full", "level": "error", "ts": "2026-11-26T08:30:00Z"}'
    )
    loki.push(labels, T0 + 2 * MS, "not json at all")
    config = make_config(
        loki_yaml(
            loki.url, format="json", fields="{message: log}", stream_labels="[pod, namespace]",
            labels="[level]",
        )
    )  # fmt: skip
    source = config.source("loki")
    assert isinstance(source, LokiSource)
    records = read_records(source, NOW - timedelta(hours=1), NOW).records.sort("ts")
    rows = records.select("ts", "level", "message", "labels", "mapping_failed").to_dicts()
    by_message = {r["message"]: r for r in rows}
    first = by_message["user 42 logged in"]
    assert first["level"] == "warn"
    assert to_ns(first["ts"]) == T0  # no ts in the line: Loki's
    assert first["labels"] == [
        {"key": "pod", "value": "api-7"},
        {"key": "namespace", "value": "prod"},
        {"key": "level", "value": "warn"},
    ]
    assert by_message["disk 3 full"]["ts"] == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    failed = by_message["not json at all"]
    assert failed["mapping_failed"]
    assert to_ns(failed["ts"]) == T0 + 2 * MS
    report = run_tick(config)
    assert report.sources[0].mapping_failures == 1


def test_next_tick_reads_only_the_new_window(
    loki: FakeLoki, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    push_shared_timestamps(loki, 50)
    config = make_config(loki_yaml(loki.url))
    assert run_tick(config).sources[0].records == 50
    later = NOW + timedelta(minutes=10)
    push_shared_timestamps(loki, 30, start=to_ns(NOW + timedelta(minutes=1)))
    monkeypatch.setenv("AILERT_NOW", later.isoformat())
    second = run_tick(config).sources[0]
    assert second.records == 30
    assert int(loki.requests[-1]["start"]) == to_ns(NOW)
    assert scalar(config, "SELECT sum(n) FROM pattern_counts") == 80


def test_a_failure_between_pages_keeps_what_was_committed(
    loki: FakeLoki, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "COMMIT_ROWS", 1)  # commit every page
    push_shared_timestamps(loki, 200)
    loki.fail_after = 5
    config = make_config(loki_yaml(loki.url, limit="20", retries="0"))
    first = run_tick(config).sources[0]
    assert not first.ok
    assert "HTTP 500" in first.errors[0]
    committed = scalar(config, "SELECT sum(n) FROM pattern_counts")
    cursor = scalar(config, "SELECT cursor_ns FROM pull_cursors")
    assert isinstance(committed, int)
    assert 0 < committed < 200
    assert isinstance(cursor, int)
    assert to_ns(NOW - timedelta(hours=1)) < cursor < to_ns(NOW)
    loki.fail_after = None
    second = run_tick(config).sources[0]
    assert second.ok
    assert scalar(config, "SELECT sum(n) FROM pattern_counts") == 200
    assert scalar(config, "SELECT outcome FROM runs ORDER BY run_id LIMIT 1") == "failed"


def test_basic_auth_tenant_and_bearer(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOKI_PW", "s3cret-pw")
    monkeypatch.setenv("LOKI_TOKEN", "tok-abc-123")
    with FakeLoki(basic=("grafana", "s3cret-pw"), tenant="team-a") as basic, FakeLoki(
        bearer="tok-abc-123"
    ) as bearer:  # fmt: skip
        basic.push({"app": "api"}, T0, "hello 1")
        bearer.push({"app": "api"}, T0, "hello 2")
        config = make_config(
            loki_yaml(basic.url, name="basic", username="grafana", password_env="LOKI_PW",
                      tenant="team-a")
            + loki_yaml(bearer.url, name="bearer", bearer_token_env="LOKI_TOKEN")
        )  # fmt: skip
        report = run_tick(config)
        assert report.ok, [s.errors for s in report.sources]
        assert [s.records for s in report.sources] == [1, 1]
        monkeypatch.setenv("LOKI_PW", "wrong-pw")
        basic.push({"app": "api"}, to_ns(NOW) + MS, "hello 3")
        monkeypatch.setenv("AILERT_NOW", (NOW + timedelta(minutes=1)).isoformat())
        failed = run_tick(config, ["basic"]).sources[0]
    assert not failed.ok
    assert "HTTP 401" in failed.errors[0]
    assert "password_env" in failed.errors[0]
    assert "wrong-pw" not in failed.errors[0]


def test_unreachable_loki_fails_fast_and_others_go_on(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    log = workspace / "logs" / "app.log"
    log.write_text("hello 1\nhello 2\n")
    dead = f"http://grafana:hunter2-pw@127.0.0.1:{free_port()}"
    config = make_config(
        loki_yaml(dead, timeout="1s", retries="1", backoff="10ms") + file_source(log, name="app")
    )
    started = time.monotonic()
    report = run_tick(config)
    assert time.monotonic() - started < 5
    by_name = {s.source: s for s in report.sources}
    assert by_name["app"].ok
    assert by_name["app"].records == 2
    error = by_name["loki"].errors[0]
    assert "cannot reach" in error
    assert "grafana:***@" in error
    assert "hunter2" not in error
    assert scalar(config, "SELECT count(*) FROM pull_cursors") == 0
    assert scalar(config, "SELECT error FROM runs WHERE source = 'loki'") == error


def test_transient_errors_are_retried(loki: FakeLoki, make_config: Callable[..., Config]) -> None:
    loki.push({"app": "api"}, T0, "hello")
    loki.fail_next = 2
    config = make_config(loki_yaml(loki.url, retries="2", backoff="10ms"))
    report = run_tick(config)
    assert report.ok
    assert report.sources[0].records == 1
    assert len(loki.requests) == 3


def test_train_then_tick_starts_where_training_ended(
    loki: FakeLoki, make_config: Callable[..., Config]
) -> None:
    push_shared_timestamps(loki, 60, start=to_ns(NOW - timedelta(hours=3)))
    push_shared_timestamps(loki, 40, start=T0)
    config = make_config(loki_yaml(loki.url))
    trained = run_train(config, NOW - timedelta(hours=4), NOW - timedelta(hours=1))
    assert trained.ok
    assert trained.sources[0].records == 60
    ticked = run_tick(config).sources[0]
    assert ticked.records == 40
    assert int(loki.requests[-1]["start"]) == to_ns(NOW - timedelta(hours=1))


def test_a_metric_query_is_refused_clearly() -> None:
    body = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    with pytest.raises(SourceError, match="not log lines"):
        parse_streams(body, None)
