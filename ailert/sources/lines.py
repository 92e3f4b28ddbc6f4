"""From raw bytes to one row per record: decoding, line splitting, clean-up, multiline joins.

Shared by every source that reads bytes. Bad input never stops a batch: invalid bytes are
replaced (U+FFFD) and counted, NUL bytes removed, blank lines skipped and counted, and a
line longer than ``max_line_chars`` bytes keeps its full text (the pattern engine templates a
capped prefix) and is counted as long.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import polars as pl

__all__ = ["LineStats", "decode_lines", "is_blank", "join_multiline"]

REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class LineStats:
    """What decoding a chunk found."""

    lines_read: int = 0
    blank_lines: int = 0
    invalid_utf8: int = 0
    long_lines: int = 0

    def __add__(self, other: LineStats) -> LineStats:
        return LineStats(
            self.lines_read + other.lines_read,
            self.blank_lines + other.blank_lines,
            self.invalid_utf8 + other.invalid_utf8,
            self.long_lines + other.long_lines,
        )


def is_blank(line: pl.Expr) -> pl.Expr:
    """True where a line holds nothing but white space."""
    return line.str.contains("^[ \t\r\n\x0b\x0c]*$")


def decode_lines(
    data: bytes,
    encoding: str = "utf-8",
    max_line_chars: int = 2048,
    first_seq: int = 0,
    *,
    keep_blank: bool = False,
) -> tuple[pl.DataFrame, LineStats]:
    """Decode ``data`` (complete lines) into a frame ``seq, line`` of non-blank lines.

    ``seq`` numbers *physical* lines from ``first_seq`` (blank ones included), so callers can
    report input line numbers. With ``keep_blank`` blank lines stay and are not counted: the
    caller drops and counts them more cheaply once lines are deduplicated (see
    :func:`ailert.pipeline.key_lines`).
    """
    codec = codecs.lookup(encoding).name
    if not data or (data[:1] == b"\n" and data.count(b"\n") == len(data)):
        newlines = len(data)  # nothing but line ends
        empty = pl.DataFrame(schema={"seq": pl.Int64, "line": pl.String})
        return empty, LineStats(lines_read=newlines, blank_lines=newlines)
    frame, damaged = _split(data, codec)
    body = data
    cleanup = []
    if b"\r" in body:
        cleanup.append(pl.col("line").str.strip_suffix("\r"))
    if b"\x00" in body:
        cleanup.append(pl.col("line").str.replace_all("\x00", "", literal=True))
    frame = frame.with_row_index("seq", offset=first_seq).with_columns(pl.col("seq").cast(pl.Int64))
    for expr in cleanup:
        frame = frame.with_columns(expr)
    blank = pl.lit(False) if keep_blank else is_blank(pl.col("line"))
    counts = frame.select(
        pl.len().alias("lines"),
        blank.sum().alias("blank"),
        (
            pl.col("line").str.contains(REPLACEMENT, literal=True).sum() if damaged else pl.lit(0)
        ).alias("invalid"),
        (pl.col("line").str.len_bytes() > max_line_chars).sum().alias("long"),
    ).row(0)
    stats = LineStats(int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3]))
    return (frame.filter(~blank) if stats.blank_lines else frame), stats


def _split(data: bytes, codec: str) -> tuple[pl.DataFrame, bool]:
    """One row per line (``line``) of ``data``; a final newline ends the last line.

    UTF-8 takes Polars' multi-threaded line reader; anything else, or bytes that are not valid
    UTF-8, is decoded by Python (invalid bytes become U+FFFD) and split by Polars.
    """
    if codec == "utf-8":
        try:
            return pl.read_lines(data, name="line"), False
        except (pl.exceptions.ComputeError, AttributeError):
            pass  # not valid UTF-8 (or an old Polars): the careful path below
    try:
        text, damaged = data.decode(codec), False
    except UnicodeDecodeError:
        text, damaged = data.decode(codec, errors="replace"), True
    text = text.removesuffix("\n")
    frame = pl.DataFrame({"line": [text]}).select(pl.col("line").str.split("\n")).explode("line")
    return frame, damaged


def join_multiline(frame: pl.DataFrame, start: str, max_lines: int = 500) -> pl.DataFrame:
    """Join continuation lines to the record that starts before them.

    A line matching ``start`` begins a record; others continue the previous one (joined with
    ``\\n``; at most ``max_lines`` per record, the rest start new records). Lines before the
    first start line form a record of their own. ``seq`` is the first line's.
    """
    if frame.is_empty():
        return frame
    starts = pl.col("line").str.contains(start)
    group = starts.cum_sum()
    rank = pl.int_range(pl.len()).over(group)
    return (
        frame.with_columns(_group=group, _part=rank // max_lines)
        .group_by("_group", "_part", maintain_order=True)
        .agg(pl.col("seq").first(), pl.col("line").str.join("\n"))
        .drop("_group", "_part")
    )
