"""The spine of a tick: read → decode → map → mine → snapshot, per source, per chunk; then
retention, change detection (→ findings), alerting (→ Alertmanager) and the published read copy.

Each chunk of a source is committed with its cursor in one transaction (see
:mod:`ailert.store.snapshot`), so a tick killed anywhere and rerun counts every line once.
A source that fails is reported and does not stop the others; its cursor does not move past
what was committed. :func:`mine_bytes` is the one path from bytes to mined records, shared by
``ailert tick`` and ``ailert parse``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import polars as pl

from ailert.changes import detect_for_tick, store_findings
from ailert.config import Config, FileSource, MappingConfig
from ailert.diff import Finding, Window
from ailert.errors import AIlertError, SourceError
from ailert.mapping import map_lines
from ailert.notify.alerts import AlertReport, process_findings
from ailert.patterns.engine import NewPattern, PatternBook, PatternEngine
from ailert.patterns.memo import LINE_KEY, LineMemo
from ailert.sources.file import ReadPlan, plan_reads, read_chunks
from ailert.sources.lines import LineStats, decode_lines, is_blank, join_multiline
from ailert.store import Store, open_store, snapshot
from ailert.store.publish import publish_read_copy
from ailert.store.retention import roll_up
from ailert.window import now

__all__ = [
    "KeyedLines",
    "Mined",
    "SourceReport",
    "TickReport",
    "key_bytes",
    "key_lines",
    "mine_bytes",
    "mine_lines",
    "run_tick",
    "run_train",
]


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
    skipped: int = 0
    last_ts: datetime | None = None
    files: int = 0
    patterns_seen: int = 0
    new_patterns: list[NewPattern] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, stats: LineStats, summary: snapshot.BatchSummary | None) -> None:
        self.lines_read += stats.lines_read
        self.blank_lines += stats.blank_lines
        self.invalid_utf8 += stats.invalid_utf8
        self.long_lines += stats.long_lines
        if summary is not None:
            self.records += summary.records
            self.mapping_failures += summary.mapping_failures
            self.skipped += summary.skipped
            if summary.records:
                latest = summary.patterns["last_seen"].max()
                if isinstance(latest, datetime):
                    self.last_ts = latest if self.last_ts is None else max(self.last_ts, latest)


@dataclass
class TickReport:
    sources: list[SourceReport]
    findings: list[Finding] = field(default_factory=list)
    window: Window | None = None
    alerts: AlertReport | None = None

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources)


@dataclass(frozen=True)
class Mined:
    """A mined batch: ``lines`` (``seq`` and the line's key, input order) and ``uniques`` (one
    row per distinct line: the record, ``template``, ``pattern_id``, ``pattern_template``).

    Identical lines are mapped and templated once. Lines are keyed by a 64-bit hash and the
    match is confirmed with a second, independent one; should two distinct lines of a batch
    ever share the first hash, the batch is keyed by both (see :func:`key_lines`).
    """

    lines: pl.DataFrame
    uniques: pl.DataFrame
    key: tuple[str, ...]

    def per_line(self, *columns: str) -> pl.DataFrame:
        """``seq`` plus ``columns`` of each line's record, in input order."""
        wanted = self.uniques.select(*self.key, *columns)
        joined = self.lines.join(wanted, on=list(self.key), how="left", maintain_order="left")
        return joined.drop(*self.key)


_H1, _H2 = LINE_KEY
_SEED1, _SEED2 = 0x5EED_0001, 0x5EED_0002


@dataclass(frozen=True)
class KeyedLines:
    """Decoded lines with their keys (see :func:`key_lines`): ``lines`` (``seq``, ``line`` and
    both hashes, input order), ``distinct`` (one row per distinct line, first-seen order), the
    ``key`` that tells distinct lines apart, and how many blank lines were dropped."""

    lines: pl.DataFrame
    distinct: pl.DataFrame
    key: tuple[str, ...]
    blank_lines: int = 0


def key_lines(lines: pl.DataFrame, *, drop_blank: bool = False) -> KeyedLines:
    """Key decoded lines (``seq, line``) by two independent 64-bit hashes and find the distinct
    ones. Stateless, so batch mode runs it ahead of mining, on another thread. With
    ``drop_blank``, blank lines are found among the distinct ones, dropped and counted.

    Grouping by the first hash also checks it: a group whose second hashes differ holds two
    distinct lines (a collision), and the batch is then keyed by both hashes.
    """
    keyed = lines.with_columns(
        pl.col("line").hash(_SEED1).alias(_H1), pl.col("line").hash(_SEED2).alias(_H2)
    )
    groups = (
        keyed.select(_H1, _H2)
        .with_row_index("_row")
        .group_by(_H1)
        .agg(_first=pl.col("_row").min(), _lo=pl.col(_H2).min(), _hi=pl.col(_H2).max())
    )
    if groups.select((pl.col("_lo") != pl.col("_hi")).any()).item():
        key: tuple[str, ...] = (_H1, _H2)
        distinct = keyed.unique(list(key), keep="first", maintain_order=True)
    else:
        key, distinct = (_H1,), keyed[groups.sort("_first")["_first"]]
    blank = distinct.filter(is_blank(pl.col("line"))).select(*key) if drop_blank else None
    if blank is None or blank.is_empty():
        return KeyedLines(keyed, distinct, key)
    kept = keyed.join(blank, on=list(key), how="anti", maintain_order="left")
    return KeyedLines(
        kept,
        distinct.join(blank, on=list(key), how="anti", maintain_order="left"),
        key,
        keyed.height - kept.height,
    )


def mine_lines(
    lines: pl.DataFrame | KeyedLines,
    *,
    source: str,
    mapping: MappingConfig,
    engine: PatternEngine,
    book: PatternBook,
    ingest_ts: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    memo: LineMemo | None = None,
) -> Mined:
    """Decoded lines (``seq, line``, or those lines already keyed by :func:`key_lines`) →
    :class:`Mined`: map and template each distinct line once.

    Records outside ``[since, until)`` are left out before patterns are found (their lines get
    no pattern: ``per_line`` gives nulls for them). With a ``memo`` (batch mode), lines seen in
    earlier batches are not mined again, and ``uniques`` carries only the pattern columns.
    """
    keyed = lines if isinstance(lines, KeyedLines) else key_lines(lines)
    distinct, key = keyed.distinct, keyed.key

    def mine(rows: pl.DataFrame, key: tuple[str, ...]) -> pl.DataFrame:
        records = map_lines(rows.select(*key, "line"), source, mapping, ingest_ts)
        if since is not None:
            records = records.filter(pl.col("ts") >= since)
        if until is not None:
            records = records.filter(pl.col("ts") < until)
        return engine.mine(records, book)

    if memo is not None:
        uniques = memo.patterns(distinct, lambda rows: mine(rows, (_H1, _H2)), book)
    else:
        uniques = mine(distinct, key)
    uniques = uniques.with_columns(pl.col("pattern_id", "pattern_template").cast(pl.Categorical))
    return Mined(keyed.lines.select("seq", *key), uniques, key)


def key_bytes(
    data: bytes,
    *,
    encoding: str = "utf-8",
    max_line_chars: int = 2048,
    multiline: tuple[str, int] | None = None,
    first_seq: int = 0,
) -> tuple[KeyedLines, LineStats]:
    """Bytes of complete lines → keyed records (blank lines dropped) and decoding stats: the
    stateless half of the path from bytes to patterns, shared by ``tick`` and ``parse``."""
    if multiline is not None:  # blank lines go before records are joined
        lines, stats = decode_lines(data, encoding, max_line_chars, first_seq)
        return key_lines(join_multiline(lines, multiline[0], multiline[1])), stats
    lines, stats = decode_lines(data, encoding, max_line_chars, first_seq, keep_blank=True)
    keyed = key_lines(lines, drop_blank=True)
    return keyed, replace(stats, blank_lines=stats.blank_lines + keyed.blank_lines)


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
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Mined, LineStats]:
    """Bytes of complete lines → :class:`Mined` and decoding stats (:func:`key_bytes`, then
    :func:`mine_lines`)."""
    keyed, stats = key_bytes(
        data, encoding=encoding, max_line_chars=engine.masker.max_line_length,
        multiline=multiline, first_seq=first_seq,
    )  # fmt: skip
    mined = mine_lines(
        keyed, source=source, mapping=mapping, engine=engine, book=book, ingest_ts=ingest_ts,
        since=since, until=until,
    )  # fmt: skip
    return mined, stats


@dataclass(frozen=True)
class _Ingest:
    """How one pass over a file source counts: keep cursors (tick) or not (train), and the
    time range of records that count."""

    keep_cursors: bool
    since: datetime | None = None
    until: datetime | None = None
    progress: ProgressCallback | None = None


ProgressCallback = Callable[[str, int, int], None]  # (source, bytes done, bytes total)


def _ingest_file_source(
    store: Store,
    config: Config,
    source: FileSource,
    engine: PatternEngine,
    plan: ReadPlan,
    how: _Ingest,
) -> SourceReport:
    """Read the planned files chunk by chunk; each chunk commits with its cursor."""
    report = SourceReport(source.name, errors=list(plan.errors), warnings=list(plan.warnings))
    book = snapshot.load_book(store, source.name, config.patterns.max_patterns_per_source)
    run_id = snapshot.start_run(store, source.name)
    mapping = source.mapping()
    multiline = (source.multiline.start, source.multiline.max_lines) if source.multiline else None
    seen: set[str] = set()
    total_bytes = sum(_size(p.path) - p.cursor.byte_offset for p in plan.plans)
    done_bytes = 0
    error: str | None = None
    try:
        if plan.retired and how.keep_cursors:
            snapshot.commit_batch(
                store, source=source.name, run_id=run_id, summary=None, book=book,
                stats=LineStats(), cursors=plan.retired,
            )  # fmt: skip
        for file_plan in plan.plans:
            report.files += 1
            try:
                for chunk in read_chunks(file_plan, source, config.tick.chunk_bytes):
                    summary = None
                    stats = LineStats()
                    if chunk.data:
                        mined, stats = mine_bytes(
                            chunk.data, source=source.name, mapping=mapping, engine=engine,
                            book=book, ingest_ts=now(), encoding=source.encoding,
                            multiline=multiline, since=how.since, until=how.until,
                        )  # fmt: skip
                        summary = snapshot.summarize(mined, config.tick.bucket, source.format)
                        seen.update(summary.patterns["pattern_id"].cast(pl.String).to_list())
                    new = list(book.pending_patterns)
                    snapshot.commit_batch(
                        store, source=source.name, run_id=run_id, summary=summary, book=book,
                        stats=stats, cursors=[chunk.cursor] if how.keep_cursors else [],
                    )  # fmt: skip
                    report.new_patterns.extend(new)
                    report.add(stats, summary)
                    done_bytes += len(chunk.data)
                    if how.progress is not None:
                        how.progress(source.name, done_bytes, total_bytes)
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


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _tick_file_source(
    store: Store, config: Config, source: FileSource, engine: PatternEngine
) -> SourceReport:
    state = snapshot.load_state(store, source.name)
    plan = plan_reads(source, snapshot.load_file_cursors(store, source.name))
    how = _Ingest(keep_cursors=True, since=state.trained_until)
    report = _ingest_file_source(store, config, source, engine, plan, how)
    if report.ok and state.learned_until is None:
        # what the first tick read is learned: up to its newest record (never in the future)
        moment = now()
        learned = min(report.last_ts, moment) if report.last_ts else moment
        snapshot.mark_learned(store, source.name, learned)
    return report


def run_tick(
    config: Config,
    source_names: Sequence[str] = (),
    *,
    engine: PatternEngine | None = None,
) -> TickReport:
    """One microbatch over all (or the named) sources, each committed chunk by chunk; then
    retention rollups, and the analysts' read copy is published."""
    selected = [config.source(n) for n in source_names] if source_names else list(config.sources)
    reports: list[SourceReport] = []
    with open_store(config.store_path(), lock_wait=config.tick.store_lock_wait) as store:
        engine = engine or _engine(store, config)
        for source in selected:
            started = time.monotonic()
            try:
                if isinstance(source, FileSource):
                    report = _tick_file_source(store, config, source, engine)
                else:  # loki, prometheus, sql, http
                    from ailert.sources.pull import tick_pull_source

                    report = tick_pull_source(store, config, source, engine)
            except AIlertError as exc:
                report = SourceReport(source.name, errors=[str(exc)])
            report.seconds = time.monotonic() - started
            reports.append(report)
        moment = now()
        roll_up(store, config.retention, moment)
        window, baseline, findings = detect_for_tick(
            store, config.detect, config.tick.bucket, moment
        )
        store_findings(store, window, baseline, findings, moment)
        alerts = process_findings(store, config, findings, moment)
    _publish(config)
    return TickReport(reports, findings, window, alerts)


def _engine(store: Store, config: Config) -> PatternEngine:
    """The config's pattern settings plus the mask rules applied with ``ailert rules apply``."""
    from ailert.triage.suggest import stored_pattern_settings

    return PatternEngine.from_settings(stored_pattern_settings(store, config.patterns))


def _publish(config: Config) -> None:
    target = config.read_copy_path()
    if target is not None:
        publish_read_copy(config.store_path(), target)


def run_train(
    config: Config,
    since: datetime,
    until: datetime,
    source_names: Sequence[str] = (),
    *,
    progress: ProgressCallback | None = None,
) -> TickReport:
    """Backfill ``[since, until)`` from the sources into the store, without alerting (the cold
    start): counts and patterns are recorded, the range is marked learned, and later ticks
    skip records older than ``until`` so nothing is counted twice.

    File sources are read whole, from the beginning (``.gz`` rotations included), before their
    first tick; training a file source that ticks already have read is refused.
    """
    if since >= until:
        raise AIlertError(f"train: --since ({since:%Y-%m-%d %H:%M}) must be before --until")
    selected = [config.source(n) for n in source_names] if source_names else list(config.sources)
    reports: list[SourceReport] = []
    with open_store(config.store_path(), lock_wait=config.tick.store_lock_wait) as store:
        engine = _engine(store, config)
        for source in selected:
            if not isinstance(source, FileSource):  # loki, prometheus, sql, http
                from ailert.sources.pull import train_pull_source

                started = time.monotonic()
                report = train_pull_source(store, config, source, engine, since, until)
                report.seconds = time.monotonic() - started
                reports.append(report)
                continue
            _check_trainable(store, source, since)
            plan = plan_reads(source.model_copy(update={"start_at": "beginning"}), [])
            plan = replace(plan, plans=[replace(p, final=True) for p in plan.plans], retired=[])
            how = _Ingest(keep_cursors=False, since=since, until=until, progress=progress)
            started = time.monotonic()
            report = _ingest_file_source(store, config, source, engine, plan, how)
            if report.ok:
                snapshot.mark_trained(store, source.name, since, until)
            report.seconds = time.monotonic() - started
            reports.append(report)
    _publish(config)
    return TickReport(reports)


def _check_trainable(store: Store, source: FileSource, since: datetime) -> None:
    if any(c.byte_offset > 0 for c in snapshot.load_file_cursors(store, source.name)):
        raise AIlertError(
            f"train: source {source.name!r} has already been read by ticks; training backfills "
            "a source's history before its first tick (its first tick learns from the files)"
        )
    state = snapshot.load_state(store, source.name)
    if state.trained_until is not None and since < state.trained_until:
        raise AIlertError(
            f"train: source {source.name!r} is trained up to {state.trained_until:%Y-%m-%d %H:%M}"
            " UTC; train a later range (--since at or after it) so nothing is counted twice"
        )
