"""Batch mode (``ailert parse``): lines in, ``line,pattern_id,template`` out, in input order.

It runs the very engine ``tick`` runs (``decode_lines`` then
:func:`ailert.pipeline.mine_lines`, with an in-memory pattern book), fed in chunks — of bytes by
default, or of ``chunk_lines`` lines to exercise the incremental path — so the result must not
depend on how the input was cut.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import BinaryIO, Literal, TextIO

import polars as pl

from ailert.config import MappingConfig, PatternSettings
from ailert.patterns.engine import PatternBook, PatternEngine
from ailert.pipeline import mine_lines
from ailert.sources.lines import LineStats, decode_lines

__all__ = ["ParseStats", "iter_blocks", "parse_stream"]

BLOCK_BYTES = 48 * 1024 * 1024


@dataclass(frozen=True)
class ParseStats:
    lines: int
    records: int
    patterns: int


def iter_blocks(stream: BinaryIO, chunk_lines: int | None) -> Iterator[bytes]:
    """Blocks of complete lines: ``chunk_lines`` lines each, or about BLOCK_BYTES each."""
    if chunk_lines:
        while True:
            lines = list(islice(stream, chunk_lines))
            if not lines:
                return
            block = b"".join(lines)
            yield block if block.endswith(b"\n") else block + b"\n"
    seekable = _seekable(stream)
    carry = b""
    while True:
        data = stream.read(BLOCK_BYTES)
        if not data:
            if carry:
                yield carry + b"\n"
            return
        if carry:
            data, carry = carry + data, b""
        cut = data.rfind(b"\n") + 1
        if cut == len(data):
            yield data
        elif cut == 0:
            carry = data  # a line longer than a block
        elif seekable:
            stream.seek(cut - len(data), io.SEEK_CUR)  # re-read the partial line next time
            yield data[:cut]
        else:
            carry = data[cut:]
            yield data[:cut]


def _seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _write_csv(rows: pl.DataFrame, out: TextIO) -> None:
    """CSV rows without header, straight into the byte stream under ``out`` when there is one."""
    raw = getattr(out, "buffer", None)
    if raw is not None:
        out.flush()
        rows.write_csv(raw, include_header=False)
        raw.flush()
        return
    buffer = io.BytesIO()
    rows.write_csv(buffer, include_header=False)
    out.write(buffer.getvalue().decode("utf-8"))


class _Writer:
    """Output rows as CSV (header first) or as one JSON array."""

    def __init__(self, out: TextIO, fmt: Literal["csv", "json"]) -> None:
        self.out, self.fmt, self.first = out, fmt, True
        out.write("line,pattern_id,template\n" if fmt == "csv" else "[")

    def write(self, rows: pl.DataFrame) -> None:
        if self.fmt == "csv":
            _write_csv(rows, self.out)
            return
        for row in rows.iter_rows(named=True):
            self.out.write(("\n" if self.first else ",\n") + json.dumps(row, ensure_ascii=False))
            self.first = False

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n")
        self.out.flush()


def parse_stream(
    stream: BinaryIO,
    out: TextIO,
    *,
    settings: PatternSettings | None = None,
    mapping: MappingConfig | None = None,
    chunk_lines: int | None = None,
    fmt: Literal["csv", "json"] = "csv",
    source: str = "parse",
) -> ParseStats:
    """Template every line of ``stream`` and write one output row per record."""
    settings = settings or PatternSettings()
    engine = PatternEngine.from_settings(settings)
    book = PatternBook(source, settings.max_patterns_per_source)
    mapping = mapping or MappingConfig()
    ingest = datetime.now(UTC)
    blocks = iter_blocks(stream, chunk_lines)
    cap = settings.max_line_length

    def decode_next(first_seq: int) -> tuple[pl.DataFrame, LineStats] | None:
        block = next(blocks, None)
        return None if block is None else decode_lines(block, "utf-8", cap, first_seq)

    seq = records = 0
    writer = _Writer(out, fmt)
    # reading and decoding the next block, and writing the previous one, overlap with mining
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ailert-parse") as pool:
        decoding: Future[tuple[pl.DataFrame, LineStats] | None] = pool.submit(decode_next, 0)
        writing: Future[None] | None = None
        while (decoded := decoding.result()) is not None:
            lines, stats = decoded
            seq += stats.lines_read
            decoding = pool.submit(decode_next, seq)
            mined = mine_lines(
                lines, source=source, mapping=mapping, engine=engine, book=book, ingest_ts=ingest
            )
            book.commit()
            rows = mined.per_line("pattern_id", "pattern_template").select(
                line=pl.col("seq") + 1, pattern_id="pattern_id", template="pattern_template"
            )
            records += rows.height
            if writing is not None:
                writing.result()
            writing = pool.submit(writer.write, rows)
        if writing is not None:
            writing.result()
    writer.close()
    return ParseStats(seq, records, len(book.patterns))
