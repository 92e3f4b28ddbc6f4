"""Timestamp parsing as Polars expressions; every result is ``Datetime("ns", "UTC")`` or null.

Owns the built-in timestamp shapes (ISO 8601 / RFC 3339 with ``T`` or a space, optional
``.``/``,`` fraction and ``Z``/offset; numeric epochs in s, ms, µs or ns; the Common Log Format
``10/Oct/2000:13:55:36 -0700``; RFC 3164's year-less ``Oct 11 22:14:15``), user formats
(``ts_format``: chrono / ``str.to_datetime`` formats, tried first), and the rule for naive
timestamps: they are wall-clock time in the mapping's IANA ``timezone``, converted to UTC.

Speed notes (1M lines, measured): chrono's variable-width ``%.f`` path is ~10x slower than a
fixed-width format, so the ISO shape is split by one regex (written to be one-pass: no
ambiguous repetitions) and read as fixed-width seconds plus integer fraction and offset.
Polars' common-subexpression elimination does not reliably share a regex result used in several
places, so multi-step parses run inside ``struct.with_fields`` where each step is evaluated once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from ailert.errors import MappingError

__all__ = [
    "ISO_TIMESTAMP",
    "UTC_NS",
    "as_utc",
    "check_timezone",
    "localize",
    "parse_epoch",
    "parse_formats",
    "parse_iso",
    "parse_rfc3164",
    "parse_timestamp",
]

UTC_NS = pl.Datetime("ns", "UTC")
_NAIVE_NS = pl.Datetime("ns")

#: ISO 8601 / RFC 3339 in three groups: date and time (``T`` or space), fraction, offset.
ISO_TIMESTAMP = (
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:[.,]([0-9]+))?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_LEADING_ISO = r"^[ \t]*\[?" + ISO_TIMESTAMP
_EPOCH = r"^[ \t]*([0-9]{1,19})(?:\.([0-9]*))?[ \t]*$"
#: Formats tried on field values after ISO and epoch (never on whole plain lines).
_FIELD_FORMATS: tuple[str, ...] = ("%d/%b/%Y:%H:%M:%S %z",)
_I64_MAX = 2**63 - 1
_HAS_YEAR = re.compile(r"%[-_0^#]?[0-9]*[YyGgCsFDc+]")


def check_timezone(timezone: str) -> ZoneInfo:
    """The zone named ``timezone``; MappingError if it is not an IANA name known here."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(
            f"timezone {timezone!r} is not an IANA time zone name "
            f"(such as UTC or Europe/Berlin): {exc}"
        ) from None


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def localize(naive: pl.Expr, timezone: str) -> pl.Expr:
    """Read naive datetimes as wall-clock time in ``timezone``; return them in UTC (ns).

    An ambiguous wall time (DST fall-back) takes the earlier instant; a non-existent one
    (spring-forward gap) becomes null.
    """
    naive = naive.cast(_NAIVE_NS)
    if timezone == "UTC":
        return naive.dt.replace_time_zone("UTC")
    return naive.dt.replace_time_zone(
        timezone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


def _iso_from_fields(timezone: str) -> pl.Expr:
    """In a struct with string fields ``dt``, ``frac``, ``off``: the UTC instant they name."""
    frac_digits = pl.field("frac").str.slice(0, 9)
    frac_ns = frac_digits.cast(pl.Int64) * pl.lit(10, dtype=pl.Int64).pow(
        9 - frac_digits.str.len_bytes().cast(pl.Int64)
    )
    # "Z" (the usual case) needs no arithmetic: null it out so the string steps skip it.
    off = pl.when(pl.field("off") != "Z").then(pl.field("off")).str.replace(":", "", literal=True)
    sign = pl.when(off.str.starts_with("-")).then(-1).otherwise(1)
    minutes = sign * (
        off.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(0) * 60
        + off.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    )
    seconds = (
        pl.field("dt")
        .str.replace(" ", "T", literal=True, n=1)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="ns")
    )
    naive = seconds + pl.duration(nanoseconds=frac_ns.fill_null(0), time_unit="ns")
    aware = (naive - pl.duration(minutes=minutes, time_unit="ns")).dt.replace_time_zone("UTC")
    local = localize(pl.when(pl.field("off").is_null()).then(naive), timezone)
    return pl.when(pl.field("off").is_not_null()).then(aware).otherwise(local)


def parse_iso(expr: pl.Expr, timezone: str = "UTC", *, leading: bool = True) -> pl.Expr:
    """Parse an ISO 8601 timestamp at the start of ``expr`` (after blanks and an optional ``[``).

    ``leading=False`` takes the first ISO timestamp anywhere in the text. Fractions are kept to
    the nanosecond; without an offset the time is local to ``timezone``.
    """
    pattern = _LEADING_ISO if leading else ISO_TIMESTAMP
    return (
        expr.str.extract_groups(pattern)
        .struct.rename_fields(["dt", "frac", "off"])
        .struct.with_fields(_iso_from_fields(timezone).alias("ts"))
        .struct.field("ts")
    )


def parse_epoch(expr: pl.Expr) -> pl.Expr:
    """Parse a non-negative number of seconds, ms, µs or ns since 1970 (UTC), exactly.

    The unit follows the magnitude of the integer part: below 1e10 seconds, below 1e13
    milliseconds, below 1e16 microseconds, else nanoseconds. A fraction is kept to the ns.
    """
    whole = pl.field("whole").cast(pl.Int64, strict=False)
    width = pl.field("whole").str.len_bytes()
    fraction = pl.field("frac").fill_null("").str.pad_end(9, "0")

    def fits(max_digits: int, scale: int) -> pl.Expr:
        return (width <= max_digits) & (whole < _I64_MAX // int(10**scale))

    def nanos(scale: int) -> pl.Expr:
        value = whole * int(10**scale)
        return value + fraction.str.slice(0, scale).cast(pl.Int64) if scale else value

    total = (
        pl.when(fits(10, 9))
        .then(nanos(9))
        .when(fits(13, 6))
        .then(nanos(6))
        .when(fits(16, 3))
        .then(nanos(3))
        .when(fits(19, 0))
        .then(nanos(0))
        .otherwise(None)
    )
    return (
        expr.str.extract_groups(_EPOCH)
        .struct.rename_fields(["whole", "frac"])
        .struct.with_fields(
            pl.from_epoch(total, time_unit="ns").dt.replace_time_zone("UTC").alias("ts")
        )
        .struct.field("ts")
    )


def _format_dtype(fmt: str, exact: bool) -> pl.DataType:
    """The dtype ``str.to_datetime(fmt)`` produces; MappingError if polars rejects ``fmt``.

    A format without a year is rejected too: Polars reads it as year 1, which does not fit a
    nanosecond datetime and silently wraps to the 1700s.
    """
    if not _HAS_YEAR.search(fmt):
        raise MappingError(
            f"ts_format {fmt!r} has no year (%Y, %y, %s, %F, %D, %c or %+); "
            "a timestamp without a date cannot be placed in time"
        )
    probe = pl.DataFrame({"x": ["1970-01-01"]}, schema={"x": pl.String})
    try:
        out = probe.select(
            pl.col("x").str.to_datetime(fmt, strict=False, exact=exact, time_unit="ns")
        )
    except pl.exceptions.PolarsError as exc:
        raise MappingError(f"ts_format {fmt!r} is not a usable format: {exc}") from None
    return out.schema["x"]


def parse_formats(
    expr: pl.Expr, formats: Sequence[str], timezone: str = "UTC", *, exact: bool = True
) -> list[pl.Expr]:
    """One UTC datetime expression per chrono format in ``formats`` (null where it fails).

    A format with an offset (``%z``, ``%:z``, ``%#z``) gives aware times, converted to UTC; the
    others are local to ``timezone``. ``exact=False`` lets a format match inside the text.
    Raises MappingError for a format polars rejects.
    """
    return [_format_parser(fmt, timezone, exact=exact)(expr) for fmt in formats]


def _format_parser(fmt: str, timezone: str, *, exact: bool) -> Callable[[pl.Expr], pl.Expr]:
    """A function parsing with one chrono format; the format is checked once, here."""
    dtype = _format_dtype(fmt, exact)
    aware = isinstance(dtype, pl.Datetime) and dtype.time_zone is not None

    def parse(expr: pl.Expr) -> pl.Expr:
        parsed = expr.str.to_datetime(fmt, strict=False, exact=exact, time_unit="ns")
        return parsed.dt.convert_time_zone("UTC") if aware else localize(parsed, timezone)

    return parse


def parse_timestamp(
    expr: pl.Expr,
    formats: Sequence[str] = (),
    timezone: str = "UTC",
    *,
    leading: bool = False,
) -> pl.Expr:
    """Parse timestamps: user ``formats`` first, then the built-in shapes; null if none fits.

    ``leading=False`` (a field value): a format must match the whole value; the built-ins are
    ISO 8601, numeric epochs and the Common Log Format. ``leading=True`` (a whole plain line):
    a format may match anywhere in the line; the built-in is an ISO timestamp at its start
    (an optional ``[`` before it allowed). Raises MappingError for a bad timezone or format.
    """
    check_timezone(timezone)
    builders: list[Callable[[pl.Expr], pl.Expr]] = [
        _format_parser(fmt, timezone, exact=not leading) for fmt in formats
    ]
    builders.append(lambda text: parse_iso(text, timezone, leading=True))
    if not leading:
        builders.append(parse_epoch)
        builders.extend(_format_parser(fmt, timezone, exact=True) for fmt in _FIELD_FORMATS)
    # A struct context evaluates ``expr`` once however many attempts read it; each attempt
    # only sees the rows still unparsed (null rows cost next to nothing).
    ts = pl.field("ts")
    staged = pl.struct(expr.cast(pl.String).alias("text"), pl.lit(None, dtype=UTC_NS).alias("ts"))
    for build in builders:
        remaining = pl.when(ts.is_null()).then(pl.field("text"))
        attempt = build(remaining).cast(UTC_NS)
        staged = staged.struct.with_fields(pl.coalesce(ts, attempt).alias("ts"))
    return staged.struct.field("ts")


def parse_rfc3164(expr: pl.Expr, reference: datetime, timezone: str = "UTC") -> pl.Expr:
    """Parse RFC 3164's ``Mmm dd hh:mm:ss`` (day may be space-padded), which has no year.

    The year is that of ``reference`` (the ingest time) in ``timezone``; a time that would then
    lie more than a day after ``reference`` belongs to the previous year.
    """
    zone = check_timezone(timezone)
    ref = as_utc(reference)
    year = ref.astimezone(zone).year
    text = pl.field("text")

    def in_year(y: int) -> pl.Expr:
        stamp = pl.concat_str([pl.lit(f"{y} "), text])
        naive = stamp.str.to_datetime("%Y %b %d %H:%M:%S", strict=False, time_unit="ns")
        return localize(naive, timezone)

    limit = pl.lit(ref + timedelta(days=1)).cast(UTC_NS)
    this_year = pl.field("this_year")
    return (
        pl.struct(expr.str.replace("  ", " ", literal=True).alias("text"))
        .struct.with_fields(in_year(year).alias("this_year"))
        .struct.with_fields(
            pl.when(this_year.is_not_null() & (this_year <= limit))
            .then(this_year)
            .otherwise(in_year(year - 1))
            .alias("ts")
        )
        .struct.field("ts")
    )
