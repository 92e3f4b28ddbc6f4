"""Batch mode (``ailert parse``): lines in, ``line,pattern_id,template`` out, in input order.

It runs the very path ``tick`` runs (:func:`ailert.pipeline.key_bytes` then
:func:`ailert.pipeline.mine_lines`, with an in-memory pattern book), fed in chunks — of bytes by
default, or of ``chunk_lines`` lines to exercise the incremental path — so the result must not
depend on how the input was cut. Lines already templated in an earlier block are answered from
a :class:`~ailert.patterns.memo.LineMemo`.
"""

from __future__ import annotations

import gc
import io
import json
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import BinaryIO, Literal, TextIO

import polars as pl

from ailert.config import MappingConfig, PatternSettings
from ailert.patterns.engine import PatternBook, PatternEngine
from ailert.patterns.memo import LineMemo
from ailert.pipeline import KeyedLines, Mined, key_bytes, mine_lines
from ailert.sources.lines import LineStats

__all__ = ["ParseStats", "iter_blocks", "parse_stream"]

BLOCK_BYTES = 16 * 1024 * 1024
#: Blocks read, decoded and keyed ahead of the one being mined (the first block's mining, which
#: meets every new template, takes several blocks' worth of decoding).
PREPARE_AHEAD = 3
#: Mined blocks waiting for the writer thread, at most.
WRITE_AHEAD = 2


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
        else:
            if seekable:
                stream.seek(cut - len(data), io.SEEK_CUR)  # re-read the partial line next time
            else:
                carry = data[cut:]
            # drop the whole block before handing out its lines: the allocator can then reuse
            # its pages for the next block instead of faulting in fresh ones
            data = data[:cut]
            yield data


def _seekable(stream: BinaryIO) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _csv_field(text: pl.Expr) -> pl.Expr:
    """``text`` as a CSV field: quoted (quotes doubled) if it holds ``,``, ``"`` or a line end."""
    quoted = pl.lit('"') + text.str.replace_all('"', '""', literal=True) + pl.lit('"')
    return pl.when(text.str.contains('[",\r\n]')).then(quoted).otherwise(text)


class _Writer:
    """Output rows as CSV (header first) or as one JSON array.

    CSV rows are written as ``line`` plus one pre-formatted ``pattern_id,template`` tail made
    once per distinct line, so the per-line work is a join and a copy.
    """

    def __init__(self, out: TextIO, fmt: Literal["csv", "json"]) -> None:
        self.out, self.fmt, self.first = out, fmt, True
        out.write("line,pattern_id,template\n" if fmt == "csv" else "[")

    def write(self, mined: Mined, first_line: int) -> None:
        """Write a mined block whose ``seq`` 0 is input line ``first_line``."""
        if self.fmt == "json":
            rows = _numbered(
                mined, first_line, pattern_id="pattern_id", template="pattern_template"
            )
            for row in rows.iter_rows(named=True):
                self.out.write(
                    ("\n" if self.first else ",\n") + json.dumps(row, ensure_ascii=False)
                )
                self.first = False
            return
        tail = pl.concat_str(
            pl.col("pattern_id").cast(pl.String),
            pl.lit(","),
            _csv_field(pl.col("pattern_template").cast(pl.String)),
        )
        with_tail = replace(mined, uniques=mined.uniques.with_columns(_tail=tail))
        rows = _numbered(with_tail, first_line, _tail="_tail")
        raw = getattr(self.out, "buffer", None)
        if raw is not None:  # straight into the byte stream under the text layer
            self.out.flush()
            rows.write_csv(raw, include_header=False, quote_style="never")
            raw.flush()
            return
        buffer = io.BytesIO()
        rows.write_csv(buffer, include_header=False, quote_style="never")
        self.out.write(buffer.getvalue().decode("utf-8"))

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n")
        self.out.flush()


def _numbered(mined: Mined, first_line: int, **columns: str) -> pl.DataFrame:
    """``line`` (the input line number: ``seq`` 0 is ``first_line``) plus ``columns`` (new name
    → uniques column) of every line that has a pattern."""
    rows = mined.per_line(*columns.values())
    return rows.select(
        line=pl.col("seq") + first_line, **{new: pl.col(old) for new, old in columns.items()}
    )


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cycle collector for the run (restored after): the loop makes no cycles,
    refcounting frees its objects, and the collector would otherwise keep walking every object
    of the process while the engine founds patterns."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    """Template every line of ``stream`` and write one output row per record.

    The stages overlap: this thread reads blocks and mines them (the engine and its book must
    see blocks in order); one thread decodes and keys the next blocks (up to PREPARE_AHEAD of
    them), and one writes mined blocks out, in order.
    """
    settings = settings or PatternSettings()
    engine = PatternEngine.from_settings(settings)
    book = PatternBook(source, settings.max_patterns_per_source)
    mapping = mapping or MappingConfig()
    ingest = datetime.now(UTC)
    blocks = iter_blocks(stream, chunk_lines)
    cap = settings.max_line_length

    def prepare(block: bytes) -> tuple[KeyedLines, LineStats]:
        return key_bytes(block, max_line_chars=cap)  # numbered from 0: shifted when mined

    def prepare_next() -> Future[tuple[KeyedLines, LineStats]] | None:
        block = next(blocks, None)
        return None if block is None else preparer.submit(prepare, block)

    memo = LineMemo()
    seq = records = 0
    writer = _Writer(out, fmt)
    with (
        _no_cyclic_gc(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ailert-prepare") as preparer,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ailert-write") as write_pool,
    ):
        ahead = deque(f for f in (prepare_next() for _ in range(PREPARE_AHEAD)) if f is not None)
        writing: deque[Future[None]] = deque()
        while ahead:
            keyed, stats = ahead.popleft().result()
            if (following := prepare_next()) is not None:
                ahead.append(following)
            mined = mine_lines(
                keyed, source=source, mapping=mapping, engine=engine, book=book,
                ingest_ts=ingest, memo=memo,
            )  # fmt: skip
            book.commit()
            records += mined.lines.height
            while len(writing) >= WRITE_AHEAD:
                writing.popleft().result()
            writing.append(write_pool.submit(writer.write, mined, seq + 1))
            seq += stats.lines_read
        for pending in writing:
            pending.result()
    writer.close()
    return ParseStats(seq, records, len(book.patterns))
