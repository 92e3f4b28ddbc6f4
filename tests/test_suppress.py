"""Issue 5: suppressions — in DuckDB, mirrored as Alertmanager silences (MockTransport here;
the real Alertmanager in test_alerts_e2e), the escalation guard, muting without a silence, and
the commands ``suppress``, ``unsuppress``, ``suppressions``, ``ack``, ``alerts``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from ailert.cli_alerts import register
from ailert.errors import AIlertError
from ailert.notify.alerts import process_findings
from ailert.store import Store, open_store
from ailert.triage.suppress import list_suppressions, suppress, sync_silences, unsuppress
from tests.test_alertmanager_client import AM, NOW, PID, PID2, finding, make_config

runner = CliRunner()


class FakeSilences:
    """Alertmanager's silence API in memory (and 200 for alert posts)."""

    def __init__(self) -> None:
        self.silences: dict[str, dict[str, Any]] = {}
        self.alerts: list[dict[str, Any]] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        path = request.url.path
        if path == "/api/v2/alerts":
            self.alerts += json.loads(request.content)
            return httpx.Response(200)
        if path == "/api/v2/silences" and request.method == "GET":
            return httpx.Response(200, json=list(self.silences.values()))
        if path == "/api/v2/silences":
            body = json.loads(request.content)
            silence_id = body.get("id") or f"s{len(self.silences) + 1}"
            self.silences[silence_id] = {**body, "id": silence_id, "status": {"state": "active"}}
            return httpx.Response(200, json={"silenceID": silence_id})
        silence_id = path.rsplit("/", 1)[-1]
        if silence_id not in self.silences:
            return httpx.Response(500, json="silence not found")
        self.silences[silence_id]["status"] = {"state": "expired"}
        return httpx.Response(200)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def seed(store: Store, *pids: str) -> None:
    for pid in pids:
        store.con.execute(
            "INSERT INTO patterns VALUES ('app', $pid, 'disk <*> failed', 'error', $now, $now, 5,"
            " 'disk 3 failed')",
            {"pid": pid, "now": NOW},
        )


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store(None) as opened:
        seed(opened, PID, PID2)
        yield opened


def test_suppress_without_alertmanager_mutes_and_unsuppress_ends(store: Store) -> None:
    config = make_config()
    result = suppress(store, config, PID, now=NOW, by="ana", reason="known")
    assert result.created
    assert result.suppression.silence_id is None
    assert result.suppression.until == NOW + timedelta(days=7)
    again = suppress(store, config, PID, now=NOW, by="ana", duration=timedelta(days=1))
    assert not again.created
    assert again.suppression.until == NOW + timedelta(days=1)
    report = process_findings(store, config, [finding(), finding(pid=PID2)], NOW)
    assert report.suppressed == 1
    muted = {a.pattern_hash: a.suppressed for a in report.open}
    assert muted == {PID: True, PID2: False}
    ended, errors = unsuppress(store, config, PID, now=NOW, by="ana")
    assert [s.ended_by for s in ended] == ["ana"]
    assert errors == []
    assert list_suppressions(store, NOW) == []
    with pytest.raises(AIlertError, match="not suppressed"):
        unsuppress(store, config, PID, now=NOW, by="ana")


def test_unknown_pattern_or_silence_without_alertmanager_is_an_error(store: Store) -> None:
    with pytest.raises(AIlertError, match="no pattern"):
        suppress(store, make_config(), "aaaaaaaaaaaaaaaa", now=NOW, by="x")
    with pytest.raises(AIlertError, match="not a pattern id"):
        suppress(store, make_config(), "<script>", now=NOW, by="x")
    with pytest.raises(AIlertError, match="alertmanager"):
        suppress(store, make_config(), PID, now=NOW, by="x", silence=True)


def test_silence_mirrors_suppression_scope_and_is_expired(store: Store) -> None:
    config = make_config(AM)
    fake = FakeSilences()
    result = suppress(
        store, config, PID, now=NOW, by="ana", source="app", transport=fake.transport()
    )
    [silence] = fake.silences.values()
    assert result.suppression.silence_id == silence["id"]
    assert [(m["name"], m["value"], m["isEqual"]) for m in silence["matchers"]] == [
        ("pattern_hash", PID, True),
        ("source", "app", True),
        ("escalated", "true", False),
    ]
    unsuppress(store, config, PID, now=NOW, by="ana", transport=fake.transport())
    assert silence["status"]["state"] == "expired"


def test_alertmanager_down_the_silence_is_made_on_a_later_tick(store: Store) -> None:
    config = make_config(AM)
    fake = FakeSilences()
    fake.down = True
    result = suppress(store, config, PID, now=NOW, by="ana", transport=fake.transport())
    assert result.silence_error
    assert "next tick" in result.silence_error
    assert result.suppression.silence_wanted
    assert result.suppression.silence_id is None
    fake.down = False
    report = process_findings(store, config, [finding()], NOW, transport=fake.transport())
    assert report.silences is not None
    assert report.silences.created == 1
    assert [a.suppressed for a in report.open] == [True]
    assert fake.alerts
    assert fake.alerts[-1]["labels"]["pattern_hash"] == PID
    fake.down = True
    unsuppress(store, config, PID, now=NOW, by="ana", transport=fake.transport())
    fake.down = False
    sync = sync_silences(store, config, NOW, transport=fake.transport())
    assert sync.expired == 1
    assert [s["status"]["state"] for s in fake.silences.values()] == ["expired"]


def test_silences_from_the_ui_are_read_back_and_followed(store: Store) -> None:
    config = make_config(AM)
    fake = FakeSilences()
    fake.silences["ui-1"] = {
        "id": "ui-1", "status": {"state": "active"}, "createdBy": "bob", "comment": "deploy",
        "matchers": [{"name": "pattern_hash", "value": PID, "isEqual": True, "isRegex": False}],
        "startsAt": "2026-11-26T11:00:00Z", "endsAt": "2026-11-26T14:00:00Z",
    }  # fmt: skip
    fake.silences["other"] = {
        **fake.silences["ui-1"], "id": "other",
        "matchers": [{"name": "alertname", "value": "X", "isEqual": True, "isRegex": False}],
    }  # fmt: skip
    sync = sync_silences(store, config, NOW, transport=fake.transport())
    assert sync.imported == 1
    [row] = list_suppressions(store, NOW)
    assert (row["pattern_id"], row["origin"], row["created_by"], row["reason"]) == (
        PID, "alertmanager", "bob", "deploy",
    )  # fmt: skip
    fake.silences["ui-1"]["endsAt"] = "2026-11-26T18:00:00Z"  # extended in the UI
    assert sync_silences(store, config, NOW, transport=fake.transport()).extended == 1
    assert list_suppressions(store, NOW)[0]["until"].hour == 18
    fake.silences["ui-1"]["status"] = {"state": "expired"}  # expired in the UI
    assert sync_silences(store, config, NOW, transport=fake.transport()).ended == 1
    assert list_suppressions(store, NOW) == []
    assert sync_silences(store, config, NOW, transport=fake.transport()).imported == 0


def test_escalation_guard_alerts_despite_suppression(store: Store) -> None:
    config = make_config(AM)
    fake = FakeSilences()
    suppress(store, config, PID, now=NOW, by="ana", transport=fake.transport())
    mild = finding("rate_shift", current_rate=5.0, baseline_rate=1.0)
    wild = finding("rate_shift", current_rate=12.0, baseline_rate=1.0)
    report = process_findings(store, config, [mild], NOW, transport=fake.transport())
    assert (report.suppressed, report.escalated) == (1, 0)
    report = process_findings(store, config, [wild], NOW, transport=fake.transport())
    assert report.escalated == 1
    [escalated] = [a for a in report.open if a.escalated]
    assert not escalated.suppressed
    assert fake.alerts[-1]["labels"]["escalated"] == "true"  # not matched by the silence
    config_no = make_config(AM + "alerting: {rules: [{kinds: rate_shift, escalate: false}]}\n")
    report = process_findings(store, config_no, [wild], NOW, transport=fake.transport())
    assert report.escalated == 0


def cli(tmp_path: Path) -> tuple[typer.Typer, str]:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    register(app)
    path = tmp_path / "ailert.yaml"
    path.write_text("store: s.duckdb\n", encoding="utf-8")
    with open_store(tmp_path / "s.duckdb") as opened:
        seed(opened, PID)
        process_findings(opened, make_config(), [finding()], NOW)
    return app, str(path)


def test_commands_round_trip(tmp_path: Path) -> None:
    app, path = cli(tmp_path)
    for command in ("suppress", "unsuppress", "suppressions", "ack", "alerts", "serve"):
        assert "Usage" in runner.invoke(app, [command, "--help"]).output
    listed = json.loads(runner.invoke(app, ["alerts", "-c", path, "--json"]).output)
    [alert] = listed["alerts"]
    assert (alert["pattern_hash"], alert["state"]) == (PID, "firing")
    acked = runner.invoke(app, ["ack", str(alert["alert_id"]), "-c", path, "--by", "ana"])
    assert acked.exit_code == 0, acked.output
    listed = json.loads(runner.invoke(app, ["alerts", "-c", path, "--json"]).output)
    assert listed["alerts"][0]["acked_by"] == "ana"
    assert runner.invoke(app, ["ack", "nope", "-c", path]).exit_code == 1
    done = runner.invoke(app, ["suppress", PID, "-c", path, "--for", "2h", "--reason", "noise"])
    assert done.exit_code == 0, done.output
    assert "suppressed" in done.output
    table = runner.invoke(app, ["suppressions", "-c", path])
    assert PID in table.output
    assert "noise" in table.output
    assert runner.invoke(app, ["suppress", PID, "-c", path, "--silence"]).exit_code == 1
    assert runner.invoke(app, ["unsuppress", PID, "-c", path]).exit_code == 0
    empty = json.loads(runner.invoke(app, ["suppressions", "-c", path, "--json"]).output)
    assert empty == {"suppressions": []}
    everything = json.loads(
        runner.invoke(app, ["suppressions", "--all", "-c", path, "--json"]).output
    )
    assert [s["active"] for s in everything["suppressions"]] == [False]
    assert runner.invoke(app, ["alerts", "-c", path, "--state", "bogus"]).exit_code == 2
    resolved = json.loads(
        runner.invoke(app, ["alerts", "-c", path, "--state", "resolved", "--json"]).output
    )
    assert resolved == {"alerts": []}
