"""Field names of structured log lines, for format drift (a source that grows a new field).

Owns :func:`field_names`: a batch of raw lines (column ``line``) and the source's format give
one row per field name with the number of lines holding it (``field, n``). JSON lines report
their top-level keys (DuckDB ``json_keys`` on the lines that are JSON objects; other lines are
skipped, they are counted as mapping failures elsewhere); logfmt lines report the keys of their
``key=value`` tokens (quoted values are blanked first, so ``msg="a b=c"`` is not a key ``b``).
Formats without fields (``plain``, ``syslog``, ``regex``) give an empty frame, so a tick can
call it for every source. The tick stores the result with ``sql/snapshot/upsert_fields.sql``.
"""

from __future__ import annotations

import duckdb
import polars as pl

__all__ = ["FIELD_FORMATS", "NO_FIELD_FORMATS", "field_names"]

#: Formats whose lines carry named fields.
FIELD_FORMATS: frozenset[str] = frozenset({"json", "logfmt"})
#: Formats that have no field names (the result is always empty).
NO_FIELD_FORMATS: frozenset[str] = frozenset({"plain", "syslog", "regex"})

_SCHEMA = {"field": pl.String, "n": pl.Int64}
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_LOGFMT_KEY = r'(?:^|[ \t])[^ \t="]+='
_JSON_KEYS = """
    SELECT field, count(*)::BIGINT AS n
    FROM (
        SELECT unnest(list_distinct(json_keys(line))) AS field
        FROM lines_in
        WHERE regexp_matches(line, '^[ \\t]*[{]') AND json_valid(line)
    )
    GROUP BY field
    ORDER BY field
"""


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=_SCHEMA)


def _json_fields(lines: pl.DataFrame) -> pl.DataFrame:
    with duckdb.connect(":memory:") as con:
        con.register("lines_in", lines.select("line"))
        found = con.sql(_JSON_KEYS).pl()
    return found.cast(_SCHEMA) if found.height else _empty()


def _logfmt_fields(lines: pl.DataFrame) -> pl.DataFrame:
    keys = (
        pl.col("line")
        .str.replace_all(_QUOTED, '""')
        .str.extract_all(_LOGFMT_KEY)
        .list.eval(pl.element().str.strip_chars_start(" \t").str.strip_chars_end("="))
        .list.unique()
    )
    return (
        lines.select(field=keys)
        .explode("field")
        .drop_nulls("field")
        .group_by("field")
        .agg(n=pl.len().cast(pl.Int64))
        .sort("field")
    )


def field_names(lines: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """``field, n``: each field name in ``lines["line"]`` and how many lines hold it.

    ``fmt`` is the source's mapping format. Raises ValueError for an unknown format or a
    frame without a String column ``line``.
    """
    if "line" not in lines.columns or lines.schema["line"] != pl.String:
        raise ValueError("field_names needs a frame with a String column 'line'")
    if fmt not in FIELD_FORMATS | NO_FIELD_FORMATS:
        known = ", ".join(sorted(FIELD_FORMATS | NO_FIELD_FORMATS))
        raise ValueError(f"unknown format {fmt!r} for field names (expected one of {known})")
    if fmt in NO_FIELD_FORMATS or lines.height == 0:
        return _empty()
    if fmt == "json":
        return _json_fields(lines)
    return _logfmt_fields(lines)
