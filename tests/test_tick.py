"""`ailert tick` end to end over generated files: every record counted exactly once, only new
lines on the next tick, bad input kept and counted, other sources going on after a failure."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ailert.config import Config
from ailert.pipeline import run_tick
from datagen.generate import generate, render, write_lines
from tests.conftest import file_source

START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def totals(config: Config) -> dict[str, int]:
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        counts = con.execute("SELECT coalesce(sum(n), 0) FROM pattern_counts").fetchall()[0][0]
        totals_ = con.execute("SELECT coalesce(sum(total), 0) FROM patterns").fetchall()[0][0]
        records = con.execute("SELECT coalesce(sum(records), 0) FROM runs").fetchall()[0][0]
        sources = con.execute("SELECT coalesce(sum(records), 0) FROM source_counts").fetchall()[0][
            0
        ]
    return {"counts": counts, "patterns": totals_, "runs": records, "source_counts": sources}


def test_counts_equal_records_and_only_new_lines_count(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    events = generate(1, 3000, START)
    lines = render(events, "json")
    log = workspace / "logs" / "app.jsonl"
    write_lines(log, lines[:2000])
    config = make_config(file_source(log, format="json"))
    first = run_tick(config)
    assert first.ok
    assert first.sources[0].records == 2000
    assert set(totals(config).values()) == {2000}
    write_lines(log, lines[2000:], append=True)
    second = run_tick(config)
    assert second.sources[0].records == 1000
    assert set(totals(config).values()) == {3000}
    assert run_tick(config).sources[0].records == 0


def test_small_chunks_count_the_same(workspace: Path, make_config: Callable[..., Config]) -> None:
    log = workspace / "logs" / "app.log"
    write_lines(log, render(generate(2, 1500, START), "plain"))
    config = make_config(
        file_source(log, multiline="{start: '^[0-9]{4}-', flush_after: 0s}"),
        extra="tick: {chunk_bytes: 4096}",
    )
    report = run_tick(config)
    assert report.ok
    counted = totals(config)
    assert counted["counts"] == counted["runs"] == 1500  # stack traces joined: one record each


def test_bad_input_is_kept_and_counted(workspace: Path, make_config: Callable[..., Config]) -> None:
    log = workspace / "logs" / "bad.log"
    huge = "GET /" + "a" * 1_000_000
    log.write_bytes(
        b"fine line 1\n"
        b"broken \xff\xfe bytes 2\n"
        b"nul \x00 inside 3\n"
        b"\n   \n" + huge.encode() + b"\n"
        b"last line 4\n"
    )
    config = make_config(file_source(log))
    source = run_tick(config).sources[0]
    assert source.ok
    assert source.lines_read == 7
    assert source.blank_lines == 2
    assert source.records == 5
    assert source.invalid_utf8 == 1
    assert source.long_lines == 1
    assert totals(config)["counts"] == 5
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        templates = [r[0] for r in con.execute("SELECT template FROM patterns").fetchall()]
        samples = [r[0] for r in con.execute("SELECT message FROM pattern_samples").fetchall()]
    assert "broken \ufffd\ufffd bytes <*>" in templates
    assert "nul inside <*>" in templates
    assert max(len(t) for t in templates) <= config.patterns.max_line_length
    assert max(len(s) for s in samples) <= 1000


def test_json_mapping_failures_are_kept(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    log = workspace / "logs" / "app.jsonl"
    log.write_text(
        '{"ts": "2026-11-26T08:00:00Z", "level": "error", "msg": "boom 1"}\nnot json at all\n'
    )
    config = make_config(file_source(log, format="json"))
    source = run_tick(config).sources[0]
    assert source.records == 2
    assert source.mapping_failures == 1
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        rows = con.execute("SELECT level, template FROM patterns ORDER BY level").fetchall()
        failures = con.execute("SELECT sum(mapping_failures) FROM source_counts").fetchall()[0][0]
    assert rows == [("error", "boom <*>"), ("unknown", "not json at all")]
    assert failures == 1


def test_a_failing_source_does_not_stop_the_others(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    good = workspace / "logs" / "good.log"
    good.write_text("hello 1\nhello 2\n")
    config = make_config(
        file_source(workspace / "missing" / "x.log", name="gone") + file_source(good, name="good")
    )
    report = run_tick(config)
    assert not report.ok
    by_name = {s.source: s for s in report.sources}
    assert "file not found" in by_name["gone"].errors[0]
    assert "x.log" in by_name["gone"].errors[0]
    assert by_name["good"].ok
    assert by_name["good"].records == 2


def test_gz_backfill_and_binary_file_in_glob(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    logs = workspace / "logs"
    with gzip.open(logs / "app.log.1.gz", "wt") as handle:
        handle.write("\n".join(render(generate(3, 100, START), "plain")) + "\n")
    (logs / "app.log.bin").write_bytes(bytes(range(256)) * 64)
    write_lines(logs / "app.log", render(generate(4, 50, START), "plain"))
    config = make_config(
        file_source(logs / "app.log*", multiline="{start: '^[0-9]{4}-', flush_after: 0s}")
    )
    report = run_tick(config).sources[0]
    assert report.ok
    assert any("binary" in w for w in report.warnings)
    assert totals(config)["counts"] == 150


def test_locked_store_fails_the_tick_and_loses_nothing(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    from ailert.errors import StoreLockedError

    log = workspace / "logs" / "app.log"
    log.write_text("one 1\ntwo 2\n")
    config = make_config(file_source(log), extra="tick: {store_lock_wait: 0.2s}")
    run_tick(config)
    log.write_text("one 1\ntwo 2\nthree 3\n")
    holder = duckdb.connect(str(config.store_path()))
    try:
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "-m", "ailert", "tick", "--config", str(config.path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.close()
    assert result.returncode == 1
    assert "locked by another process" in result.stderr
    assert not isinstance(result, StoreLockedError)
    assert run_tick(config).sources[0].records == 1  # caught up
    assert totals(config)["counts"] == 3
