"""Rendering of every listing: a readable text table by default, one JSON document with
``--json``. Commands build rows (dicts) and call :func:`emit`; nothing else prints tables.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TextIO

__all__ = ["emit", "emit_json", "format_cell", "to_jsonable"]

MAX_CELL = 80


def to_jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601 (UTC, ``Z``), durations as seconds; containers recursively."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


def emit_json(document: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    json.dump(to_jsonable(document), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def format_cell(value: Any, width: int = MAX_CELL) -> str:
    """One table cell: one line, control characters made visible, cut to ``width``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).replace("\n", "⏎").replace("\t", " ")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    as_json: bool = False,
    key: str = "rows",
    out: TextIO | None = None,
    empty: str = "(nothing)",
) -> None:
    """Print rows as a table (only ``columns``) or as ``{key: [...all fields...]}`` JSON."""
    stream = out or sys.stdout
    if as_json:
        emit_json({key: list(rows)}, stream)
        return
    if not rows:
        stream.write(empty + "\n")
        return
    cells = [[format_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    stream.write(
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    for row in cells:
        stream.write(
            "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
