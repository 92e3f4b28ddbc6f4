"""The spine of a tick: read → decode → map → mine → snapshot, per source, per chunk.

Each chunk of a source is committed with its cursor in one transaction (see
:mod:`ailert.store.snapshot`), so a tick killed anywhere and rerun counts every line once.
A source that fails is reported and does not stop the others; its cursor does not move past
what was committed. :func:`mine_bytes` is the one path from bytes to mined records, shared by
``ailert tick`` and ``ailert parse``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from ailert.config import Config, FileSource, MappingConfig
from ailert.errors import AIlertError, SourceError
from ailert.mapping import map_lines
from ailert.patterns.engine import NewPattern, PatternBook, PatternEngine
from ailert.sources.file import plan_reads, read_chunks
from ailert.sources.lines import LineStats, decode_lines, join_multiline
from ailert.store import Store, open_store, snapshot

__all__ = ["Mined", "SourceReport", "TickReport", "mine_bytes", "mine_lines", "run_tick"]


@dataclass
class SourceReport:
    """What one tick did for one source."""

    source: str
    lines_read: int = 0
    records: int = 0
    mapping_failures: int = 0
    invalid_utf8: int = 0
    blank_lines: int = 0
    long_lines: int = 0
    files: int = 0
    patterns_seen: int = 0
    new_patterns: list[NewPattern] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class TickReport:
    sources: list[SourceReport]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)


@dataclass(frozen=True)
class Mined:
    """A mined batch: ``lines`` (``seq`` and the line's key, input order) and ``uniques`` (one
    row per distinct line: the record, ``template``, ``pattern_id``, ``pattern_template``).

    Identical lines are mapped and templated once. Lines are keyed by a 64-bit hash and the
    match is confirmed with a second, independent one; should two distinct lines of a batch
    ever share the first hash, the batch is keyed by both (see :func:`mine_lines`).
    """

    lines: pl.DataFrame
    uniques: pl.DataFrame
    key: tuple[str, ...]

    def per_line(self, *columns: str) -> pl.DataFrame:
        """``seq`` plus ``columns`` of each line's record, in input order."""
        wanted = self.uniques.select(*self.key, *columns)
        joined = self.lines.join(wanted, on=list(self.key), how="left", maintain_order="left")
        return joined.drop(*self.key)


_H1, _H2 = "_h1", "_h2"
_SEED1, _SEED2 = 0x5EED_0001, 0x5EED_0002


def _distinct(keyed: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """One row per distinct line, in first-seen order, and the key that tells them apart.

    Grouping by the first hash also checks it: a group whose second hashes differ holds two
    distinct lines (a collision), and the batch is then keyed by both hashes.
    """
    groups = (
        keyed.select(_H1, _H2)
        .with_row_index("_row")
        .group_by(_H1)
        .agg(_first=pl.col("_row").min(), _lo=pl.col(_H2).min(), _hi=pl.col(_H2).max())
    )
    key: tuple[str, ...] = (_H1,)
    if groups.select((pl.col("_lo") != pl.col("_hi")).any()).item():
        key = (_H1, _H2)
        return keyed.unique(list(key), keep="first", maintain_order=True), key
    return keyed[groups.sort("_first")["_first"]], key


def mine_lines(
    lines: pl.DataFrame,
    *,
    source: str,
    mapping: MappingConfig,
    engine: PatternEngine,
    book: PatternBook,
    ingest_ts: datetime,
) -> Mined:
    """Decoded lines (``seq, line``) → :class:`Mined`: map and template each distinct line once."""
    keyed = lines.with_columns(_h1=pl.col("line").hash(_SEED1), _h2=pl.col("line").hash(_SEED2))
    distinct, key = _distinct(keyed)
    records = map_lines(distinct.select(*key, "line"), source, mapping, ingest_ts)
    mined = engine.mine(records, book).with_columns(
        pl.col("pattern_id", "pattern_template").cast(pl.Categorical)
    )
    return Mined(keyed.select("seq", *key), mined, key)


def mine_bytes(
    data: bytes,
    *,
    source: str,
    mapping: MappingConfig,
    engine: PatternEngine,
    book: PatternBook,
    ingest_ts: datetime,
    encoding: str = "utf-8",
    multiline: tuple[str, int] | None = None,
    first_seq: int = 0,
) -> tuple[Mined, LineStats]:
    """Bytes of complete lines → :class:`Mined` and decoding stats. The one path from bytes
    to patterns, shared by ``tick`` and ``parse``."""
    lines, stats = decode_lines(data, encoding, engine.masker.max_line_length, first_seq)
    if multiline is not None:
        lines = join_multiline(lines, multiline[0], multiline[1])
    mined = mine_lines(
        lines, source=source, mapping=mapping, engine=engine, book=book, ingest_ts=ingest_ts
    )
    return mined, stats


def _tick_file_source(
    store: Store, config: Config, source: FileSource, engine: PatternEngine
) -> SourceReport:
    report = SourceReport(source.name)
    cursors = snapshot.load_file_cursors(store, source.name)
    plan = plan_reads(source, cursors)
    report.errors.extend(plan.errors)
    report.warnings.extend(plan.warnings)
    book = snapshot.load_book(store, source.name, config.patterns.max_patterns_per_source)
    run_id = snapshot.start_run(store, source.name)
    mapping = source.mapping()
    multiline = (source.multiline.start, source.multiline.max_lines) if source.multiline else None
    seen: set[str] = set()
    error: str | None = None
    try:
        if plan.retired:
            snapshot.commit_batch(
                store,
                source=source.name,
                run_id=run_id,
                summary=None,
                book=book,
                stats=LineStats(),
                cursors=plan.retired,
            )
        for file_plan in plan.plans:
            report.files += 1
            try:
                for chunk in read_chunks(file_plan, source, config.tick.chunk_bytes):
                    summary = None
                    stats = LineStats()
                    if chunk.data:
                        mined, stats = mine_bytes(
                            chunk.data,
                            source=source.name,
                            mapping=mapping,
                            engine=engine,
                            book=book,
                            ingest_ts=datetime.now(UTC),
                            encoding=source.encoding,
                            multiline=multiline,
                        )
                        summary = snapshot.summarize(mined, config.tick.bucket)
                        seen.update(summary.patterns["pattern_id"].to_list())
                    new = list(book.pending_patterns)
                    snapshot.commit_batch(
                        store,
                        source=source.name,
                        run_id=run_id,
                        summary=summary,
                        book=book,
                        stats=stats,
                        cursors=[chunk.cursor],
                    )
                    report.new_patterns.extend(new)
                    report.lines_read += stats.lines_read
                    report.blank_lines += stats.blank_lines
                    report.invalid_utf8 += stats.invalid_utf8
                    report.long_lines += stats.long_lines
                    if summary is not None:
                        report.records += summary.records
                        report.mapping_failures += summary.mapping_failures
            except SourceError as exc:
                report.errors.append(str(exc))
    except AIlertError as exc:
        error = str(exc)
        report.errors.append(error)
        raise
    finally:
        report.patterns_seen = len(seen)
        snapshot.finish_run(store, run_id, "; ".join(report.errors) or error)
    return report


def run_tick(
    config: Config,
    source_names: Sequence[str] = (),
    *,
    engine: PatternEngine | None = None,
) -> TickReport:
    """One microbatch over all (or the named) sources, each committed chunk by chunk."""
    selected = [config.source(n) for n in source_names] if source_names else list(config.sources)
    engine = engine or PatternEngine.from_settings(config.patterns)
    reports: list[SourceReport] = []
    with open_store(config.store_path(), lock_wait=config.tick.store_lock_wait) as store:
        for source in selected:
            started = time.monotonic()
            try:
                report = _tick_file_source(store, config, source, engine)
            except AIlertError as exc:
                report = SourceReport(source.name, errors=[str(exc)])
            report.seconds = time.monotonic() - started
            reports.append(report)
    return TickReport(reports)
