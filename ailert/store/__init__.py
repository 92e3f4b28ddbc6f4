"""The DuckDB snapshot store: opening it (with a bounded wait for the write lock), migrating
it, and running transactions. What is written lives in :mod:`ailert.store.snapshot`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from ailert.errors import StoreError, StoreLockedError
from ailert.sqlfiles import load_sql
from ailert.store.migrate import migrate

__all__ = ["Store", "open_store"]

_LOCK_HINT = re.compile(r"lock", re.IGNORECASE)


class Store:
    """An open, migrated DuckDB store. Use as a context manager; closing releases the lock."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT, rolled back on any exception."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def run(self, name: str, params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Execute ``sql/<name>.sql`` with bound parameters."""
        return self.con.execute(load_sql(name), params or {})

    def query(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run ``sql/<name>.sql`` and return rows as dicts."""
        cursor = self.run(name, params)
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _connect(path: Path | None, read_only: bool) -> duckdb.DuckDBPyConnection:
    target = ":memory:" if path is None else str(path)
    con = duckdb.connect(target, read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    return con


def open_store(
    path: str | Path | None,
    *,
    read_only: bool = False,
    lock_wait: timedelta = timedelta(seconds=10),
) -> Store:
    """Open (creating and migrating) the store at ``path``; ``None`` or ``:memory:`` for RAM.

    When another process holds the write lock, retry for ``lock_wait`` and then raise
    :class:`StoreLockedError`: nothing was read or written, so the next tick catches up.
    """
    resolved = None if path is None or str(path) == ":memory:" else Path(path)
    if resolved is not None and not read_only:
        resolved.parent.mkdir(parents=True, exist_ok=True)
    if resolved is not None and read_only and not resolved.exists():
        raise StoreError(f"store {resolved} does not exist yet (run `ailert tick` first)")
    deadline = time.monotonic() + lock_wait.total_seconds()
    delay = 0.05
    while True:
        try:
            con = _connect(resolved, read_only)
            break
        except duckdb.IOException as exc:
            if not _LOCK_HINT.search(str(exc)):
                raise StoreError(f"cannot open store {resolved}: {exc}") from exc
            if time.monotonic() >= deadline:
                holder = str(exc).split("Conflicting lock is held in", 1)[-1].strip()
                raise StoreLockedError(
                    f"store {resolved} is locked by another process ({holder}); "
                    "nothing was read or written — the next tick catches up. "
                    "Close the other writer, or query the published copy instead."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {resolved}: {exc}") from exc
    if not read_only:
        migrate(con)
    return Store(con, resolved)
