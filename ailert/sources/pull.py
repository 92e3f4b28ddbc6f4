"""Ticking a pull source (``loki``, ``prometheus``, ``sql``, ``http``): window → read → map →
mine → commit counts and cursor together.

A tick reads ``[cursor, now - lag)`` (the first one ``lookback`` long, or from the end of a
trained range), ``chunk`` at a time. Rows are committed whenever the reader says the window is
covered up to a point (a Loki page boundary, a chunk's end) and enough rows have gathered — the
counts, new patterns and the cursor in one transaction (``snapshot.commit_batch(..., also=…)``).
A failure stops the source's tick where it is: what was committed stays, the cursor does not
pass what was not, and the next tick reads it again.

Lines are mapped by the source's mapping (:func:`ailert.mapping.map_lines`, honouring the time,
level and labels the source gives) and templated by the pattern engine. Metric series are
records already; their identity is their template as it is (no masking, no merging), and
their values go to ``metric_values`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import polars as pl

from ailert.config import Config
from ailert.errors import AIlertError
from ailert.mapping import map_lines
from ailert.patterns.book import PatternBook
from ailert.patterns.engine import PatternEngine
from ailert.patterns.merge import ExactMerger
from ailert.pipeline import Mined, SourceReport
from ailert.schemas import validate_records
from ailert.sources.base import PullReader, Window, from_ns, open_reader, plan_window, redact_url
from ailert.sources.base import to_ns as _to_ns
from ailert.sources.lines import LineStats, is_blank
from ailert.sources.models import PullSourceBase
from ailert.store import Store, snapshot
from ailert.timeparse import UTC_NS
from ailert.window import now

__all__ = [
    "COMMIT_ROWS",
    "line_stats",
    "load_cursor",
    "mine_rows",
    "source_chunks",
    "tick_pull_source",
    "to_records",
    "train_pull_source",
]

#: Rows gathered before a commit (when the reader allows one).
COMMIT_ROWS = 200_000
_SEED1, _SEED2 = 0x5EED_0001, 0x5EED_0002
_KEY = ("_h1", "_h2")
_SERIES_MERGER = ExactMerger()


def load_cursor(store: Store, source: str) -> int | None:
    """The source's cursor (ns since 1970 UTC), None before its first commit."""
    rows = store.run("pull/cursor", {"source": source}).fetchall()
    return int(rows[0][0]) if rows else None


def _lag(config: Config, source: PullSourceBase) -> Any:
    return source.lag if source.lag is not None else config.tick.lag


def source_chunks(reader: PullReader, window: Window, source: PullSourceBase) -> Iterator[Window]:
    if reader.chunked:
        yield from window.chunks(source.chunk)
    else:
        yield window


# --- mining ----------------------------------------------------------------------------------


def line_stats(lines: pl.DataFrame, max_line_length: int) -> tuple[pl.DataFrame, LineStats]:
    lines = lines.with_columns(pl.col("line").fill_null(""))
    blank = is_blank(pl.col("line"))
    counts = lines.select(
        blank.sum().alias("blank"),
        (pl.col("line").str.len_bytes() > max_line_length).sum().alias("long"),
        pl.col("line").str.contains("\ufffd", literal=True).sum().alias("invalid"),
    ).row(0)
    stats = LineStats(lines.height, int(counts[0]), int(counts[2]), int(counts[1]))
    return (lines.filter(~blank) if stats.blank_lines else lines), stats


def _mine_series(records: pl.DataFrame, book: PatternBook) -> pl.DataFrame:
    """Series records: the identity (message) is the template, each its own pattern."""
    pairs = records.select("level", "message").unique(maintain_order=True)
    pairs = pairs.with_columns(template=pl.col("message"))
    resolved = book.resolve(pairs.select("level", "template"), _SERIES_MERGER)
    per_message = pairs.join(resolved, on=["level", "template"], how="left", maintain_order="left")
    return records.join(per_message, on=["level", "message"], how="left", maintain_order="left")


def to_records(
    lines: pl.DataFrame, reader: PullReader, source: str, window: Window
) -> pl.DataFrame:
    """A batch's rows as records (mapped lines, or series as they are), in the window."""
    if reader.kind == "series":
        records = lines.with_columns(
            source=pl.lit(source, dtype=pl.String), mapping_failed=pl.lit(False)
        )
        records = validate_records(records)
    else:
        mapping = reader.mapping()
        assert mapping is not None
        ingest = from_ns(window.end_ns - 1000)  # a record without a time: end of its window
        records = map_lines(lines, source, mapping, ingest, given_ts=reader.given_ts)
    if reader.filter_window:
        start = pl.lit(window.start_ns).cast(pl.Int64).cast(UTC_NS)
        end = pl.lit(window.end_ns).cast(pl.Int64).cast(UTC_NS)
        records = records.filter((pl.col("ts") >= start) & (pl.col("ts") < end))
    return records


def mine_rows(
    lines: pl.DataFrame,
    *,
    reader: PullReader,
    source: str,
    engine: PatternEngine,
    book: PatternBook,
    window: Window,
) -> tuple[Mined | None, LineStats]:
    """A batch's rows → :class:`ailert.pipeline.Mined` (each distinct row mapped and templated
    once) and line statistics. None when there is nothing to count."""
    stats = LineStats(lines_read=lines.height)
    if reader.kind == "lines":
        lines, stats = line_stats(lines, engine.masker.max_line_length)
    if lines.is_empty():
        return None, stats
    columns = lines.columns
    keyed = lines.with_row_index("seq").with_columns(
        pl.col("seq").cast(pl.Int64),
        _h1=pl.struct(columns).hash(_SEED1),
        _h2=pl.struct(columns).hash(_SEED2),
    )
    distinct = keyed.unique(list(_KEY), keep="first", maintain_order=True).drop("seq")
    records = to_records(distinct, reader, source, window)
    series = reader.kind == "series"
    uniques = _mine_series(records, book) if series else engine.mine(records, book)
    uniques = uniques.with_columns(pl.col("pattern_id", "pattern_template").cast(pl.Categorical))
    return Mined(keyed.select("seq", *_KEY), uniques, _KEY), stats


def _values(mined: Mined, bucket: Any) -> pl.DataFrame:
    """Per series (pattern) and bucket: samples, sum, min, max, last value."""
    every = f"{int(bucket.total_seconds())}s"
    per_line = mined.per_line("ts", "pattern_id", "value").filter(
        pl.col("pattern_id").is_not_null()
    )
    value = pl.col("value").fill_nan(None)
    return (
        per_line.with_columns(bucket=pl.col("ts").dt.truncate(every))
        .sort("ts", maintain_order=True)
        .group_by("pattern_id", "bucket", maintain_order=True)
        .agg(
            samples=pl.len(),
            total=value.sum(),
            min=value.min(),
            max=value.max(),
            last=value.drop_nulls().last(),
        )
        .with_columns(pl.col("pattern_id").cast(pl.String))
    )


# --- ticking ---------------------------------------------------------------------------------


@dataclass
class _Run:
    store: Store
    config: Config
    source: PullSourceBase
    reader: PullReader
    engine: PatternEngine
    book: PatternBook
    run_id: int
    report: SourceReport
    keep_cursor: bool
    seen: set[str] = field(default_factory=set)

    def commit(self, frames: list[pl.DataFrame], window: Window, until_ns: int) -> None:
        lines = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
        mined, stats = (None, LineStats())
        if lines.height:
            mined, stats = mine_rows(
                lines, reader=self.reader, source=self.source.name, engine=self.engine,
                book=self.book, window=window,
            )  # fmt: skip
        summary = snapshot.summarize(mined, self.config.tick.bucket) if mined else None
        also: list[tuple[str, dict[str, Any]]] = []
        if self.keep_cursor:
            cursor = {"source": self.source.name, "type": self.source_type, "cursor_ns": until_ns}
            also.append(("pull/advance_cursor", cursor))
        con = self.store.con
        values = None
        if mined is not None and self.reader.kind == "series":
            values = _values(mined, self.config.tick.bucket)
            con.register("pull_values", values)
            also.append(("pull/upsert_metric_values", {"source": self.source.name}))
        new = list(self.book.pending_patterns)
        try:
            snapshot.commit_batch(
                self.store, source=self.source.name, run_id=self.run_id, summary=summary,
                book=self.book, stats=stats, also=also,
            )  # fmt: skip
        finally:
            if values is not None:
                con.unregister("pull_values")
        self.report.new_patterns.extend(new)
        self.report.add(stats, summary)
        if summary is not None:
            self.seen.update(summary.patterns["pattern_id"].cast(pl.String).to_list())

    @property
    def source_type(self) -> str:
        return str(getattr(self.source, "type", "pull"))

    def ingest(self, window: Window) -> None:
        for chunk in source_chunks(self.reader, window, self.source):
            frames: list[pl.DataFrame] = []
            rows = 0
            committed = chunk.start_ns
            for batch in self.reader.read(chunk):
                frames.append(batch.lines)
                rows += batch.lines.height
                if batch.until_ns > committed and (
                    rows >= COMMIT_ROWS or batch.until_ns >= chunk.end_ns
                ):
                    self.commit(frames, chunk, min(batch.until_ns, chunk.end_ns))
                    committed, frames, rows = batch.until_ns, [], 0
            if committed < chunk.end_ns or frames:
                self.commit(frames, chunk, chunk.end_ns)


def _run_source(
    store: Store,
    config: Config,
    source: PullSourceBase,
    engine: PatternEngine,
    window: Window,
    *,
    keep_cursor: bool,
    transport: httpx.BaseTransport | None,
) -> SourceReport:
    report = SourceReport(source.name)
    book = snapshot.load_book(store, source.name, config.patterns.max_patterns_per_source)
    run_id = snapshot.start_run(store, source.name)
    run: _Run | None = None
    try:
        reader = open_reader(source, transport=transport)
        try:
            run = _Run(store, config, source, reader, engine, book, run_id, report, keep_cursor)
            run.ingest(window)
        finally:
            reader.close()
    except AIlertError as exc:
        report.errors.append(redact_url(str(exc)))
    finally:
        report.patterns_seen = len(run.seen) if run else 0
        snapshot.finish_run(store, run_id, "; ".join(report.errors) or None)
    return report


def tick_pull_source(
    store: Store,
    config: Config,
    source: PullSourceBase,
    engine: PatternEngine,
    *,
    transport: httpx.BaseTransport | None = None,
) -> SourceReport:
    """One tick of a pull source: read ``[cursor, now - lag)`` and count it (see the module
    docstring). The first successful tick marks what it saw as learned."""
    state = snapshot.load_state(store, source.name)
    window = plan_window(
        load_cursor(store, source.name),
        now_ns=_to_ns(now()),
        lag=_lag(config, source),
        lookback=source.lookback,
        trained_until=state.trained_until,
        align_s=1 if getattr(source, "type", "") == "sql" else 0,
    )
    if window is None:
        return SourceReport(source.name)
    report = _run_source(
        store, config, source, engine, window, keep_cursor=True, transport=transport
    )
    if report.ok and state.learned_until is None:
        snapshot.mark_learned(store, source.name, now())
    return report


def train_pull_source(
    store: Store,
    config: Config,
    source: PullSourceBase,
    engine: PatternEngine,
    since: datetime,
    until: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
) -> SourceReport:
    """Backfill ``[since, until)`` without moving the cursor; ticks then start at ``until``.
    Refused when ticks have already counted part of that range."""
    cursor = load_cursor(store, source.name)
    start, end = _to_ns(since), _to_ns(until)
    if cursor is not None and start < cursor:
        raise AIlertError(
            f"train: source {source.name!r} is counted by ticks up to "
            f"{from_ns(cursor):%Y-%m-%d %H:%M:%S} UTC; train a range before its first tick"
        )
    state = snapshot.load_state(store, source.name)
    if state.trained_until is not None and since < state.trained_until:
        raise AIlertError(
            f"train: source {source.name!r} is trained up to {state.trained_until:%Y-%m-%d %H:%M}"
            " UTC; train a later range (--since at or after it) so nothing is counted twice"
        )
    report = _run_source(
        store, config, source, engine, Window(start, end), keep_cursor=False, transport=transport
    )
    if report.ok:
        snapshot.mark_trained(store, source.name, since, until)
    return report
