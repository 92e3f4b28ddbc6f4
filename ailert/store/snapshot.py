"""What a tick writes: one batch's counts, patterns, samples and cursor — in one transaction.

:func:`summarize` turns a mined batch (records with ``pattern_id``) into the small frames the
store needs (counts per pattern and bucket, per-pattern totals, per-source totals, samples);
:func:`commit_batch` writes them together with the cursor advance, so a crash either keeps
all of a batch or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from ailert.fields import FIELD_FORMATS, field_names
from ailert.patterns.book import PatternBook
from ailert.sources.file import FileCursor
from ailert.sources.lines import LineStats
from ailert.store import Store
from ailert.window import now

if TYPE_CHECKING:
    from ailert.pipeline import Mined

__all__ = [
    "BatchSummary",
    "commit_batch",
    "finish_run",
    "load_book",
    "load_file_cursors",
    "load_state",
    "mark_learned",
    "mark_trained",
    "start_run",
    "summarize",
]

SAMPLE_CHARS = 1000
MAX_SAMPLES = 5
#: Each batch adds its counts to every resolution (minute, hour, day) in its transaction.
COUNT_UPSERTS = (
    "snapshot/upsert_counts",
    "snapshot/upsert_counts_hourly",
    "snapshot/upsert_counts_daily",
)


@dataclass(frozen=True)
class BatchSummary:
    """The aggregates of one mined batch."""

    counts: pl.DataFrame  # pattern_id, bucket, n
    patterns: pl.DataFrame  # pattern_id, template, level, first_seen, last_seen, n, sample
    sources: pl.DataFrame  # bucket, records, failures
    samples: pl.DataFrame  # pattern_id, ts, message
    records: int
    mapping_failures: int
    skipped: int = 0  # records outside the requested time range
    fields: pl.DataFrame | None = None  # field, n (JSON / logfmt sources)
    latest: datetime | None = None  # newest record ts of the batch


def _bucket_every(bucket: timedelta) -> str:
    return f"{int(bucket.total_seconds())}s"


def summarize(mined: Mined, bucket: timedelta, fmt: str = "plain") -> BatchSummary:
    """Aggregate a mined batch into what the store keeps. Lines left out of mining (outside
    a requested time range) have no pattern: they are counted in ``skipped``. For JSON and
    logfmt sources (``fmt``) the field names of the batch are kept too (format drift)."""
    every = _bucket_every(bucket)
    per_line = mined.per_line("ts", "pattern_id", "mapping_failed")
    total = per_line.height
    per_line = per_line.filter(pl.col("pattern_id").is_not_null())
    skipped = total - per_line.height
    per_line = per_line.with_columns(bucket=pl.col("ts").dt.truncate(every))
    counts = per_line.group_by("pattern_id", "bucket").agg(n=pl.len())
    seen = per_line.group_by("pattern_id").agg(
        first_seen=pl.col("ts").min(), last_seen=pl.col("ts").max(), n=pl.len()
    )
    sample = pl.col("message").first().str.slice(0, SAMPLE_CHARS)
    firsts = mined.uniques.group_by("pattern_id", maintain_order=True).agg(
        template=pl.col("pattern_template").first(),
        level=pl.col("level").first(),
        sample=sample,
        ts=pl.col("ts").first(),
    )
    patterns = seen.join(firsts.drop("ts"), on="pattern_id").select(
        "pattern_id", "template", "level", "first_seen", "last_seen", "n", "sample"
    )
    sources = per_line.group_by("bucket").agg(
        records=pl.len(), failures=pl.col("mapping_failed").sum().cast(pl.Int64)
    )
    samples = firsts.select("pattern_id", "ts", message="sample")
    failures = int(per_line["mapping_failed"].sum()) if per_line.height else 0
    fields = field_names(mined.uniques.select("line"), fmt) if fmt in FIELD_FORMATS else None
    latest = per_line["ts"].max() if per_line.height else None
    return BatchSummary(
        counts, patterns, sources, samples, per_line.height, failures, skipped, fields,
        latest if isinstance(latest, datetime) else None,
    )  # fmt: skip


def load_file_cursors(store: Store, source: str) -> list[FileCursor]:
    return [FileCursor(**row) for row in store.query("snapshot/file_cursors", {"source": source})]


def load_book(store: Store, source: str, max_patterns: int) -> PatternBook:
    params = {"source": source}
    templates = store.run("snapshot/template_map", params).fetchall()
    patterns = store.run("snapshot/source_patterns", params).fetchall()
    return PatternBook.from_rows(source, max_patterns, templates, patterns)


@dataclass(frozen=True)
class SourceState:
    learned_until: datetime | None = None
    trained_from: datetime | None = None
    trained_until: datetime | None = None


def load_state(store: Store, source: str) -> SourceState:
    rows = store.query("snapshot/source_state", {"source": source})
    return SourceState(**rows[0]) if rows else SourceState()


def mark_learned(store: Store, source: str, at: datetime) -> None:
    with store.transaction():
        store.run("snapshot/mark_learned", {"source": source, "at": at})


def mark_trained(store: Store, source: str, since: datetime, until: datetime) -> None:
    with store.transaction():
        store.run("snapshot/mark_trained", {"source": source, "from": since, "until": until})


def start_run(store: Store, source: str) -> int:
    with store.transaction():
        store.run("snapshot/interrupt_stale_runs")
        row = store.run("snapshot/start_run", {"source": source}).fetchall()[0]
    return int(row[0])


def finish_run(store: Store, run_id: int, error: str | None) -> None:
    with store.transaction():
        outcome = "failed" if error else "ok"
        store.run("snapshot/finish_run", {"run_id": run_id, "outcome": outcome, "error": error})


def _cursor_params(source: str, cursor: FileCursor) -> dict[str, object]:
    return {
        "source": source,
        "file_key": cursor.file_key,
        "path": cursor.path,
        "fp_len": cursor.fp_len,
        "fp_hash": cursor.fp_hash,
        "byte_offset": cursor.byte_offset,
        "done": cursor.done,
        "skipped": cursor.skipped,
    }


def commit_batch(
    store: Store,
    *,
    source: str,
    run_id: int,
    summary: BatchSummary | None,
    book: PatternBook,
    stats: LineStats,
    cursors: Sequence[FileCursor] = (),
    also: Sequence[tuple[str, dict[str, Any]]] = (),
) -> int:
    """Write a batch and move its cursors in one transaction; returns new patterns committed.

    ``also``: more ``(sql file name, params)`` statements for the same transaction — how a
    source that is not a file moves its own cursor together with the counts it covers.
    """
    new_patterns = len(book.pending_patterns)
    con = store.con
    try:
        with store.transaction():
            params = {"source": source}
            if summary is not None and summary.records:
                con.register("batch_counts", summary.counts)
                con.register("batch_patterns", summary.patterns)
                con.register("batch_sources", summary.sources)
                con.register("batch_samples", summary.samples)
                con.register("batch_templates", _templates_frame(book))
                store.run("snapshot/insert_templates", params)
                store.run("snapshot/upsert_patterns", params)
                for counts in COUNT_UPSERTS:
                    store.run(counts, params)
                store.run("snapshot/upsert_source_counts", params)
                store.run("snapshot/insert_samples", {**params, "max_samples": MAX_SAMPLES})
                if summary.fields is not None and summary.fields.height:
                    con.register("batch_fields", summary.fields)
                    store.run("snapshot/upsert_fields", {**params, "ts": summary.latest or now()})
            for pattern_id, template in book.pending_updates:  # in order: the last one wins
                update = {**params, "pattern_id": pattern_id, "template": template}
                store.run("snapshot/update_pattern_template", update)
            for cursor in cursors:
                store.run("snapshot/upsert_file_cursor", _cursor_params(source, cursor))
            for name, extra in also:
                store.run(name, extra)
            store.run(
                "snapshot/add_to_run",
                {
                    "run_id": run_id,
                    "lines": stats.lines_read,
                    "records": summary.records if summary else 0,
                    "blank": stats.blank_lines,
                    "failures": summary.mapping_failures if summary else 0,
                    "invalid": stats.invalid_utf8,
                    "long": stats.long_lines,
                    "new_patterns": new_patterns,
                },
            )
    except BaseException:
        book.rollback()
        raise
    finally:
        for name in (
            "batch_fields",
            "batch_counts",
            "batch_patterns",
            "batch_sources",
            "batch_samples",
            "batch_templates",
        ):
            con.unregister(name)
    book.commit()
    return new_patterns


def _templates_frame(book: PatternBook) -> pl.DataFrame:
    return pl.DataFrame(
        book.pending_templates,
        schema={"level": pl.String, "template": pl.String, "pattern_id": pl.String},
        orient="row",
    )
