"""A tick killed with SIGKILL in the middle of writing, then rerun, counts every line exactly
once (issue 2): each chunk's counts and cursor commit in one transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from datagen.generate import generate, render, write_lines

pytestmark = pytest.mark.slow


def _counts(store: Path) -> list[tuple[str, str, int]]:
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute(
            "SELECT source, pattern_id, CAST(sum(n) AS BIGINT) FROM pattern_counts "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()


def _config(folder: Path, log: Path) -> Path:
    config = folder / "ailert.yaml"
    config.write_text(
        "store: store.duckdb\n"
        "tick: {chunk_bytes: 131072}\n"
        f"sources:\n  - {{name: app, type: file, path: '{log}', format: json}}\n"
    )
    return config


def _tick(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ailert", "tick", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_mid_tick_then_rerun_counts_each_line_once(tmp_path: Path) -> None:
    lines = render(generate(11, 30_000, datetime(2026, 11, 26, tzinfo=UTC)), "json")
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    for folder in (clean, crashed):
        folder.mkdir()
        write_lines(folder / "app.jsonl", lines)

    reference = _tick(_config(clean, clean / "app.jsonl"))
    assert reference.wait(timeout=300) == 0
    expected = _counts(clean / "store.duckdb")
    assert sum(n for *_, n in expected) == len(lines)

    config = _config(crashed, crashed / "app.jsonl")
    store = crashed / "store.duckdb"
    killed = 0
    for _ in range(6):  # kill at growing delays until one lands mid-write
        process = _tick(config)
        deadline = time.monotonic() + 60
        while not store.with_suffix(".duckdb.wal").exists() and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        time.sleep(0.2 + 0.3 * killed)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait() == -signal.SIGKILL
            killed += 1
        else:
            break
    assert killed >= 1, "no tick was killed mid-run: the test proved nothing"
    partial = sum(n for *_, n in _counts(store)) if store.exists() else 0
    assert partial < len(lines)
    final = _tick(config)
    assert final.wait(timeout=300) == 0
    assert _counts(store) == expected
    with duckdb.connect(str(store), read_only=True) as con:
        outcomes = {r[0] for r in con.execute("SELECT outcome FROM runs").fetchall()}
    assert "interrupted" in outcomes
    assert "ok" in outcomes
