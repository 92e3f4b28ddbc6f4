"""The http source (issue 6) against a local JSON API: the window in the URL, the records path,
three kinds of pagination, field mapping, an API key from the environment, and an API that
ignores the window still counting each record once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from ailert.config import Config
from ailert.pipeline import run_tick
from tests.servers import JsonApi

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AILERT_NOW", NOW.isoformat())


def records(n: int, start: datetime = NOW - timedelta(minutes=50)) -> list[dict[str, Any]]:
    return [
        {
            "time": (start + timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "severity": "ERROR" if i % 5 == 0 else "INFO",
            "event": {"text": f"order {1000 + i} shipped to zone {i % 4}"},
            "host": f"api-{i % 2}",
        }
        for i in range(n)
    ]


def http_yaml(url: str, name: str = "api", **keys: str) -> str:
    lines = [
        f"  - name: {name}", "    type: http", f"    url: '{url}/logs?start={{start}}&end={{end}}'",
        "    records: data.items", "    fields: {ts: time, level: severity, message: event.text}",
        "    labels: [host]",
    ]  # fmt: skip
    lines += [f"    {k}: {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def fetch(config: Config, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize(
    ("mode", "pagination"),
    [
        ("link", "{type: link, path: links.next}"),
        ("link_header", "{type: link_header}"),
        ("cursor", "{type: cursor, path: next_cursor, param: cursor}"),
    ],
)
def test_pages_are_followed_and_fields_mapped(
    mode: str, pagination: str, make_config: Callable[..., Config]
) -> None:
    with JsonApi(records(20), mode=mode, page_size=3) as api:
        config = make_config(http_yaml(api.url, pagination=pagination))
        report = run_tick(config)
    assert report.ok, report.sources[0].errors
    assert report.sources[0].records == 20
    assert len(api.requests) == 7
    first = api.requests[0]
    assert (first["start"], first["end"]) == ("2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z")
    patterns = dict(fetch(config, "SELECT level, template FROM patterns"))
    assert patterns == {
        "error": "order <*> shipped to zone <*>",
        "info": "order <*> shipped to zone <*>",
    }
    assert fetch(config, "SELECT sum(total) FROM patterns")[0][0] == 20


def test_api_key_from_the_environment(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", "key-123-secret")
    with JsonApi(records(4), key="key-123-secret", page_size=10) as api:
        config = make_config(http_yaml(api.url, headers_env="{X-Api-Key: API_KEY}"))
        assert run_tick(config).sources[0].records == 4
        monkeypatch.setenv("API_KEY", "wrong-key-456")
        monkeypatch.setenv("AILERT_NOW", (NOW + timedelta(minutes=1)).isoformat())
        failed = run_tick(config).sources[0]
    assert not failed.ok
    assert "HTTP 401" in failed.errors[0]
    assert "wrong-key" not in failed.errors[0]


def test_an_api_ignoring_the_window_counts_records_once(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = records(12, start=NOW - timedelta(minutes=31))  # 08:29:00 .. 08:30:50
    with JsonApi(everything, page_size=100) as api:
        # the template sends a fixed range: the server returns the same records every time
        url = f"{api.url}/logs?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&x={{start}}"
        config = make_config(
            "  - name: api\n    type: http\n"
            f"    url: '{url}'\n    records: data.items\n"
            "    fields: {ts: time, level: severity, message: event.text}\n"
            "    lookback: 30m\n"
        )
        first = run_tick(config).sources[0]
        monkeypatch.setenv("AILERT_NOW", (NOW + timedelta(minutes=1, seconds=1)).isoformat())
        second = run_tick(config).sources[0]
    assert (first.records, first.skipped) == (6, 6)  # the window starts at 08:30
    assert second.records == 0
    assert second.skipped == 12
    assert fetch(config, "SELECT sum(total) FROM patterns")[0][0] == 6


def test_records_path_that_is_not_a_list(make_config: Callable[..., Config]) -> None:
    with JsonApi(records(2)) as api:
        config = make_config(http_yaml(api.url).replace("data.items", "data"))
        error = run_tick(config).sources[0].errors[0]
    assert "records path 'data' holds a dict, not a list of records" in error
