"""Reading sources ad hoc, storing nothing: ``ailert sources check``, ``query-logs`` and
``query-metrics``.

:func:`check_source` says whether a source can be read now and shows one normalised record;
:func:`query_logs` returns the records of a time range (any source type, files included);
:func:`query_metrics` summarises the series of a ``prometheus`` source (optionally of another
PromQL expression). Every error text has its secrets removed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import polars as pl

from ailert.config import Config, FileSource, SourceModel
from ailert.errors import AIlertError, ConfigError
from ailert.mapping import map_lines
from ailert.sources.base import Window, open_reader, redact_url, to_ns
from ailert.sources.file import plan_reads, read_chunks
from ailert.sources.lines import decode_lines, join_multiline
from ailert.sources.models import PrometheusSource, PullSourceBase
from ailert.sources.pull import line_stats, source_chunks, to_records
from ailert.window import now

__all__ = [
    "Fetched",
    "SourceCheck",
    "check_source",
    "query_logs",
    "query_metrics",
    "read_records",
    "record_rows",
]

_FILE_READ_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    """Records read ad hoc, and the window they were read from."""

    records: pl.DataFrame
    window: Window


@dataclass(frozen=True)
class SourceCheck:
    """Whether a source can be read now, and one record from it."""

    source: str
    type: str
    ok: bool
    detail: str
    sample: dict[str, Any] | None
    seconds: float


def read_records(
    source: PullSourceBase,
    since: datetime,
    until: datetime,
    *,
    limit: int | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """The normalised records of a pull source in ``[since, until)`` (at most ``limit``)."""
    window = Window(to_ns(since), to_ns(until))
    frames: list[pl.DataFrame] = []
    total = 0
    reader = open_reader(source, transport=transport)
    try:
        for chunk in source_chunks(reader, window, source):
            for batch in reader.read(chunk, limit=None if limit is None else limit - total):
                lines = batch.lines
                if reader.kind == "lines":
                    lines, _ = line_stats(lines, 1 << 30)
                if lines.is_empty():
                    continue
                records = to_records(lines, reader, source.name, chunk)
                frames.append(records)
                total += records.height
                if limit is not None and total >= limit:
                    break
            if limit is not None and total >= limit:
                break
    finally:
        reader.close()
    if not frames:
        return Fetched(pl.DataFrame(), window)
    records = pl.concat(frames, how="diagonal_relaxed")
    return Fetched(records.head(limit) if limit is not None else records, window)


def _file_records(
    source: FileSource, since: datetime, until: datetime, limit: int | None
) -> pl.DataFrame:
    """A file source's records in ``[since, until)``, read from the files' beginnings."""
    plan = plan_reads(source.model_copy(update={"start_at": "beginning"}), [])
    if plan.errors and not plan.plans:
        raise AIlertError("; ".join(plan.errors))
    frames: list[pl.DataFrame] = []
    total = 0
    mapping = source.mapping()
    for file_plan in plan.plans:
        for chunk in read_chunks(file_plan, source, _FILE_READ_BYTES):
            lines, _ = decode_lines(chunk.data, source.encoding)
            if source.multiline is not None:
                lines = join_multiline(lines, source.multiline.start, source.multiline.max_lines)
            records = map_lines(lines, source.name, mapping, now()).filter(
                (pl.col("ts") >= since) & (pl.col("ts") < until)
            )
            frames.append(records.drop("seq"))
            total += records.height
            if limit is not None and total >= limit:
                break
        if limit is not None and total >= limit:
            break
    records = pl.concat(frames) if frames else pl.DataFrame()
    return records.head(limit) if limit is not None else records


def query_logs(
    config: Config,
    name: str,
    since: datetime,
    until: datetime | None = None,
    *,
    limit: int | None = 100,
    transport: httpx.BaseTransport | None = None,
) -> pl.DataFrame:
    """The records of source ``name`` in ``[since, until)`` (until: now), read now."""
    source = config.source(name)
    end = until or now()
    if since >= end:
        raise AIlertError(
            f"--since ({since:%Y-%m-%d %H:%M:%S}) must be before the end of the range"
        )
    try:
        if isinstance(source, FileSource):
            return _file_records(source, since, end, limit)
        return read_records(source, since, end, limit=limit, transport=transport).records
    except AIlertError as exc:
        raise type(exc)(redact_url(str(exc))) from None


def record_rows(records: pl.DataFrame) -> list[dict[str, Any]]:
    """Records as plain rows: ``ts, source, level, message, labels`` (a dict), ``value``."""
    if records.is_empty():
        return []
    wanted = [c for c in ("ts", "source", "level", "message", "labels", "value") if c in records]
    rows = records.select(wanted).to_dicts()
    for row in rows:
        row["labels"] = {item["key"]: item["value"] for item in row.get("labels") or []}
    return rows


def query_metrics(
    config: Config,
    name: str,
    since: datetime,
    until: datetime | None = None,
    *,
    query: str | None = None,
    step: timedelta | None = None,
    limit: int | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[dict[str, Any]]:
    """One row per series of a ``prometheus`` source over ``[since, until)``: its identity,
    labels, sample count, first/last time, last/min/max/mean value (``query``: another PromQL
    expression on the same server)."""
    source = config.source(name)
    if not isinstance(source, PrometheusSource):
        kind = getattr(source, "type", "?")
        raise ConfigError(f"source {name!r} is a {kind} source; query-metrics reads prometheus")
    update: dict[str, Any] = {}
    if query is not None:
        if source.url is None:
            raise ConfigError(f"source {name!r} scrapes /metrics; --query needs a server url")
        update.update(query=query, scrape=None)
    if step is not None:
        update["step"] = step
    source = source.model_copy(update=update)
    records = query_logs(config.model_copy(update={"sources": [source]}), name, since, until,
                         limit=None, transport=transport)  # fmt: skip
    if records.is_empty():
        return []
    value = pl.col("value").fill_nan(None)
    summary = (
        records.sort("ts")
        .group_by("message", maintain_order=True)
        .agg(
            labels=pl.col("labels").first(),
            samples=pl.len(),
            first=pl.col("ts").first(),
            last=pl.col("ts").last(),
            last_value=pl.col("value").last(),
            min=value.min(),
            max=value.max(),
            mean=value.mean(),
        )
        .rename({"message": "series"})
        .sort("series")
    )
    if limit is not None:
        summary = summary.head(limit)
    rows = summary.to_dicts()
    for row in rows:
        row["labels"] = {item["key"]: item["value"] for item in row["labels"] or []}
    return rows


def _file_check(source: FileSource) -> tuple[bool, str, dict[str, Any] | None]:
    plan = plan_reads(source.model_copy(update={"start_at": "beginning"}), [])
    if not plan.plans:
        return False, "; ".join(plan.errors) or "no file to read", None
    sample = None
    for chunk in read_chunks(plan.plans[-1], source, 65536):
        lines, _ = decode_lines(chunk.data, source.encoding)
        if lines.height:
            records = map_lines(lines.head(1), source.name, source.mapping(), now())
            sample = record_rows(records.drop("seq"))[0]
        break
    problems = "; ".join(plan.errors)
    detail = f"{len(plan.plans)} file(s) readable" + (f"; {problems}" if problems else "")
    return True, detail, sample


def check_source(
    config: Config, source: SourceModel, *, transport: httpx.BaseTransport | None = None
) -> SourceCheck:
    """Can ``source`` be read now? One record of its last ``lookback`` as the sample."""
    started = time.monotonic()
    kind = str(getattr(source, "type", "?"))
    try:
        if isinstance(source, FileSource):
            ok, detail, sample = _file_check(source)
        else:
            lag = source.lag if source.lag is not None else config.tick.lag
            end = now() - lag
            start = end - source.lookback
            fetched = read_records(source, start, end, limit=1, transport=transport)
            rows = record_rows(fetched.records)
            sample = rows[0] if rows else None
            span = _span(source.lookback)
            detail = "reachable; " + (
                f"records in the last {span}" if sample else f"no records in the last {span}"
            )
            ok = True
    except AIlertError as exc:
        ok, detail, sample = False, redact_url(str(exc)), None
    return SourceCheck(source.name, kind, ok, detail, sample, time.monotonic() - started)


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
