"""Mapping: raw log lines → records (``ts, source, level, message, labels, mapping_failed``).

Owns ``map_lines`` and the five line formats of a source's mapping (``plain``, ``json``,
``logfmt``, ``syslog``, ``regex``). Every step is a column-wise Polars expression (or, for JSON,
one DuckDB query); Python only loops over the few configured fields. A line that does not fit
its format is kept: its message is the raw line, ``ts`` the ingest time, ``level`` unknown and
``mapping_failed`` true, so format drift is counted instead of silently dropped.

JSON fields are extracted by DuckDB (``json_extract_string`` with a list of paths parses each
line once, on every core): Polars' ``str.json_path_match`` parses the whole line again for each
path and measured 1.2-2 s per path per million lines here, against ~0.5 s for all paths at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import duckdb
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]

from ailert.config import MappingConfig
from ailert.errors import MappingError
from ailert.frames import collect
from ailert.patterns.levels import detect_level, escape_regex, level_lookup, normalize_level
from ailert.schemas import LABELS, RECORD_COLUMNS, validate_records
from ailert.timeparse import UTC_NS, as_utc, check_timezone, parse_rfc3164, parse_timestamp

__all__ = ["DEFAULT_FIELDS", "GIVEN_COLUMNS", "SYSLOG_LABELS", "map_lines"]

#: Field names tried in order (JSON keys, logfmt keys) when ``fields`` does not name one.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "ts": ("ts", "time", "timestamp", "@timestamp"),
    "level": ("level", "severity", "lvl"),
    "message": ("msg", "message", "log"),
}
#: Record columns a source may give with its lines (see :func:`map_lines`).
GIVEN_COLUMNS: tuple[str, ...] = ("ts", "level", "labels")
#: Labels a syslog mapping can keep.
SYSLOG_LABELS: tuple[str, ...] = ("host", "app", "procid", "msgid")

_TMP = "__ailert_"

# logfmt: a token is a run of non-blank characters and "quoted \" strings".
_LOGFMT_QUOTED = r'"(?:[^"\\]|\\.)*"'
_LOGFMT_TOKEN = rf"(?:[^ \t\"]+|{_LOGFMT_QUOTED})+"
_LOGFMT_PAIR = r'(?:^|[ \t])[^ \t="]+='

# syslog, RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]. The regexes capture the
# header only (group 1 is all of it); the message is the rest of the line, cut by length, since a
# capture running to the end of a long line is several times slower.
_SD_ELEMENT = r'\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\]'
_RFC5424 = (
    r"^(<([0-9]{1,3})>1 ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) "
    rf"(?:-|(?:{_SD_ELEMENT})+))(?: |$)"
)
_RFC5424_FIELDS = ["header", "pri", "ts", "host", "app", "procid", "msgid"]
# syslog, RFC 3164 and /var/log/syslog: [<PRI>]Mmm dd hh:mm:ss HOST [TAG[PID]:] MSG
# (rsyslog's RFC 3339 timestamp accepted in place of the year-less one).
_RFC3164 = (
    r"^((?:<([0-9]{1,3})>)?"
    r"([A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+) "
    r"([^ ]+) (?:([^ :\[\]]+)(?:\[([^\]]*)\])?:(?: |$))?)"
)
_RFC3164_FIELDS = ["header", "pri", "ts", "host", "app", "procid"]
#: syslog severity (PRI % 8) → level.
_SYSLOG_SEVERITY: dict[int, str] = {
    0: "fatal",
    1: "fatal",
    2: "fatal",
    3: "error",
    4: "warn",
    5: "info",
    6: "info",
    7: "debug",
}


@dataclass(frozen=True)
class _Parts:
    """What one format read from each line, as expressions over the prepared frame."""

    ok: pl.Expr  # the line fits the format
    message: pl.Expr
    ts: pl.Expr  # Datetime("ns", "UTC"), null when absent or unparseable
    level: pl.Expr  # a canonical level
    labels: list[tuple[str, pl.Expr]] = field(default_factory=list)


_Builder = Callable[[pl.DataFrame, MappingConfig, datetime], tuple[pl.LazyFrame, _Parts]]


def map_lines(
    lines: pl.DataFrame,
    source: str,
    mapping: MappingConfig,
    ingest_ts: datetime,
    *,
    given_ts: Literal["fallback", "first"] = "fallback",
) -> pl.DataFrame:
    """Map raw lines to records; every input row comes out, in order, with its other columns.

    ``lines`` needs a String column ``line``; its other columns are carried through unchanged.
    Added: ``ts`` (Datetime ns UTC), ``source``, ``level``, ``message``, ``labels`` (list of
    ``{key, value}``, only the configured labels present on the line) and ``mapping_failed``.
    A line that does not fit the format keeps the raw line as message, ``ingest_ts`` as ts and
    level ``unknown``; a line that fits but has no parseable timestamp gets ``ingest_ts`` too.
    Raises MappingError for an unusable mapping (bad regex, unknown timezone or format, …).

    Columns a source already knows (see :data:`GIVEN_COLUMNS`) are honoured: ``ts``
    (Datetime) is used where the mapping finds no timestamp — or before it, with
    ``given_ts="first"`` (a structured row's own time column); ``level`` (a raw level value)
    wins over the level found in the line where it is not null; ``labels`` come before the
    labels the mapping takes from the line. ``value`` (metrics) is carried through.
    """
    _check_input(lines)
    _check_mapping(mapping)
    given = [c for c in GIVEN_COLUMNS if c in lines.columns]
    carried = [c for c in lines.columns if c not in given]
    lines = lines.rename({c: f"{_TMP}given_{c}" for c in given})
    builder = _BUILDERS[mapping.format]
    frame, parts = builder(lines, mapping, ingest_ts)
    ingest = pl.lit(as_utc(ingest_ts)).cast(UTC_NS)
    ok = pl.col(f"{_TMP}ok")
    mapped_ts = pl.when(ok).then(parts.ts.cast(UTC_NS))
    level = pl.when(ok).then(parts.level).otherwise(pl.lit("unknown"))
    if "ts" in given:
        own = pl.col(f"{_TMP}given_ts").cast(UTC_NS)
        ts = (
            pl.coalesce(own, mapped_ts, ingest)
            if given_ts == "first"
            else pl.coalesce(mapped_ts, own, ingest)
        )
    else:
        ts = pl.coalesce(mapped_ts, ingest)
    if "level" in given:
        raw_level = pl.col(f"{_TMP}given_level")
        level = (
            pl.when(raw_level.is_not_null())
            .then(normalize_level(raw_level, mapping.level_map))
            .otherwise(level)
        )
    label_columns = [f"{_TMP}label_value{i}" for i in range(len(parts.labels))]
    mapped = collect(
        frame.with_columns(parts.ok.fill_null(False).alias(f"{_TMP}ok"))
        .with_columns(
            ts.alias("ts"),
            pl.lit(source, dtype=pl.String).alias("source"),
            level.alias("level"),
            pl.when(ok)
            .then(parts.message.fill_null(""))
            .otherwise(pl.col("line").fill_null(""))
            .alias("message"),
            (~ok).alias("mapping_failed"),
            *[
                pl.when(ok).then(value.cast(pl.String)).alias(name)
                for name, (_, value) in zip(label_columns, parts.labels, strict=True)
            ],
        )
        .select(
            *carried,
            "ts",
            "source",
            "level",
            "message",
            "mapping_failed",
            *label_columns,
            *([f"{_TMP}given_labels"] if "labels" in given else []),
        ),
        lines.height,
    )
    labels = _label_lists(
        [mapped[c] for c in label_columns], [k for k, _ in parts.labels], mapped.height
    )
    if "labels" in given:
        own_labels = mapped[f"{_TMP}given_labels"].cast(LABELS).fill_null([]).alias("labels")
        labels = own_labels if not parts.labels else _concat_labels(own_labels, labels)
    records = mapped.with_columns(labels).select(*carried, *RECORD_COLUMNS)
    return validate_records(records)


def _concat_labels(first: pl.Series, then: pl.Series) -> pl.Series:
    """Row by row, the labels of ``first`` followed by those of ``then``."""
    joined = pl.DataFrame({"a": first, "b": then}).select(pl.concat_list("a", "b").alias("labels"))
    return joined.to_series().cast(LABELS)


def _check_input(lines: pl.DataFrame) -> None:
    if "line" not in lines.columns or lines.schema["line"] != pl.String:
        raise ValueError(f"map_lines needs a String column 'line', got schema {lines.schema}")
    clash = [
        c
        for c in lines.columns
        if (c in RECORD_COLUMNS and c not in GIVEN_COLUMNS) or c.startswith(_TMP)
    ]
    if clash:
        raise ValueError(f"map_lines input has columns that records would overwrite: {clash}")
    schema = lines.schema
    if "ts" in schema and not isinstance(schema["ts"], pl.Datetime):
        raise ValueError(f"map_lines: a given 'ts' column must be a Datetime, got {schema['ts']}")
    if "labels" in schema and schema["labels"] != LABELS:
        raise ValueError(f"map_lines: a given 'labels' column must be {LABELS}")


def _check_mapping(mapping: MappingConfig) -> None:
    check_timezone(mapping.timezone)
    level_lookup(mapping.level_map)
    fmt = mapping.format
    if mapping.pattern is not None and fmt != "regex":
        raise MappingError(f"pattern is only used by format regex (this mapping is {fmt})")
    named = [k for k, v in mapping.fields.model_dump().items() if v is not None]
    if named and fmt in ("plain", "syslog"):
        raise MappingError(f"fields.{named[0]}: format {fmt} has no named fields to choose from")
    if mapping.labels and fmt == "plain":
        raise MappingError(
            "labels: format plain has no fields to take labels from "
            "(use json, logfmt, syslog or regex)"
        )
    if fmt == "syslog":
        unknown = [name for name in mapping.labels if name not in SYSLOG_LABELS]
        if unknown:
            raise MappingError(
                f"labels: syslog lines have no {unknown} (available: {', '.join(SYSLOG_LABELS)})"
            )


def _label_lists(values: Sequence[pl.Series], keys: Sequence[str], height: int) -> pl.Series:
    """Per row, a list of ``{key, value}`` structs for the label values that are not null.

    Built from flat arrays and offsets: in Polars 2.1 ``concat_list`` of structs and
    ``list.drop_nulls`` each took over 5 s per million rows here; this takes well under one.
    """
    if not keys:
        return pl.select(pl.repeat(pl.lit([], dtype=LABELS), height).alias("labels")).to_series()
    width = len(keys)
    present = [value.is_not_null() for value in values]
    counts = pl.DataFrame(present).select(pl.sum_horizontal(pl.all()).cast(pl.Int64)).to_series()
    offsets = pl.concat([pl.Series([0], dtype=pl.Int64), counts.cum_sum()])
    if width == 1:
        flat_values, flat_keep = values[0], present[0]
        flat_keys = pl.repeat(pl.lit(keys[0], dtype=pl.String), height, eager=True)
    else:  # interleave the label columns row by row
        index = pl.int_range(0, height * width, eager=True, dtype=pl.Int64)
        row, column = index // width, index % width
        source = column * height + row
        flat_values = pl.concat(list(values)).gather(source)
        flat_keep = pl.concat(present).gather(source)
        flat_keys = pl.Series(list(keys), dtype=pl.String).gather(column)
    items = (
        pl.DataFrame({"key": flat_keys, "value": flat_values.cast(pl.String)})
        .filter(flat_keep)
        .to_struct("item")
    )
    lists = pa.LargeListArray.from_arrays(offsets.to_arrow(), items.to_arrow())
    return pl.Series("labels", lists).cast(LABELS)


def _field_level(raw: pl.Expr, message: pl.Expr, mapping: MappingConfig) -> pl.Expr:
    """The level field's value normalised; without a level field, the level found in the text."""
    detected = detect_level(pl.when(raw.is_null()).then(message), mapping.level_map)
    return (
        pl.when(raw.is_not_null()).then(normalize_level(raw, mapping.level_map)).otherwise(detected)
    )


def _candidates(override: str | None, part: str) -> tuple[str, ...]:
    return (override,) if override else DEFAULT_FIELDS[part]


# --- plain -----------------------------------------------------------------------------------


def _plain(
    lines: pl.DataFrame, mapping: MappingConfig, ingest_ts: datetime
) -> tuple[pl.LazyFrame, _Parts]:
    line = pl.col("line")
    parts = _Parts(
        ok=pl.lit(True),
        message=line,
        ts=parse_timestamp(line, mapping.ts_format, mapping.timezone, leading=True),
        level=detect_level(line, mapping.level_map),
    )
    return lines.lazy(), parts


# --- json ------------------------------------------------------------------------------------


def _json_paths(name: str) -> list[str]:
    """DuckDB JSON paths for a field name: dotted means nested, else (or then) a literal key."""
    if '"' in name or "\\" in name:
        raise MappingError(f"field name {name!r}: JSON field names cannot contain quotes here")
    literal = f'$."{name}"'
    if "." not in name:
        return [literal]
    nested = "$" + "".join(f'."{part}"' for part in name.split("."))
    return [nested, literal]


def _json(
    lines: pl.DataFrame, mapping: MappingConfig, ingest_ts: datetime
) -> tuple[pl.LazyFrame, _Parts]:
    wanted: dict[str, list[str]] = {
        part: [
            p
            for name in _candidates(getattr(mapping.fields, part), part)
            for p in _json_paths(name)
        ]
        for part in ("ts", "level", "message")
    }
    for index, name in enumerate(mapping.labels):
        wanted[f"label{index}"] = _json_paths(name)
    paths: list[str] = []
    columns: list[str] = []
    for column, column_paths in wanted.items():
        first = len(paths) + 1  # DuckDB lists are 1-based
        paths.extend(column_paths)
        picks = ", ".join(f"v[{i}]" for i in range(first, first + len(column_paths)))
        columns.append(f'coalesce({picks}) AS "{_TMP}{column}"')
    index_col = f"{_TMP}i"
    # json_valid + a leading "{" = a JSON object; extracting only from valid lines (CASE runs
    # its branch on the selected rows) avoids a cast to JSON, which copies every line.
    query = f"""
        SELECT "{index_col}", is_object AS "{_TMP}object", {", ".join(columns)}
        FROM (
            SELECT "{index_col}", is_object,
                   CASE WHEN is_object THEN json_extract_string(line, $paths) END AS v
            FROM (
                SELECT "{index_col}", line,
                       json_valid(line) AND regexp_matches(line, '^[ \\t]*[{{]') AS is_object
                FROM lines_in
            )
        )
    """
    feed = lines.select(pl.int_range(pl.len(), dtype=pl.Int64).alias(index_col), pl.col("line"))
    with duckdb.connect(":memory:") as con:
        con.execute("SET preserve_insertion_order = true")
        con.register("lines_in", feed)
        extracted = con.sql(query, params={"paths": paths}).pl()
    if extracted.height != lines.height:
        raise MappingError(f"JSON extraction returned {extracted.height} of {lines.height} rows")
    if not extracted[index_col].is_sorted():
        extracted = extracted.sort(index_col)
    frame = pl.concat([lines, extracted.drop(index_col)], how="horizontal").lazy()

    def col(name: str) -> pl.Expr:
        return pl.col(f"{_TMP}{name}")

    parts = _Parts(
        ok=col("object").fill_null(False) & col("message").is_not_null(),
        message=col("message"),
        ts=parse_timestamp(col("ts"), mapping.ts_format, mapping.timezone),
        level=_field_level(col("level"), col("message"), mapping),
        labels=[(name, col(f"label{i}")) for i, name in enumerate(mapping.labels)],
    )
    return frame, parts


# --- logfmt ----------------------------------------------------------------------------------


def _logfmt_value(text: pl.Expr, key: str) -> pl.Expr:
    """The raw value (quotes kept) of the first ``key=`` that starts a token of ``text``.

    Tokens are skipped whole, so a ``key=`` inside a quoted value is not taken. A literal
    pre-check keeps lines without ``key=`` away from the (slower) capturing regex.
    """
    pattern = (
        rf"^[ \t]*(?:{_LOGFMT_TOKEN}[ \t]+)*?{escape_regex(key)}="
        rf"({_LOGFMT_QUOTED}|[^ \t]*)"
    )
    return pl.when(text.str.contains(f"{key}=", literal=True)).then(text).str.extract(pattern, 1)


def _unquote(raw: pl.Expr) -> pl.Expr:
    quoted = raw.str.starts_with('"') & raw.str.ends_with('"') & (raw.str.len_bytes() >= 2)
    inner = raw.str.slice(1, raw.str.len_chars() - 2).str.replace_all(r'\\(["\\])', "${1}")
    return pl.when(quoted).then(inner).otherwise(raw)


def _logfmt(
    lines: pl.DataFrame, mapping: MappingConfig, ingest_ts: datetime
) -> tuple[pl.LazyFrame, _Parts]:
    wanted: dict[str, tuple[str, ...]] = {
        part: _candidates(getattr(mapping.fields, part), part)
        for part in ("ts", "level", "message")
    }
    for index, name in enumerate(mapping.labels):
        wanted[f"label{index}"] = (name,)
    line = pl.col("line")
    frame = lines.lazy().with_columns(
        line.str.contains(_LOGFMT_PAIR).alias(f"{_TMP}pairs"),
        *[pl.lit(None, dtype=pl.String).alias(f"{_TMP}{column}") for column in wanted],
    )
    # Candidate keys in order; a later key is only looked for where the earlier ones are absent.
    for rank in range(max(len(keys) for keys in wanted.values())):
        frame = frame.with_columns(
            pl.coalesce(
                pl.col(f"{_TMP}{column}"),
                _logfmt_value(pl.when(pl.col(f"{_TMP}{column}").is_null()).then(line), keys[rank]),
            ).alias(f"{_TMP}{column}")
            for column, keys in wanted.items()
            if rank < len(keys)
        )
    frame = frame.with_columns(_unquote(pl.col(f"{_TMP}{column}")) for column in wanted)

    def col(name: str) -> pl.Expr:
        return pl.col(f"{_TMP}{name}")

    message = pl.coalesce(col("message"), pl.col("line"))
    parts = _Parts(
        ok=col("pairs"),
        message=message,
        ts=parse_timestamp(col("ts"), mapping.ts_format, mapping.timezone),
        level=_field_level(col("level"), message, mapping),
        labels=[(name, col(f"label{i}")) for i, name in enumerate(mapping.labels)],
    )
    return frame, parts


# --- syslog ----------------------------------------------------------------------------------


def _syslog(
    lines: pl.DataFrame, mapping: MappingConfig, ingest_ts: datetime
) -> tuple[pl.LazyFrame, _Parts]:
    line = pl.col("line")
    r5424, r3164 = pl.col(f"{_TMP}5424"), pl.col(f"{_TMP}3164")
    is5424 = r5424.struct.field("header").is_not_null()

    def nil(value: pl.Expr) -> pl.Expr:  # RFC 5424's "-" means absent
        return pl.when(value != "-").then(value)

    def pick(name: str) -> pl.Expr:
        return (
            pl.when(is5424).then(nil(r5424.struct.field(name))).otherwise(r3164.struct.field(name))
        )

    frame = (
        lines.lazy()
        .with_columns(
            line.str.extract_groups(_RFC5424)
            .struct.rename_fields(_RFC5424_FIELDS)
            .alias(f"{_TMP}5424")
        )
        .with_columns(
            pl.when(~is5424)
            .then(line)
            .str.extract_groups(_RFC3164)
            .struct.rename_fields(_RFC3164_FIELDS)
            .alias(f"{_TMP}3164")
        )
        .with_columns(
            pl.coalesce(r5424.struct.field("header"), r3164.struct.field("header"))
            .str.len_chars()
            .alias(f"{_TMP}header"),
            pick("pri").cast(pl.Int64, strict=False).alias(f"{_TMP}pri"),
            pick("ts").alias(f"{_TMP}ts"),
            *[pick(name).alias(f"{_TMP}{name}") for name in ("host", "app", "procid")],
            pl.when(is5424).then(nil(r5424.struct.field("msgid"))).alias(f"{_TMP}msgid"),
        )
        .with_columns(
            pl.when(pl.col(f"{_TMP}header").is_not_null())
            .then(
                pl.when(is5424)
                .then(line.str.slice(pl.col(f"{_TMP}header") + 1).str.strip_prefix("\ufeff"))
                .otherwise(line.str.slice(pl.col(f"{_TMP}header")))
            )
            .alias(f"{_TMP}msg")
        )
    )

    def col(name: str) -> pl.Expr:
        return pl.col(f"{_TMP}{name}")

    pri = col("pri")
    severity = (pri % 8).replace_strict(_SYSLOG_SEVERITY, return_dtype=pl.String, default=None)
    ts_text = col("ts")
    ts = pl.coalesce(
        parse_timestamp(ts_text, mapping.ts_format, mapping.timezone),
        parse_rfc3164(ts_text, ingest_ts, mapping.timezone),
    )
    parts = _Parts(
        ok=col("header").is_not_null(),
        message=col("msg"),
        ts=ts,
        level=pl.when(pri.is_between(0, 191))
        .then(severity)
        .otherwise(detect_level(col("msg"), mapping.level_map)),
        labels=[(name, col(name)) for name in mapping.labels],
    )
    return frame, parts


# --- regex -----------------------------------------------------------------------------------


def _regex_groups(pattern: str) -> list[str]:
    """The group names of ``pattern`` (unnamed groups are "1", "2", …); MappingError if invalid."""
    probe = pl.Series("line", [""], dtype=pl.String)
    try:
        dtype = probe.str.extract_groups(pattern).dtype
    except pl.exceptions.PolarsError as exc:
        raise MappingError(f"pattern {pattern!r} is not a valid regex: {exc}") from None
    assert isinstance(dtype, pl.Struct)
    return [f.name for f in dtype.fields]


def _regex(
    lines: pl.DataFrame, mapping: MappingConfig, ingest_ts: datetime
) -> tuple[pl.LazyFrame, _Parts]:
    pattern = mapping.pattern
    if not pattern:
        raise MappingError("format regex needs a pattern (a regex with named groups)")
    groups = _regex_groups(pattern)
    names = {part: getattr(mapping.fields, part) or part for part in ("ts", "level", "message")}
    for part, name in names.items():
        if getattr(mapping.fields, part) and name not in groups:
            raise MappingError(f"fields.{part}: pattern {pattern!r} has no group named {name!r}")
    missing = [name for name in mapping.labels if name not in groups]
    if missing:
        raise MappingError(f"labels: pattern {pattern!r} has no group named {missing}")
    line = pl.col("line")
    frame = lines.lazy().with_columns(
        line.str.extract_groups(pattern).alias(f"{_TMP}groups"),
        line.str.contains(pattern).alias(f"{_TMP}matched"),
    )
    found = pl.col(f"{_TMP}groups")

    def group(part: str) -> pl.Expr:
        name = names[part]
        return found.struct.field(name) if name in groups else pl.lit(None, dtype=pl.String)

    message = group("message") if names["message"] in groups else line
    parts = _Parts(
        ok=pl.col(f"{_TMP}matched") & message.is_not_null(),
        message=message,
        ts=parse_timestamp(group("ts"), mapping.ts_format, mapping.timezone),
        level=_field_level(group("level"), message, mapping),
        labels=[(name, found.struct.field(name)) for name in mapping.labels],
    )
    return frame, parts


_BUILDERS: dict[str, _Builder] = {
    "plain": _plain,
    "json": _json,
    "logfmt": _logfmt,
    "syslog": _syslog,
    "regex": _regex,
}
