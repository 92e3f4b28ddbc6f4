"""The record schema: what every mapped frame looks like, checked with pandera (polars backend).

A record frame has ``ts`` (``Datetime("ns", "UTC")``), ``source``, ``level`` (one of
``ailert.patterns.levels.LEVELS``), ``message``, ``labels`` (a list of ``{key, value}`` string
structs) and ``mapping_failed``, none of them null, plus an optional ``value`` (Float64, for
metric sources). Other columns (``seq``, ``line`` …) are allowed and not checked. Validation is
cheap by design: dtype and null checks and one ``isin`` on ``level``.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from ailert.patterns.levels import LEVELS

__all__ = ["LABEL", "LABELS", "RECORD_COLUMNS", "RECORD_SCHEMA", "validate_records"]

#: One label: a key and its value.
LABEL = pl.Struct({"key": pl.String, "value": pl.String})
#: The ``labels`` column's dtype.
LABELS = pl.List(LABEL)
#: The columns a record frame always has, in order.
RECORD_COLUMNS: tuple[str, ...] = ("ts", "source", "level", "message", "labels", "mapping_failed")

RECORD_SCHEMA = pa.DataFrameSchema(
    {
        "ts": pa.Column(pl.Datetime("ns", "UTC"), nullable=False),
        "source": pa.Column(pl.String, nullable=False),
        "level": pa.Column(pl.String, pa.Check.isin(list(LEVELS)), nullable=False),
        "message": pa.Column(pl.String, nullable=False),
        "labels": pa.Column(LABELS, nullable=False),
        "mapping_failed": pa.Column(pl.Boolean, nullable=False),
        "value": pa.Column(pl.Float64, nullable=True, required=False),
    },
    strict=False,
    name="records",
)


def validate_records(df: pl.DataFrame) -> pl.DataFrame:
    """Return ``df`` unchanged if it is a valid record frame; raise pandera's SchemaError if not."""
    validated: pl.DataFrame = RECORD_SCHEMA.validate(df)
    return validated
