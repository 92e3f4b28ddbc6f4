"""The store: blank migration pins the schema; reopening is idempotent; locks are clear."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ailert.errors import StoreError, StoreLockedError
from ailert.store import open_store
from ailert.store.migrate import available_migrations


def test_migrate_blank_creates_the_schema() -> None:
    with open_store(None) as store:
        tables = {
            r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        versions = [
            r[0] for r in store.con.execute("SELECT version FROM schema_migrations").fetchall()
        ]
    assert {
        "file_cursors",
        "runs",
        "patterns",
        "template_map",
        "pattern_counts",
        "pattern_samples",
        "source_counts",
        "schema_migrations",
    } <= tables
    assert versions == [m.version for m in available_migrations()]


def test_reopen_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.con.execute(
            "INSERT INTO runs (run_id, source, started_at, outcome) VALUES (1, 'a', now(), 'ok')"
        )
    with open_store(path) as store:
        assert store.con.execute("SELECT count(*) FROM runs").fetchall() == [(1,)]
        assert store.con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] == len(
            available_migrations()
        )


def test_every_sql_file_has_a_header() -> None:
    root = Path(__file__).resolve().parent.parent / "sql"
    files = sorted(root.rglob("*.sql"))
    assert files
    for path in files:
        head = path.read_text().splitlines()[:6]
        joined = "\n".join(head)
        for part in ("-- purpose:", "-- grain:", "-- params:", "-- returns:"):
            assert part in joined, f"{path} lacks {part}"


def test_migration_gap_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(StoreError, match="gap"):
        available_migrations(tmp_path)


def test_locked_store_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match="locked by another process") as info:
            open_store(path, lock_wait=timedelta(seconds=0.3))
        assert "next tick catches up" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    with open_store(path) as store:  # free again once the holder is gone
        assert store.con.execute("SELECT 1").fetchall() == [(1,)]
