"""The ``loki`` source: log lines from Grafana Loki's ``GET /loki/api/v1/query_range``.

A window ``[start, end)`` is read ``direction=forward`` in pages of ``limit`` entries (Loki
returns entries with ``start <= ts < end``, the earliest first across all streams). Paging
never loses or repeats a line that shares its timestamp with a page boundary: a full page is
counted only up to (not including) its last timestamp ``T``, and the next page starts at
``T`` — so every line at ``T`` comes again, whole, in the next page. A full page whose lines
all share one timestamp is asked again with a larger limit. Stream labels become record labels
(``stream_labels`` picks which); the line text is mapped by the source's ``format``, and
Loki's nanosecond timestamp is the record's time wherever the mapping finds none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import httpx
import polars as pl

from ailert.config import MappingConfig
from ailert.errors import SourceError
from ailert.schemas import LABELS
from ailert.sources.base import (
    Batch,
    ReaderKind,
    Window,
    get_json,
    http_client,
    label_series,
    register,
)
from ailert.sources.models import LokiSource
from ailert.timeparse import UTC_NS

__all__ = ["LokiReader", "parse_streams"]

#: A full page whose lines share one timestamp is asked again with 4 times the limit, up to this.
MAX_LIMIT = 100_000
_EMPTY = pl.DataFrame(
    schema={"line": pl.String, "ts": UTC_NS, "labels": LABELS},
)


def parse_streams(body: Any, stream_labels: list[str] | None) -> pl.DataFrame:
    """A ``query_range`` response of result type ``streams`` → ``line, ts, labels``, in time
    order. Raises SourceError for any other shape (a metric query, an error status)."""
    if not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("error") if isinstance(body, dict) else None
        raise SourceError(f"Loki answered an error: {detail or str(body)[:200]}")
    data = body.get("data") or {}
    kind = data.get("resultType")
    if kind != "streams":
        raise SourceError(
            f"the query returns {kind!r}, not log lines: a loki source needs a log query "
            '(a stream selector such as {app="api"}, optionally with filters), not a metric query'
        )
    frames: list[pl.DataFrame] = []
    for stream in data.get("result") or []:
        values = stream.get("values") or []
        if not values:
            continue
        labels = stream.get("stream") or {}
        if stream_labels is not None:
            labels = {k: labels[k] for k in stream_labels if k in labels}
        frames.append(
            pl.DataFrame(
                {
                    "line": [v[1] for v in values],
                    "ts": pl.Series([v[0] for v in values], dtype=pl.String).cast(pl.Int64),
                    "labels": label_series(labels, len(values)),
                }
            )
        )
    if not frames:
        return _EMPTY.clone()
    frame = pl.concat(frames)
    return frame.with_columns(
        pl.from_epoch(pl.col("ts"), time_unit="ns").dt.replace_time_zone("UTC").cast(UTC_NS)
    ).sort("ts", maintain_order=True)


@register("loki")
class LokiReader:
    """Pages a LogQL query through a window (see the module docstring)."""

    kind: ReaderKind = "lines"
    given_ts: Literal["fallback", "first"] = "fallback"
    chunked = True
    filter_window = False

    def __init__(self, source: LokiSource, transport: httpx.BaseTransport | None = None) -> None:
        self.source = source
        self.client, self.secrets = http_client(source, transport)
        if source.tenant:
            self.client.headers["X-Scope-OrgID"] = source.tenant
        self.url = source.url.rstrip("/") + "/loki/api/v1/query_range"

    def mapping(self) -> MappingConfig:
        return self.source.mapping()

    def close(self) -> None:
        self.client.close()

    def _page(self, start_ns: int, end_ns: int, limit: int) -> pl.DataFrame:
        params = {
            "query": self.source.query,
            "start": str(start_ns),
            "end": str(end_ns),
            "limit": str(limit),
            "direction": "forward",
        }
        body, _ = get_json(
            self.client,
            self.url,
            params=params,
            source=self.source,
            secrets=self.secrets,
            what="query_range",
        )
        try:
            return parse_streams(body, self.source.stream_labels)
        except SourceError as exc:
            raise SourceError(f"source {self.source.name!r}: {exc}") from None
        except (KeyError, TypeError, ValueError, IndexError, pl.exceptions.PolarsError) as exc:
            raise SourceError(
                f"source {self.source.name!r}: Loki's answer is not a query_range response: "
                f"{type(exc).__name__}: {exc}"
            ) from None

    def read(self, window: Window, *, limit: int | None = None) -> Iterator[Batch]:
        page_limit = self.source.limit if limit is None else max(1, min(limit, self.source.limit))
        wanted = limit
        start = window.start_ns
        while start < window.end_ns:
            asked = page_limit
            while True:
                page = self._page(start, window.end_ns, asked)
                if wanted is not None and page.height >= wanted:  # ad hoc: enough lines
                    yield Batch(page.head(wanted), window.end_ns)
                    return
                if page.height < asked:  # the rest of the window
                    yield Batch(page, window.end_ns)
                    return
                last = _max_ns(page)
                if last > start:
                    break
                if asked >= MAX_LIMIT:
                    raise SourceError(
                        f"source {self.source.name!r}: more than {asked} lines share the "
                        f"timestamp {last} ns; Loki cannot page past them (raise limit on the "
                        "Loki server and in the source)"
                    )
                asked = min(asked * 4, MAX_LIMIT)
            counted = page.filter(pl.col("ts") < pl.lit(last).cast(pl.Int64).cast(UTC_NS))
            yield Batch(counted, last)
            start = last
            if wanted is not None:
                wanted -= counted.height
                if wanted <= 0:
                    return


def _max_ns(page: pl.DataFrame) -> int:
    value = page.select(pl.col("ts").max().cast(pl.Int64)).item()
    return int(value)
