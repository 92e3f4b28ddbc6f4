"""Issue 5 end to end with the real Alertmanager: a new ERROR pattern in a log file fires an
alert that Alertmanager lists and notifies; a suppression silences it (shown suppressed); a
quiet pattern resolves; restarts and outages of Alertmanager lose nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ailert.config import Config
from ailert.notify.alertmanager import AlertmanagerClient, Matcher
from ailert.notify.alerts import AlertReport
from ailert.pipeline import run_tick
from tests.alertmanager import AlertmanagerProcess, Webhook, alertmanager, wait_until, webhook
from tests.conftest import file_source

__all__ = ["alertmanager", "webhook"]  # fixtures, imported for pytest

runner = CliRunner()
SECRET = "s3cret-for-links-0123456789"


def cli_app() -> Any:
    """The real command line."""
    from ailert.cli import app

    return app


def stamp(offset: float = 0.0) -> str:
    """A log timestamp of now: after the learning tick's lines, and inside this tick's window
    (which ends with the current bucket, so a line stamped in the future could miss it)."""
    return (datetime.now(UTC) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(log: Path, *messages: str) -> None:
    with log.open("a", encoding="utf-8") as handle:
        for message in messages:
            handle.write(f"{stamp()} {message}\n")


def tick(config: Config) -> AlertReport:
    """One real tick: ingest, change detection, alerting."""
    report = run_tick(config)
    assert report.ok, [s.errors for s in report.sources]
    assert report.alerts is not None
    return report.alerts


@pytest.fixture
def setup(
    workspace: Path,
    make_config: Callable[..., Config],
    alertmanager: AlertmanagerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Config, Path]:
    monkeypatch.setenv("AILERT_SECRET", SECRET)
    log = workspace / "logs" / "app.log"
    write(log, "INFO user 7 logged in", "INFO user 8 logged in")
    extra = (
        "publish: {read_copy: false}\n"
        f"alertmanager: {{urls: ['{alertmanager.url}'], timeout: 2s, retry_backoff: 0s}}\n"
        "alerting: {interval: 10s, resolve_after: 0s, external_url: 'http://127.0.0.1:9099'}\n"
    )
    config = make_config(file_source(log), extra=extra)
    assert tick(config).fired == []  # the learning tick: nothing is new yet
    return config, log


def fire(config: Config, log: Path, message: str) -> str:
    write(log, message)
    report = tick(config)
    assert len(report.fired) == 1, report
    return report.fired[0].pattern_hash


def test_new_error_pattern_fires_then_resolves(
    setup: tuple[Config, Path], alertmanager: AlertmanagerProcess, webhook: Webhook
) -> None:
    config, log = setup
    pid = fire(
        config, log, "ERROR disk <b>sda1</b> failed {{ .Status }} password=hunter2 for ops@ex.com"
    )
    listed = wait_until(lambda: alertmanager.alert(pid))
    assert listed["labels"] == {
        "alertname": "AIlertNewPattern",
        "pattern_hash": pid,
        "source": "app",
        "level": "error",
        "severity": "critical",
    }
    assert listed["status"]["state"] == "active"
    notified = webhook.wait_for(pid)
    annotations = notified["annotations"]
    assert "{{ .Status }}" in annotations["sample"]  # delivered literally, never evaluated
    assert "<b>sda1</b>" in annotations["sample"]
    assert "hunter2" not in json.dumps(notified)
    assert "ops@ex.com" not in json.dumps(notified)
    assert annotations["suppress_url"].startswith("http://127.0.0.1:9099/suppress?token=")
    assert annotations["count"] == "1"
    assert annotations["first_seen"]

    write(log, "ERROR disk <b>sda2</b> failed {{ .Status }} password=hunter3 for ops@ex.com")
    assert tick(config).resolved == []  # more lines: still firing
    report = tick(config)  # quiet (resolve_after 0s): resolved
    assert [a.pattern_hash for a in report.resolved] == [pid]
    wait_until(lambda: alertmanager.alert(pid) is None)
    resolved = webhook.wait_for(pid, status="resolved")
    assert resolved["startsAt"] == notified["startsAt"]


def test_suppress_with_silence_shows_suppressed_until_unsuppressed(
    setup: tuple[Config, Path], alertmanager: AlertmanagerProcess, webhook: Webhook
) -> None:
    config, log = setup
    pid = fire(config, log, "ERROR payment 42 declined by gateway")
    webhook.wait_for(pid)
    path = str(config.path)
    done = runner.invoke(cli_app(), ["suppress", pid, "-c", path, "--reason", "known", "--json"])
    assert done.exit_code == 0, done.output
    silence_id = json.loads(done.output)["suppression"]["silence_id"]
    [silence] = [s for s in alertmanager.silences() if s["id"] == silence_id]
    assert {"name": "pattern_hash", "value": pid, "isRegex": False, "isEqual": True} in silence[
        "matchers"
    ]
    write(log, "ERROR payment 43 declined by gateway")
    tick(config)  # still firing: still posted, so Alertmanager shows it suppressed
    state = wait_until(lambda: alertmanager.alert(pid)["status"]["state"] == "suppressed")  # type: ignore[index]
    assert state
    listed = json.loads(runner.invoke(cli_app(), ["suppressions", "-c", path, "--json"]).output)
    assert [(s["pattern_id"], s["silence_id"]) for s in listed["suppressions"]] == [
        (pid, silence_id)
    ]
    undone = runner.invoke(cli_app(), ["unsuppress", pid, "-c", path])
    assert undone.exit_code == 0, undone.output
    expired = [s for s in alertmanager.silences() if s["id"] == silence_id]
    assert expired[0]["status"]["state"] == "expired"
    write(log, "ERROR payment 44 declined by gateway")
    tick(config)
    wait_until(lambda: alertmanager.alert(pid)["status"]["state"] == "active")  # type: ignore[index]


def test_silences_made_and_expired_in_alertmanager_show_up(
    setup: tuple[Config, Path], alertmanager: AlertmanagerProcess
) -> None:
    config, log = setup
    pid = fire(config, log, "ERROR cache node 3 unreachable")
    now = datetime.now(UTC)
    with AlertmanagerClient(alertmanager.url) as client:  # as if made in the Alertmanager UI
        silence_id = client.create_silence(
            [Matcher("pattern_hash", pid)], starts_at=now, ends_at=now + timedelta(hours=2),
            created_by="grafana-user", comment="maintenance",
        )  # fmt: skip
    path = str(config.path)
    listed = json.loads(runner.invoke(cli_app(), ["suppressions", "-c", path, "--json"]).output)
    [row] = listed["suppressions"]
    assert (row["pattern_id"], row["origin"], row["created_by"]) == (
        pid,
        "alertmanager",
        "grafana-user",
    )
    with AlertmanagerClient(alertmanager.url) as client:
        client.expire_silence(silence_id)
    tick(config)
    listed = json.loads(runner.invoke(cli_app(), ["suppressions", "-c", path, "--json"]).output)
    assert listed["suppressions"] == []


def test_restarted_alertmanager_gets_the_alert_back_on_the_next_tick(
    setup: tuple[Config, Path], alertmanager: AlertmanagerProcess
) -> None:
    config, log = setup
    pid = fire(config, log, "ERROR worker 9 crashed")
    wait_until(lambda: alertmanager.alert(pid))
    alertmanager.stop()
    alertmanager.start()
    assert alertmanager.alert(pid) is None  # Alertmanager keeps alerts in memory only
    write(log, "ERROR worker 10 crashed")
    tick(config)
    assert wait_until(lambda: alertmanager.alert(pid))


def test_alertmanager_down_for_three_ticks_loses_nothing(
    setup: tuple[Config, Path], alertmanager: AlertmanagerProcess, webhook: Webhook
) -> None:
    config, log = setup
    alertmanager.stop()
    fired: list[str] = []
    messages = ["ERROR queue full", "ERROR shard lost quorum", "FATAL out of memory"]
    for count in range(1, 4):
        write(log, *messages[:count])  # a new pattern each tick; the earlier ones keep firing
        report = tick(config)
        fired += [a.pattern_hash for a in report.fired]
        assert report.delivery is not None
        assert report.delivery.errors
        assert [a.state for a in report.open] == ["pending"] * count
    write(log, *messages)
    assert len(set(fired)) == 3
    alertmanager.start()
    report = tick(config)
    assert report.delivery is not None
    assert report.delivery.errors == {}
    assert report.delivery.queued == {}
    assert {a.state for a in report.open} == {"firing"}
    for pid in fired:
        assert wait_until(lambda pid=pid: alertmanager.alert(pid))  # type: ignore[misc]
        webhook.wait_for(pid)
    assert len(webhook.alerts("firing")) == 3  # each once
