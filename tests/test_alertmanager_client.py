"""Issue 5: the Alertmanager client and the outbox with ``httpx.MockTransport`` — 5xx and
timeouts wait in the outbox, a 400 for one alert does not block the others, resolves keep
``startsAt``; the rules; alerting without Alertmanager."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ailert.config import Config, parse_config
from ailert.notify.alertmanager import AlertmanagerClient, Matcher
from ailert.notify.alerts import build_payload, process_findings
from ailert.notify.settings import AlertingSettings
from ailert.store import Store, open_store
from ailert.triage.rules import evaluate

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PID = "0123456789abcdef"
PID2 = "fedcba9876543210"


@dataclass(frozen=True)
class Finding:
    """Stands in for ``ailert.diff.Finding``."""

    kind: str
    pattern_id: str | None
    source: str | None
    level: str | None
    template: str | None
    sample: str | None
    current_count: float
    baseline_count: float
    current_rate: float
    baseline_rate: float
    score: float
    first_seen: datetime | None
    last_seen: datetime | None


def finding(
    kind: str = "new", pid: str | None = PID, level: str = "error", **changes: Any
) -> Finding:
    base = Finding(
        kind, pid, "app", level, f"disk <*> failed ({(pid or '')[:4]})", "disk 3 failed", 5, 0, 5.0,
        0.0, 4.0, NOW - timedelta(minutes=1), NOW,
    )  # fmt: skip
    return replace(base, **changes)


def make_config(yaml_text: str = "") -> Config:
    return parse_config("store: ':memory:'\n" + yaml_text, Path("ailert.yaml"))


AM = "alertmanager: {urls: ['http://am:9093'], retry_backoff: 0s}\n"


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store(None) as opened:
        yield opened


class FakeAlertmanager:
    """A MockTransport handler recording posts; ``mode`` decides the answer."""

    def __init__(self) -> None:
        self.posts: list[list[dict[str, Any]]] = []
        self.mode = "ok"
        self.reject: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "5xx":
            return httpx.Response(503, text="unavailable")
        if request.url.path == "/api/v2/silences":
            return httpx.Response(200, json=[])
        alerts = json.loads(request.content)
        if any(a["labels"].get("pattern_hash") in self.reject for a in alerts):
            return httpx.Response(400, json="bad alert")
        self.posts.append(alerts)
        return httpx.Response(200)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def posted(self) -> list[dict[str, Any]]:
        return [a for batch in self.posts for a in batch]


def test_split_on_400_rejects_only_the_bad_alert() -> None:
    fake = FakeAlertmanager()
    fake.reject = {"bad"}
    alerts = [
        {"labels": {"alertname": "A", "pattern_hash": h}} for h in ["a", "b", "bad", "c", "d"]
    ]
    with AlertmanagerClient("http://am:9093", transport=fake.transport()) as client:
        result = client.post_alerts_split(alerts)
    assert sorted(result.accepted) == [0, 1, 3, 4]
    assert list(result.rejected) == [2]
    assert "400" in result.rejected[2]
    assert result.error is None


@pytest.mark.parametrize("mode", ["down", "timeout", "5xx"])
def test_unavailable_is_an_error_not_an_exception(mode: str) -> None:
    fake = FakeAlertmanager()
    fake.mode = mode
    with AlertmanagerClient("http://am:9093", transport=fake.transport(), timeout=0.5) as client:
        result = client.post_alerts_split([{"labels": {"alertname": "A"}}])
        assert not client.ready()
    assert result.accepted == []
    assert result.rejected == {}
    assert result.error
    assert "am:9093" in result.error


def test_silence_requests_follow_api_v2() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json={"silenceID": "abc-1"})
        if request.method == "DELETE":
            return httpx.Response(500, json="silence not found")
        return httpx.Response(200, json=[])

    with AlertmanagerClient("http://am:9093/", transport=httpx.MockTransport(handler)) as client:
        silence_id = client.create_silence(
            [Matcher("pattern_hash", PID), Matcher("escalated", "true", is_equal=False)],
            starts_at=NOW, ends_at=NOW + timedelta(hours=1), created_by="me", comment="why",
        )  # fmt: skip
        assert silence_id == "abc-1"
        assert client.expire_silence("gone") is False
        assert client.list_silences() == []
    body = json.loads(seen[0].content)
    assert body["matchers"][1] == {
        "name": "escalated",
        "value": "true",
        "isRegex": False,
        "isEqual": False,
    }
    assert (body["startsAt"], body["endsAt"]) == (
        "2026-11-26T12:00:00.000Z",
        "2026-11-26T13:00:00.000Z",
    )
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/api/v2/silences"),
        ("DELETE", "/api/v2/silence/gone"),
        ("GET", "/api/v2/silences"),
    ]


def test_5xx_waits_in_the_outbox_and_is_sent_once_later(store: Store) -> None:
    config = make_config(AM)
    fake = FakeAlertmanager()
    fake.mode = "5xx"
    report = process_findings(store, config, [finding()], NOW, transport=fake.transport())
    assert report.delivery is not None
    assert report.delivery.queued == {"http://am:9093": 1}
    assert [a.state for a in report.open] == ["pending"]
    report = process_findings(
        store, config, [], NOW + timedelta(seconds=10), transport=fake.transport()
    )
    assert report.delivery is not None
    assert report.delivery.queued == {"http://am:9093": 1}
    fake.mode = "ok"
    later = NOW + timedelta(seconds=20)
    report = process_findings(store, config, [finding()], later, transport=fake.transport())
    assert [a.state for a in report.open] == ["firing"]
    assert report.delivery is not None
    assert report.delivery.queued == {}
    [posted] = fake.posted()  # the latest version only, once
    assert posted["startsAt"] == "2026-11-26T12:00:00.000Z"
    assert posted["endsAt"] == "2026-11-26T12:04:20.000Z"  # now + 4 ticks of 1m


def test_400_for_one_alert_does_not_block_the_others(store: Store) -> None:
    config = make_config(AM)
    fake = FakeAlertmanager()
    fake.reject = {PID2}
    findings = [finding(), finding(pid=PID2)]
    report = process_findings(store, config, findings, NOW, transport=fake.transport())
    assert report.delivery is not None
    assert (report.delivery.sent, report.delivery.rejected) == (1, 1)
    assert {a.pattern_hash: a.state for a in report.open} == {PID: "firing", PID2: "pending"}
    errors = store.con.execute("SELECT last_error FROM outbox WHERE status = 'rejected'").fetchall()
    assert "400" in errors[0][0]


def test_backoff_skips_attempts_until_due(store: Store) -> None:
    config = make_config("alertmanager: {urls: ['http://am:9093'], retry_backoff: 30s}\n")
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/alerts":
            calls.append(1)
        return httpx.Response(503)

    transport = httpx.MockTransport(handler)
    process_findings(store, config, [finding()], NOW, transport=transport)
    process_findings(store, config, [finding()], NOW + timedelta(seconds=10), transport=transport)
    assert len(calls) == 1
    process_findings(store, config, [finding()], NOW + timedelta(seconds=31), transport=transport)
    assert len(calls) == 2
    process_findings(store, config, [finding()], NOW + timedelta(seconds=61), transport=transport)
    assert len(calls) == 2  # second failure: 60s backoff


def test_ha_pair_gets_every_alert_and_one_down_waits(store: Store) -> None:
    config = make_config(
        "alertmanager: {urls: ['http://a:9093', 'http://b:9093'], retry_backoff: 0s}\n"
    )
    hosts: list[str] = []
    down = {"b"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host in down:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/api/v2/silences":
            return httpx.Response(200, json=[])
        hosts.append(request.url.host)
        return httpx.Response(200)

    transport = httpx.MockTransport(handler)
    report = process_findings(store, config, [finding()], NOW, transport=transport)
    assert hosts == ["a"]
    assert report.delivery is not None
    assert report.delivery.queued == {"http://b:9093": 1}
    down.clear()
    process_findings(store, config, [finding()], NOW + timedelta(minutes=1), transport=transport)
    assert sorted(hosts) == ["a", "a", "b"]


def test_resolve_posts_original_starts_at_and_ends_at_now(store: Store) -> None:
    config = make_config(AM + "alerting: {resolve_after: 5m}\n")
    fake = FakeAlertmanager()
    transport = fake.transport()
    rate = finding("rate_shift", current_rate=50.0, baseline_rate=2.0, level="warn")
    process_findings(store, config, [rate], NOW, transport=transport)
    report = process_findings(store, config, [], NOW + timedelta(minutes=3), transport=transport)
    assert report.resolved == []  # quiet for less than resolve_after
    later = NOW + timedelta(minutes=6)
    report = process_findings(store, config, [], later, transport=transport)
    assert [a.alertname for a in report.resolved] == ["AIlertPatternSpike"]
    last = fake.posted()[-1]
    assert last["startsAt"] == "2026-11-26T12:00:00.000Z"
    assert last["endsAt"] == "2026-11-26T12:06:00.000Z"
    again = process_findings(
        store, config, [rate], later + timedelta(minutes=1), transport=transport
    )
    assert [a.state for a in again.fired] == ["firing"]  # a new episode, new startsAt
    assert fake.posted()[-1]["startsAt"] == "2026-11-26T12:07:00.000Z"


def test_without_alertmanager_alerts_fire_in_duckdb(store: Store) -> None:
    config = make_config()
    report = process_findings(store, config, [finding(), finding(level="info", pid=PID2)], NOW)
    assert [(a.pattern_hash, a.state) for a in report.fired] == [(PID, "firing")]
    assert report.ignored == 1
    assert report.delivery is None
    report = process_findings(store, config, [], NOW + timedelta(minutes=11))
    assert [a.pattern_hash for a in report.resolved] == [PID]


def test_oversized_annotations_are_cut(store: Store) -> None:
    config = make_config(AM)
    huge = finding(template="x " * 50_000, sample="y" * 100_000)
    fake = FakeAlertmanager()
    process_findings(store, config, [huge], NOW, transport=fake.transport())
    [posted] = fake.posted()
    assert all(len(v) <= 1024 for v in posted["annotations"].values())
    assert posted["annotations"]["summary"].endswith("…")


def test_default_rules() -> None:
    settings = AlertingSettings()
    assert evaluate(settings, finding(level="warn")) is not None
    assert evaluate(settings, finding(level="info")) is None
    assert evaluate(settings, finding("rate_shift", current_rate=9, baseline_rate=1)) is not None
    assert evaluate(settings, finding("rate_shift", current_rate=1, baseline_rate=9)) is None
    assert evaluate(settings, finding("gone")) is None
    decision = evaluate(settings, finding(level="fatal"))
    assert decision is not None
    assert (decision.alertname, decision.severity) == ("AIlertNewPattern", "critical")


def test_configured_rules_first_match_wins() -> None:
    config = make_config(
        "alerting:\n  severity_by_kind: {gone: critical}\n  rules:\n"
        "    - {kinds: new, sources: noisy, action: ignore}\n"
        f"    - {{kinds: gone, patterns: ['{PID2}']}}\n"
        "    - {template: 'checkout', severity: critical}\n"
        "    - {kinds: rate_shift, direction: up, min_score: 6, severity: warning}\n"
        "    - {kinds: [new, level_drift], min_level: warn}\n"
    )
    rules = config.alerting
    assert evaluate(rules, finding(source="noisy")) is None
    assert evaluate(rules, finding(source="other")) is not None
    heartbeat = evaluate(rules, finding("gone", pid=PID2, level="info"))
    assert heartbeat is not None
    assert heartbeat.severity == "critical"
    assert heartbeat.alertname == "AIlertPatternGone"
    assert evaluate(rules, finding("gone", level="info")) is None
    always = evaluate(rules, finding("rate_shift", template="checkout <*> failed", score=0.1))
    assert always is not None
    assert always.severity == "critical"
    assert evaluate(rules, finding("rate_shift", score=5.0, current_rate=9)) is None
    drift = evaluate(rules, finding("level_drift", pid=None, level="error"))
    assert drift is not None
    assert drift.alertname == "AIlertLevelDrift"
    assert len(drift.pattern_hash) == 16


def test_build_payload_labels_and_generator_url(store: Store) -> None:
    config = make_config(
        AM + "alerting: {generator_url: 'http://grafana/explore?p={pattern_id}&s={source}'}\n"
    )
    fake = FakeAlertmanager()
    process_findings(store, config, [finding(source="a b")], NOW, transport=fake.transport())
    [posted] = fake.posted()
    assert posted["generatorURL"] == f"http://grafana/explore?p={PID}&s=a%20b"
    assert "suppress_url" not in posted["annotations"]  # no external_url / secret
    row = store.query("alerts/open_alerts")[0]
    assert build_payload(row, config, NOW, resolved=True)["endsAt"] == posted["startsAt"]


def test_config_validation_names_the_key() -> None:
    with pytest.raises(Exception, match=r"alertmanager\.urls"):
        make_config("alertmanager: {urls: []}\n")
    with pytest.raises(Exception, match=r"alerting\.rules"):
        make_config("alerting: {rules: [{kinds: nope}]}\n")
    assert make_config().alertmanager is None
