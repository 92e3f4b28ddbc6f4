"""The ``prometheus`` source: metric series as records, in two modes.

* ``query`` — ``GET /api/v1/query_range`` of a PromQL expression on a Prometheus server. The
  window is evaluated on the ``step`` grid (points ``start <= t < end``, the grid anchored at
  the epoch, so consecutive windows never share a point), at most 10,000 points per request.
* ``scrape`` — one ``GET`` of a ``/metrics`` endpoint in the text exposition format (parsed by
  ``prometheus_client``'s parser), its samples placed at the scrape time.

Every sample is a record: ``message`` is the series identity — metric name and labels,
sorted, in the exposition syntax — less the labels in ``drop_labels`` (so replicas fold into
one series), ``value`` the sample, ``labels`` all the series' labels. The identity is its own
pattern as it is (never masked): a new series is a new pattern, one that stops is gone, and
value shifts show in the ``metric_values`` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

import httpx
import polars as pl

from ailert.errors import SourceError
from ailert.schemas import LABELS
from ailert.sources.base import (
    NS_PER_S,
    Batch,
    ReaderKind,
    Window,
    get_json,
    http_client,
    http_get,
    labels_from_dicts,
    register,
    to_ns,
)
from ailert.sources.models import PrometheusSource
from ailert.timeparse import UTC_NS
from ailert.window import now

__all__ = ["MAX_POINTS", "PrometheusReader", "parse_exposition", "series_identity"]

#: Points per series per query_range request (Prometheus refuses more than 11,000).
MAX_POINTS = 10_000
SERIES_SCHEMA = pl.Schema(
    {
        "message": pl.String(),
        "ts": UTC_NS,
        "level": pl.String(),
        "labels": LABELS,
        "value": pl.Float64(),
    }
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_identity(metric: dict[str, str], drop: Iterable[str] = ()) -> str:
    """``name{a="x",b="y"}``: the metric name and its labels sorted by name, less ``drop``."""
    dropped = set(drop)
    name = metric.get("__name__", "")
    pairs = sorted((k, v) for k, v in metric.items() if k != "__name__" and k not in dropped)
    if not pairs:
        return name or "{}"
    body = ",".join(f'{k}="{_escape(str(v))}"' for k, v in pairs)
    return f"{name}{{{body}}}"


def _series_frame(
    series: list[tuple[dict[str, str], list[int], list[float]]], source: PrometheusSource
) -> pl.DataFrame:
    """One record per sample: the series table (identity, labels) joined to the points."""
    kept = [(metric, times, values) for metric, times, values in series if times]
    if not kept:
        return pl.DataFrame(schema=SERIES_SCHEMA)
    identities = pl.DataFrame(
        {
            "message": [series_identity(metric, source.drop_labels) for metric, _, _ in kept],
            "labels": labels_from_dicts(
                [{k: v for k, v in metric.items() if k != "__name__"} for metric, _, _ in kept]
            ),
        }
    ).with_row_index("k")
    points = pl.DataFrame(
        {
            "k": pl.Series(
                [k for k, (_, times, _) in enumerate(kept) for _ in times], dtype=pl.UInt32
            ),
            "ts": pl.Series([t for _, times, _ in kept for t in times], dtype=pl.Int64),
            "value": pl.Series([v for _, _, values in kept for v in values], dtype=pl.Float64),
        }
    )
    frame = points.join(identities, on="k", how="left", maintain_order="left")
    return frame.select(
        "message",
        pl.from_epoch(pl.col("ts"), time_unit="ns").dt.replace_time_zone("UTC").cast(UTC_NS),
        pl.lit(source.level, dtype=pl.String).alias("level"),
        "labels",
        "value",
    )


def parse_matrix(body: Any) -> list[tuple[dict[str, str], list[int], list[float]]]:
    """A ``query_range`` response → ``(labels, times ns, values)`` per series."""
    if not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("error") if isinstance(body, dict) else None
        raise SourceError(f"Prometheus answered an error: {detail or str(body)[:200]}")
    data = body.get("data") or {}
    if data.get("resultType") != "matrix":
        raise SourceError(f"expected a matrix result, got {data.get('resultType')!r}")
    out: list[tuple[dict[str, str], list[int], list[float]]] = []
    for item in data.get("result") or []:
        values = item.get("values") or []
        times = [round(float(t) * 1000) * 1_000_000 for t, _ in values]
        out.append((dict(item.get("metric") or {}), times, [float(v) for _, v in values]))
    return out


def parse_exposition(text: str, content_type: str = "") -> list[tuple[dict[str, str], float]]:
    """The samples of a ``/metrics`` page: ``(labels with __name__, value)`` each.

    Parsed by ``prometheus_client`` (the OpenMetrics parser when the page says it is
    OpenMetrics). Raises SourceError when the text is not in either format.
    """
    try:
        if "openmetrics" in content_type:
            from prometheus_client.openmetrics.parser import (
                text_string_to_metric_families as parse_openmetrics,
            )

            families = list(parse_openmetrics(text))  # type: ignore[no-untyped-call]
        else:
            from prometheus_client.parser import text_string_to_metric_families

            families = list(text_string_to_metric_families(text))  # type: ignore[no-untyped-call]
    except ImportError:  # pragma: no cover - a dependency of ailert
        raise SourceError("scrape needs the prometheus-client package (pip install it)") from None
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise SourceError(f"not in the Prometheus text exposition format: {exc}") from None
    return [
        ({"__name__": sample.name, **sample.labels}, float(sample.value))
        for family in families
        for sample in family.samples
    ]


@register("prometheus")
class PrometheusReader:
    """Reads series from a Prometheus server (``query``) or a ``/metrics`` page (``scrape``)."""

    kind: ReaderKind = "series"
    given_ts: Literal["fallback", "first"] = "first"
    filter_window = True

    def __init__(
        self, source: PrometheusSource, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.source = source
        self.client, self.secrets = http_client(source, transport)
        self.chunked = source.query is not None

    def mapping(self) -> None:
        return None

    def close(self) -> None:
        self.client.close()

    def read(self, window: Window, *, limit: int | None = None) -> Iterator[Batch]:
        if self.source.scrape is not None:
            yield Batch(self._scrape(window), window.end_ns)
            return
        step = max(1, round(self.source.step.total_seconds() * NS_PER_S))
        first = -(-window.start_ns // step) * step
        last = (window.end_ns - 1) // step * step
        if first > last:
            yield Batch(pl.DataFrame(schema=SERIES_SCHEMA), window.end_ns)
            return
        start = first
        while start <= last:
            end = min(start + step * (MAX_POINTS - 1), last)
            frame = self._query_range(start, end, step)
            until = window.end_ns if end == last else end + step
            yield Batch(frame, until)
            if limit is not None and frame.height >= limit:
                return
            start = end + step

    def _query_range(self, start: int, end: int, step: int) -> pl.DataFrame:
        assert self.source.url is not None
        assert self.source.query is not None
        url = self.source.url.rstrip("/") + "/api/v1/query_range"
        params = {
            "query": self.source.query,
            "start": _seconds(start),
            "end": _seconds(end),
            "step": _seconds(step),
        }
        body, _ = get_json(
            self.client, url, params=params, source=self.source, secrets=self.secrets,
            what="query_range",
        )  # fmt: skip
        try:
            series = parse_matrix(body)
        except SourceError as exc:
            raise SourceError(f"source {self.source.name!r}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(
                f"source {self.source.name!r}: Prometheus' answer is not a query_range "
                f"response: {type(exc).__name__}: {exc}"
            ) from None
        return _series_frame(series, self.source)

    def _scrape(self, window: Window) -> pl.DataFrame:
        assert self.source.scrape is not None
        response = http_get(
            self.client,
            self.source.scrape,
            headers={"Accept": "text/plain;version=0.0.4;q=1, */*;q=0.1"},
            source=self.source,
            secrets=self.secrets,
            what="scrape",
        )
        try:
            samples = parse_exposition(response.text, response.headers.get("content-type", ""))
        except SourceError as exc:
            where = self.secrets.scrub(self.source.scrape)
            raise SourceError(f"source {self.source.name!r}: {where}: {exc}") from None
        at = min(to_ns(now()), window.end_ns - 1)
        series = [(labels, [at], [value]) for labels, value in samples]
        return _series_frame(series, self.source)


def _seconds(ns: int) -> str:
    """Nanoseconds as decimal seconds (exact, no float rounding)."""
    whole, frac = divmod(ns, NS_PER_S)
    return f"{whole}.{frac:09d}".rstrip("0").rstrip(".")
