"""Issue 7: ``ailert review`` — trains the recent window of sources the ticks have not read,
skips the others, detects changes, suggests rules and applies those the policy allows; the
command prints what it did (``--json`` too); the systemd units run it hourly."""

from __future__ import annotations

import configparser
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from typer.testing import CliRunner

from ailert.cli_rules import register
from ailert.config import Config
from ailert.pipeline import run_tick
from ailert.review import run_review
from ailert.store import open_store
from tests.conftest import file_source

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def history(log: Path, now: datetime, hours: int) -> None:
    """A heartbeat every 10 minutes for ``hours`` hours, and a few irregular lines."""
    lines = []
    start = now - timedelta(hours=hours)
    for step in range(hours * 6):
        at = start + timedelta(minutes=10 * step)
        lines.append(f"{at:%Y-%m-%dT%H:%M:%SZ} INFO scheduler heartbeat ok")
        if step % 17 == 0:
            lines.append(f"{at:%Y-%m-%dT%H:%M:%SZ} WARN slow query took {step} ms")
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")


def setup(workspace: Path, make_config: Callable[..., Config], now: datetime) -> Config:
    history(workspace / "logs" / "cold.log", now, 30)
    ticked = workspace / "logs" / "ticked.log"
    ticked.write_text(f"{now:%Y-%m-%dT%H:%M:%SZ} INFO started\n", encoding="utf-8")
    sources = file_source(workspace / "logs" / "cold.log", "cold") + file_source(ticked, "ticked")
    config = make_config(sources, extra="publish: {read_copy: false}\n")
    assert run_tick(config, ["ticked"]).ok
    return config


def test_review_trains_suggests_and_applies_by_policy(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    now = datetime.now(UTC)
    config = setup(workspace, make_config, now)
    report = run_review(
        config, now, since=timedelta(hours=31), lookback=timedelta(hours=31),
        apply=["heartbeat"], use_llm=False,
    )  # fmt: skip
    assert report.errors == []
    assert [t["source"] for t in report.trained] == ["cold"]
    assert report.trained[0]["records"] > 150
    assert "read by ticks" in report.skipped["ticked"]
    assert report.suggestions is not None
    kinds = {r["kind"] for r in report.suggestions.proposed}
    assert "heartbeat" in kinds
    [applied] = report.applied
    assert (applied["kind"], applied["status"], applied["decided_by"]) == (
        "heartbeat", "applied", "ailert-review",
    )  # fmt: skip
    assert "--apply heartbeat" in applied["decision_reason"]
    # an hour later: trains only the new hour, proposes nothing new, applies nothing twice
    later = run_review(
        config, now + timedelta(hours=1), since=timedelta(hours=31),
        lookback=timedelta(hours=31), apply=["heartbeat"], use_llm=False,
    )  # fmt: skip
    assert later.trained[0]["since"] == now
    assert later.applied == []
    with open_store(config.store_path()) as store:
        rows = store.con.execute("SELECT kind, status FROM rules ORDER BY kind").fetchall()
    assert ("heartbeat", "applied") in rows


def test_review_command(workspace: Path, make_config: Callable[..., Config]) -> None:
    now = datetime.now(UTC)
    config = setup(workspace, make_config, now)
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    register(app)
    args = ["review", "-c", str(config.path), "--since", "31h", "--lookback", "31h", "--no-llm"]
    done = runner.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.output)
    assert [t["source"] for t in document["trained"]] == ["cold"]
    assert document["suggestions"]["new"] >= 1
    assert document["applied"] == []
    text = runner.invoke(app, [*args, "--apply", "heartbeat,mask"])
    assert text.exit_code == 0, text.output
    assert "applied" in text.output
    assert "not trained: ticked" in text.output
    wrong = runner.invoke(app, [*args, "--apply", "everything"])
    assert wrong.exit_code == 1
    assert "unknown rule kinds" in wrong.output


def test_systemd_units_run_review_hourly() -> None:
    service = configparser.ConfigParser(interpolation=None)
    service.read(ROOT / "jobs" / "ailert-review.service")
    assert "ailert review" in service["Service"]["ExecStart"]
    assert service["Service"]["Type"] == "oneshot"
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(ROOT / "jobs" / "ailert-review.timer")
    assert timer["Timer"]["OnCalendar"] == "hourly"
    assert timer["Timer"]["Unit"] == "ailert-review.service"
