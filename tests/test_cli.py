"""The command line: help everywhere, --json documents, exit codes, errors that say how to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ailert.cli import app

runner = CliRunner()
COMMANDS = [
    "tick", "patterns", "show", "parse", "train", "diff", "demo",
    "suppress", "unsuppress", "suppressions", "ack", "alerts", "serve",
    "sources", "query-logs", "query-metrics", "rules", "review",
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def _config(tmp_path: Path) -> Path:
    log = tmp_path / "app.log"
    log.write_text(
        "2026-11-26T10:00:00Z ERROR disk 1 failed\n"
        "2026-11-26T10:00:01Z INFO user 7 logged in\n"
        "2026-11-26T10:00:02Z INFO user 8 logged in\n"
    )
    config = tmp_path / "ailert.yaml"
    config.write_text(f"store: s.duckdb\nsources:\n  - {{name: app, type: file, path: '{log}'}}\n")
    return config


def test_tick_patterns_show_round_trip(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    tick = runner.invoke(app, ["tick", "--config", config, "--json"])
    assert tick.exit_code == 0, tick.output
    document = json.loads(tick.output)
    assert document["ok"] is True
    assert document["sources"][0]["records"] == 3
    listed = json.loads(runner.invoke(app, ["patterns", "-c", config, "--json"]).output)
    assert {p["count"] for p in listed["patterns"]} == {1, 2}
    warn = runner.invoke(app, ["patterns", "-c", config, "--level", "warn", "--json"])
    errors = json.loads(warn.output)
    assert [p["level"] for p in errors["patterns"]] == ["error"]
    pid = errors["patterns"][0]["pattern_id"]
    shown = runner.invoke(app, ["show", pid, "-c", config, "--json"])
    assert shown.exit_code == 0
    detail = json.loads(shown.output)
    assert detail["pattern"]["template"].endswith("disk <*> failed")
    assert detail["samples"][0]["message"].endswith("disk 1 failed")
    assert sum(h["count"] for h in detail["history"]) == 1
    table = runner.invoke(app, ["patterns", "-c", config])
    assert "pattern_id" in table.output
    assert pid in table.output


def test_unknown_pattern_and_bad_since_are_errors(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    runner.invoke(app, ["tick", "-c", config])
    missing = runner.invoke(app, ["show", "0123456789abcdef", "-c", config])
    assert missing.exit_code == 1
    assert "no pattern" in missing.output
    bad = runner.invoke(app, ["patterns", "-c", config, "--since", "yesterday-ish"])
    assert bad.exit_code == 1
    assert "expected a duration" in bad.output
    usage = runner.invoke(app, ["patterns", "-c", config, "--level", "loud"])
    assert usage.exit_code == 2


def test_broken_config_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "ailert.yaml"
    config.write_text("sources:\n  - {name: a, type: file, path: x, formatt: json}\n")
    result = runner.invoke(app, ["tick", "-c", str(config)])
    assert result.exit_code == 1
    assert f"{config}: sources[0].formatt: unknown key" in result.output


def test_train_from_the_cli(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    result = runner.invoke(
        app, ["train", "-c", config, "--since", "2026-11-26T00:00:00Z",
              "--until", "2026-11-26T10:00:01Z", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["sources"][0]["records"] == 1
    assert document["sources"][0]["skipped"] == 2


def test_show_history_at_coarser_resolutions(tmp_path: Path) -> None:
    """``show --every hour|day`` reads the rollups; without ``--every`` a pattern whose minute
    counts retention already deleted shows its hourly history."""
    import duckdb

    config = str(_config(tmp_path))
    assert runner.invoke(app, ["tick", "-c", config]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["patterns", "-c", config, "--json"]).output)
    pid = next(p["pattern_id"] for p in listed["patterns"] if p["count"] == 2)

    def history(*extra: str) -> list[dict[str, object]]:
        shown = runner.invoke(app, ["show", pid, "-c", config, "--json", *extra])
        assert shown.exit_code == 0, shown.output
        rows: list[dict[str, object]] = json.loads(shown.output)["history"]
        return rows

    minute = history()
    assert [(h["resolution"], h["count"]) for h in minute] == [("minute", 2)]
    hour = history("--every", "hour")
    assert [(h["resolution"], h["count"]) for h in hour] == [("hour", 2)]
    assert str(hour[0]["bucket"]).startswith("2026-11-26")
    assert "10:00:00" in str(hour[0]["bucket"])
    assert [h["resolution"] for h in history("--every", "day")] == ["day"]
    with duckdb.connect(str(tmp_path / "s.duckdb")) as con:  # what retention does after 7 days
        con.execute("DELETE FROM pattern_counts")
    assert [(h["resolution"], h["count"]) for h in history()] == [("hour", 2)]
    bad = runner.invoke(app, ["show", pid, "-c", config, "--every", "week"])
    assert bad.exit_code == 2
