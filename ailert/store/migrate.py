"""Numbered schema migrations: ``sql/migrations/NNNN_name.sql`` applied in order, once each.

Applied versions are recorded in ``schema_migrations``; a gap in the numbering is an error,
so two branches cannot silently skip each other's migration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ailert.errors import StoreError
from ailert.sqlfiles import sql_dir

__all__ = ["Migration", "available_migrations", "migrate"]

_NAME = re.compile(r"^([0-9]{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def available_migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files, sorted by version, checked for gaps and duplicates."""
    folder = directory or sql_dir() / "migrations"
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise StoreError(f"migration file {path} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(
                f"migration numbering has a gap or duplicate at {migration.path.name} "
                f"(expected version {expected:04d})"
            )
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration not yet recorded; returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied: list[int] = []
    for migration in available_migrations():
        if migration.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations VALUES ($version, $name, now())",
                {"version": migration.version, "name": migration.name},
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise StoreError(f"migration {migration.path.name} failed: {exc}") from exc
        applied.append(migration.version)
    return applied
