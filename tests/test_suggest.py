"""Issue 7: rule suggestions — from statistics alone (manual suppressions, quiet failures,
heartbeats, fragmenting variables) and from the LLM judge's verdicts; applying them (a
suppression with its silence, alert and heartbeat rules read by later ticks, mask rules
appended to the engine's masks), rejecting them, and the ``rules`` commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from ailert.cli_rules import register
from ailert.config import PatternSettings
from ailert.errors import AIlertError
from ailert.notify.alerts import process_findings
from ailert.patterns.engine import PatternEngine
from ailert.store import Store, open_store
from ailert.triage.llm import forget_formats
from ailert.triage.suggest import (
    apply_rule,
    list_rules,
    reject_rule,
    stored_pattern_settings,
    suggest_rules,
    with_stored_rules,
)
from ailert.triage.suppress import suppress, unsuppress
from tests.llm_server import LlmServer
from tests.test_alertmanager_client import NOW, finding, make_config
from tests.test_judge import verdict
from tests.test_suppress import FakeSilences

AM = "alertmanager: {urls: ['http://am:9093'], retry_backoff: 0s}\n"
runner = CliRunner()


def pid_of(template: str) -> str:
    return hashlib.md5(template.encode()).hexdigest()[:16]


def add(store: Store, template: str, level: str = "info", at: datetime = NOW) -> str:
    pid = pid_of(template)
    store.con.execute(
        "INSERT INTO patterns VALUES ('app', $p, $t, $l, $at, $at, 10, $t)",
        {"p": pid, "t": template, "l": level, "at": at},
    )
    return pid


def count(store: Store, pid: str, bucket: datetime, n: int) -> None:
    store.con.execute(
        "INSERT INTO pattern_counts VALUES ('app', $p, $b, $n)", {"p": pid, "b": bucket, "n": n}
    )


def found(store: Store, pid: str, kind: str = "new", at: datetime = NOW) -> None:
    store.con.execute(
        "INSERT INTO findings (finding_id, detected_at, window_start, window_end, baseline_start,"
        " baseline_end, kind, pattern_id, source, score) VALUES (nextval('finding_ids'), $at,"
        " $at, $at, $at, $at, $kind, $p, 'app', 9)",
        {"at": at, "kind": kind, "p": pid},
    )


USERS = ["alice", "bob", "carol", "dave", "erin", "frank"]


def populate(store: Store, now: datetime = NOW) -> dict[str, str]:
    """One pattern for each statistic (and a few that must not be suggested)."""
    ids = {
        "noisy": add(store, "WARN cache warmup slow <*>", "warn", now),
        "quiet": add(store, "connection refused by upstream <*>", "info", now),
        "fine": add(store, "request served <*>", "info", now),
        "heartbeat": add(store, "scheduler heartbeat ok", "info", now),
        "bursty": add(store, "batch job finished <*>", "info", now),
    }
    for user in USERS:
        add(store, f"user {user} logged in", "info", now)
    found(store, ids["quiet"], at=now - timedelta(hours=1))
    found(store, ids["fine"], at=now - timedelta(hours=1))
    config = make_config()
    for _ in range(3):
        suppress(store, config, ids["noisy"], now=now - timedelta(hours=2), by="ana", reason="meh")
        unsuppress(store, config, ids["noisy"], now=now - timedelta(hours=2), by="ana")
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    for hour in range(31):
        at = start + timedelta(hours=hour)
        count(store, ids["heartbeat"], at + timedelta(minutes=5), 60)
        count(store, ids["bursty"], at + timedelta(minutes=5), 500 if hour % 5 == 0 else 1)
    return ids


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store(None) as opened:
        yield opened


def by_kind(rules: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        grouped.setdefault(rule["kind"], []).append(rule)
    return grouped


def test_statistics_alone_propose_each_kind(store: Store) -> None:
    ids = populate(store)
    report = suggest_rules(store, make_config(), NOW, since=NOW - timedelta(days=2))
    kinds = by_kind(report.proposed)
    assert report.new == len(report.proposed) == 4
    [supp] = kinds["suppress"]
    assert supp["pattern_id"] == ids["noisy"]
    assert "suppressed by hand 3 times" in supp["evidence"]
    [always] = kinds["alert"]
    assert always["pattern_id"] == ids["quiet"]
    assert "refused" in always["evidence"]
    [beat] = kinds["heartbeat"]
    assert beat["pattern_id"] == ids["heartbeat"]  # not the bursty one
    assert "every one of the last 30 hours" in beat["evidence"]
    assert json.loads(beat["spec"])["kinds"] == ["gone"]
    [mask] = kinds["mask"]
    spec = json.loads(mask["spec"])
    assert spec["replace"] == "user <*> logged"
    assert "6 patterns" in mask["evidence"]
    assert all(r["status"] == "proposed" and r["proposed_by"] == "ailert" for r in report.proposed)
    again = suggest_rules(store, make_config(), NOW, since=NOW - timedelta(days=2))
    assert again.new == 0
    assert len(list_rules(store)) == 4


def test_too_short_a_lookback_proposes_no_heartbeat(store: Store) -> None:
    populate(store)
    report = suggest_rules(store, make_config(), NOW, since=NOW - timedelta(hours=6))
    assert "heartbeat" not in by_kind(report.proposed)


def test_apply_suppress_creates_the_suppression_and_silence(store: Store) -> None:
    ids = populate(store)
    config = make_config(AM)
    fake = FakeSilences()
    report = suggest_rules(store, config, NOW, since=NOW - timedelta(days=2))
    [rule] = by_kind(report.proposed)["suppress"]
    row, warning = apply_rule(
        store, config, rule["rule_id"], now=NOW, by="bo", transport=fake.transport()
    )
    assert warning is None
    assert (row["status"], row["decided_by"]) == ("applied", "bo")
    [silence] = fake.silences.values()
    assert silence["matchers"][0]["value"] == ids["noisy"]
    active = store.con.execute(
        "SELECT created_by, until FROM suppressions WHERE ended_at IS NULL"
    ).fetchall()
    assert active == [("bo", NOW + timedelta(days=90))]
    with pytest.raises(AIlertError, match="already applied"):
        apply_rule(store, config, rule["rule_id"], now=NOW, by="bo", transport=fake.transport())
    with pytest.raises(AIlertError, match="unsuppress"):
        reject_rule(store, rule["rule_id"], now=NOW, by="bo")


def test_applied_alert_and_heartbeat_rules_take_effect_on_later_ticks(store: Store) -> None:
    ids = populate(store)
    config = make_config()
    report = suggest_rules(store, config, NOW, since=NOW - timedelta(days=2))
    quiet = finding("new", ids["quiet"], "info")
    gone = finding("gone", ids["heartbeat"], "info", current_count=0, baseline_count=60)
    before = process_findings(store, config, [quiet, gone], NOW)
    assert before.fired == []
    assert with_stored_rules(store, config) is config
    kinds = by_kind(report.proposed)
    for kind in ("alert", "heartbeat"):
        apply_rule(store, config, kinds[kind][0]["rule_id"], now=NOW, by="bo")
    merged = with_stored_rules(store, config)
    names = [r.name for r in merged.alerting.rules]
    assert names[:2] == ["new-warn-or-worse", "rate-spike"]  # the config's (defaults) first
    after = process_findings(store, config, [quiet, gone], NOW + timedelta(minutes=1))
    fired = {(a.alertname, a.pattern_hash) for a in after.fired}
    assert fired == {("AIlertNewPattern", ids["quiet"]), ("AIlertPatternGone", ids["heartbeat"])}
    reject_rule(store, kinds["heartbeat"][0]["rule_id"], now=NOW, by="bo", reason="too noisy")
    assert [r.name for r in with_stored_rules(store, config).alerting.rules][-1].startswith(
        "always-"
    )


def test_applied_mask_rule_joins_the_fragmented_patterns(store: Store) -> None:
    populate(store)
    report = suggest_rules(store, make_config(), NOW, since=NOW - timedelta(days=2))
    [mask] = by_kind(report.proposed)["mask"]
    assert stored_pattern_settings(store, PatternSettings()) == PatternSettings()
    apply_rule(store, make_config(), mask["rule_id"], now=NOW, by="bo")
    settings = stored_pattern_settings(store, PatternSettings())
    [rule] = settings.masks
    engine = PatternEngine.from_settings(settings)  # check_rule accepts it
    messages = pl.DataFrame({"message": ["user   zed logged in", "user q-1 logged in"]})
    templates = messages.select(engine.masker.template(pl.col("message")))["message"].to_list()
    assert set(templates) == {"user <*> logged in"}
    assert rule.name.startswith("suggested-")


def test_rejected_rules_are_not_proposed_again(store: Store) -> None:
    populate(store)
    report = suggest_rules(store, make_config(), NOW, since=NOW - timedelta(days=2))
    [mask] = by_kind(report.proposed)["mask"]
    row = reject_rule(store, mask["rule_id"], now=NOW, by="cy", reason="names matter")
    assert (row["status"], row["decided_by"], row["decision_reason"]) == (
        "rejected", "cy", "names matter",
    )  # fmt: skip
    again = suggest_rules(store, make_config(), NOW + timedelta(hours=1), since=NOW - timedelta(2))
    [same] = by_kind(again.proposed)["mask"]
    assert same["status"] == "rejected"
    proposed = {r["rule_id"] for r in list_rules(store, "proposed")}
    assert proposed
    assert mask["rule_id"] not in proposed
    with pytest.raises(AIlertError, match="unknown status"):
        list_rules(store, "maybe")


def test_llm_verdicts_become_suggestions(store: Store) -> None:
    forget_formats()
    noise = add(store, "WARN deprecated flag --foo used", "warn")
    fire = add(store, "ERROR replica lost quorum", "error")
    with LlmServer() as server:
        server.verdicts[noise] = verdict("suppress", 0.95, "deprecation", "A deprecation notice.")
        server.verdicts[fire] = verdict("escalate", 0.9, "data_loss", "Quorum loss.")
        settings = {"base_url": server.url, "model": "scripted", "backoff": "0s"}
        config = make_config(f"llm: {json.dumps(settings)}\n")
        config = config.model_copy(update={"llm": config.llm.model_copy(  # type: ignore[union-attr]
            update={"policy": config.llm.policy.model_copy(update={"auto_suppress": False})}  # type: ignore[union-attr]
        )})  # fmt: skip
        process_findings(store, config, [finding("new", noise, "warn")], NOW)  # judged here
        process_findings(store, make_config(), [finding("new", fire, "error")], NOW)  # not here
        assert server.calls == 1
        offline = suggest_rules(store, config, NOW, since=NOW - timedelta(days=1), use_llm=False)
        assert offline.proposed == []
        assert server.calls == 1
        report = suggest_rules(store, config, NOW, since=NOW - timedelta(days=1))
        assert server.calls == 2  # only the pattern not judged yet
    forget_formats()
    kinds = by_kind(report.proposed)
    [supp] = kinds["suppress"]
    assert (supp["pattern_id"], supp["origin"], supp["proposed_by"]) == (
        noise, "llm", "llm:scripted",
    )  # fmt: skip
    assert "A deprecation notice." in supp["evidence"]
    [always] = kinds["alert"]
    assert always["pattern_id"] == fire
    assert json.loads(always["spec"])["severity"] == "critical"


def rules_cli(tmp_path: Path) -> tuple[typer.Typer, str]:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    register(app)
    path = tmp_path / "ailert.yaml"
    path.write_text("store: s.duckdb\n", encoding="utf-8")
    with open_store(tmp_path / "s.duckdb") as opened:
        populate(opened, datetime.now().astimezone())
    return app, str(path)


def test_rules_commands(tmp_path: Path) -> None:
    app, path = rules_cli(tmp_path)
    for command in (["rules", "suggest"], ["rules", "list"], ["rules", "apply"],
                    ["rules", "reject"], ["review"]):  # fmt: skip
        assert "Usage" in runner.invoke(app, [*command, "--help"]).output
    table = runner.invoke(app, ["rules", "suggest", "-c", path, "--since", "2d", "--no-llm"])
    assert table.exit_code == 0, table.output
    assert "heartbeat" in table.output
    assert "4 new" in table.output
    listed = json.loads(runner.invoke(app, ["rules", "list", "-c", path, "--json"]).output)
    rules = {r["kind"]: r["rule_id"] for r in listed["rules"]}
    done = runner.invoke(app, ["rules", "apply", rules["heartbeat"], "-c", path, "--by", "ana"])
    assert done.exit_code == 0, done.output
    assert "applied rule" in done.output
    no = runner.invoke(app, ["rules", "reject", rules["mask"], "-c", path, "--json",
                             "--reason", "no"])  # fmt: skip
    assert json.loads(no.output)["rule"]["status"] == "rejected"
    applied = json.loads(
        runner.invoke(app, ["rules", "list", "-c", path, "--status", "applied", "--json"]).output
    )
    assert [(r["kind"], r["decided_by"]) for r in applied["rules"]] == [("heartbeat", "ana")]
    missing = runner.invoke(app, ["rules", "apply", "nope", "-c", path])
    assert missing.exit_code == 1
    assert "no rule" in missing.output
