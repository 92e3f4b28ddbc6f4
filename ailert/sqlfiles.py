"""SQL kept in ``sql/*.sql`` files, loaded by name (``load_sql("snapshot/upsert_counts")``).

Every file opens with a ``-- purpose / grain / params / returns`` header. Values are always
bound parameters; the text of a file is never formatted with data.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

__all__ = ["load_sql", "sql_dir"]


def sql_dir() -> Path:
    """``$AILERT_SQL_DIR``, else ``sql/`` beside the package (a checkout or editable install)."""
    override = os.environ.get("AILERT_SQL_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "sql"


@cache
def load_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    path = sql_dir() / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"SQL file {path} is missing (is AIlert installed from a checkout?)"
        ) from None
