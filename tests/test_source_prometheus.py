"""The prometheus source (issue 6) against a real Prometheus (Debian's 2.42) scraping a
simulated ``/metrics`` endpoint every second, and against that endpoint directly: series are
patterns as they are, new series are new patterns, values land in metric_values, replicas fold
by drop_labels, and ``query-metrics`` returns series ad hoc."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ailert.cli import app
from ailert.cli_sources import register
from ailert.config import Config
from ailert.pipeline import run_tick
from ailert.sources.prometheus import parse_exposition, series_identity
from tests.servers import MetricsEndpoint, RealPrometheus, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="needs Debian's prometheus (apt-get install)"
)

PAGE = """\
# HELP app_requests_total Requests served.
# TYPE app_requests_total counter
app_requests_total{method="GET",code="200"} 10
app_requests_total{method="POST",code="500"} 3
# HELP app_queue_depth Jobs waiting.
# TYPE app_queue_depth gauge
app_queue_depth 5
"""
GET = 'app_requests_total{code="200",job="app",method="GET"}'
POST = 'app_requests_total{code="500",job="app",method="POST"}'


@pytest.fixture(scope="module")
def endpoint() -> Iterator[MetricsEndpoint]:
    with MetricsEndpoint(PAGE) as server:
        yield server


@pytest.fixture(scope="module")
def prometheus(
    endpoint: MetricsEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealPrometheus]:
    server = RealPrometheus(endpoint, tmp_path_factory.mktemp("prometheus"))
    try:
        # a few scrapes in: every grid point of a short window then has samples
        server.wait_for_scrape("count_over_time(app_requests_total[1m]) >= 3")
        yield server
    finally:
        server.close()


def prom_yaml(name: str = "prom", **keys: str) -> str:
    lines = [f"  - name: {name}", "    type: prometheus"] + [
        f"    {k}: {v}" for k, v in keys.items()
    ]
    return "\n".join(lines) + "\n"


def rows(config: Config, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_series_are_patterns_as_they_are(
    prometheus: RealPrometheus, make_config: Callable[..., Config]
) -> None:
    config = make_config(
        prom_yaml(url=prometheus.url, query="app_requests_total", step="1s", lookback="20s",
                  drop_labels="[instance]")
    )  # fmt: skip
    report = run_tick(config)
    assert report.ok, report.sources[0].errors
    source = report.sources[0]
    assert source.records >= 2
    templates = {t for (t,) in rows(config, "SELECT template FROM patterns")}
    assert templates == {GET, POST}  # label values kept whole: code="200" is not masked
    values = dict(rows(config, "SELECT series, max(last) FROM v_metric_values GROUP BY series"))
    assert values == {GET: 10.0, POST: 3.0}
    counts = rows(config, "SELECT sum(n) FROM pattern_counts")[0][0]
    assert counts == source.records


def test_a_new_series_is_a_new_pattern_and_a_value_shift_shows(
    prometheus: RealPrometheus, endpoint: MetricsEndpoint, make_config: Callable[..., Config]
) -> None:
    config = make_config(
        prom_yaml(url=prometheus.url, query="app_requests_total", step="1s", lookback="10s",
                  drop_labels="[instance]")
    )  # fmt: skip
    assert run_tick(config).ok
    endpoint.text = PAGE.replace("} 10\n", "} 250\n") + (
        'app_requests_total{method="GET",code="503"} 1\n'
    )
    new: list[str] = []

    def seen() -> bool:  # a grid point after the scrape that shows it: a later tick
        report = run_tick(config)
        assert report.ok, report.sources[0].errors
        new.extend(p.template for p in report.sources[0].new_patterns)
        return bool(new)

    try:
        wait_until(seen, 20, "a tick to see the new series", every=0.5)
    finally:
        endpoint.text = PAGE
    assert new == ['app_requests_total{code="503",job="app",method="GET"}']
    values = dict(rows(config, "SELECT series, max(max) FROM v_metric_values GROUP BY series"))
    assert values[GET] == 250.0


def test_drop_labels_fold_replicas(
    prometheus: RealPrometheus, make_config: Callable[..., Config]
) -> None:
    series = 'app_requests_total{code=~"200|500"}'  # not the series another test adds
    replicas = f'\'{series} or label_replace({series}, "instance", "replica-2:9100", "", "")\''
    config = make_config(
        prom_yaml("folded", url=prometheus.url, query=replicas, step="1s", lookback="5s",
                  drop_labels="[instance]")
        + prom_yaml("apart", url=prometheus.url, query=replicas, step="1s", lookback="5s")
    )  # fmt: skip
    report = run_tick(config)
    assert report.ok, [s.errors for s in report.sources]
    folded = rows(config, "SELECT count(*) FROM patterns WHERE source = 'folded'")[0][0]
    apart = rows(config, "SELECT count(*) FROM patterns WHERE source = 'apart'")[0][0]
    assert (folded, apart) == (2, 4)


def test_scrape_mode_reads_the_endpoint_directly(
    endpoint: MetricsEndpoint, make_config: Callable[..., Config]
) -> None:
    config = make_config(prom_yaml(scrape=f"{endpoint.url}/metrics"))
    report = run_tick(config)
    assert report.ok, report.sources[0].errors
    assert report.sources[0].records == 3
    templates = {t for (t,) in rows(config, "SELECT template FROM patterns")}
    assert templates == {
        'app_requests_total{code="200",method="GET"}',
        'app_requests_total{code="500",method="POST"}',
        "app_queue_depth",
    }


def test_query_metrics_command(
    prometheus: RealPrometheus, endpoint: MetricsEndpoint, make_config: Callable[..., Config]
) -> None:
    config = make_config(
        prom_yaml(url=prometheus.url, query="'app_requests_total{code=~\"200|500\"}'",
                  step="1s", drop_labels="[instance]")
        + prom_yaml("scraped", scrape=f"{endpoint.url}/metrics")
    )  # fmt: skip
    register(app)
    runner = CliRunner()
    args = ["--config", str(config.path), "--json"]
    result = runner.invoke(app, ["query-metrics", "--source", "prom", "--since", "10s", *args])
    assert result.exit_code == 0, result.output
    series = {s["series"]: s for s in json.loads(result.output)["series"]}
    assert set(series) == {GET, POST}
    assert series[POST]["last_value"] == 3.0
    assert series[POST]["samples"] >= 5
    assert series[POST]["labels"]["instance"] == f"127.0.0.1:{endpoint.port}"
    up = runner.invoke(app, ["query-metrics", "-s", "prom", "--since", "5s", "-q", "up", *args])
    assert up.exit_code == 0, up.output
    assert [s["series"] for s in json.loads(up.output)["series"]] == ['up{job="app"}']
    scraped = runner.invoke(app, ["query-metrics", "-s", "scraped", "--since", "1m", *args])
    assert len(json.loads(scraped.output)["series"]) == 3


def test_exposition_parsing_and_identity() -> None:
    samples = parse_exposition(PAGE + 'odd{path="a\\"b"} 1\n')
    identities = [series_identity(labels, ["code"]) for labels, _ in samples]
    assert identities == [
        'app_requests_total{method="GET"}',
        'app_requests_total{method="POST"}',
        "app_queue_depth",
        'odd{path="a\\"b"}',
    ]


def test_unreachable_prometheus_is_a_clear_error(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    config = make_config(prom_yaml(url="http://127.0.0.1:9", query="up", timeout="1s", retries="0"))
    report = run_tick(config)
    assert not report.ok
    assert "cannot reach http://127.0.0.1:9/api/v1/query_range" in report.sources[0].errors[0]
