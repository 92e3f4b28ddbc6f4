"""The ``http`` source: JSON records from any HTTP API.

``url`` (and the values of ``params``) may hold ``{start}`` and ``{end}``: the window, rendered
by ``time_format`` (ISO 8601 by default, or epoch seconds / milliseconds / nanoseconds).
``records`` is the dotted path of the records array in the body (``""``: the body is the
array). Pages follow ``pagination``: a next link in the body (``link``), the ``Link: <…>;
rel="next"`` header (``link_header``), or a cursor value from the body sent back as the query
parameter ``param`` (``cursor``); at most ``max_pages`` (more is an error, not a silent cut).

Each record is one JSON line mapped like a JSON log file: ``fields: {ts, level, message}``
name its fields (dotted for nested ones), ``labels`` the fields kept as labels. A window's
pages are counted together, with the cursor moved to the window's end, and records whose time
falls outside the window are left out (``filter_window``), so an API that ignores the window
still never has a record counted twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote, urljoin

import httpx
import polars as pl

from ailert.config import MappingConfig
from ailert.errors import SourceError
from ailert.sources.base import (
    Batch,
    ReaderKind,
    Window,
    from_ns,
    get_json,
    http_client,
    lookup_path,
    register,
)
from ailert.sources.models import HttpSource

__all__ = ["HttpReader", "render_window"]


def render_window(ns: int, fmt: str) -> str:
    """The instant ``ns`` as ``iso`` (``2026-11-26T08:00:00.5Z``) or an epoch number."""
    if fmt == "epoch_s":
        return str(ns // 1_000_000_000)
    if fmt == "epoch_ms":
        return str(ns // 1_000_000)
    if fmt == "epoch_ns":
        return str(ns)
    moment = from_ns(ns)
    frac = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{frac}Z"


def _fill(template: str, window: Window, fmt: str, *, in_url: bool) -> str:
    start, end = render_window(window.start_ns, fmt), render_window(window.end_ns, fmt)
    if in_url:
        start, end = quote(start, safe=""), quote(end, safe="")
    return template.replace("{start}", start).replace("{end}", end)


def _line(record: Any) -> str:
    if isinstance(record, str):
        return record
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


@register("http")
class HttpReader:
    """Reads a window's pages of JSON records (see the module docstring)."""

    kind: ReaderKind = "lines"
    given_ts: Literal["fallback", "first"] = "fallback"
    chunked = True

    def __init__(self, source: HttpSource, transport: httpx.BaseTransport | None = None) -> None:
        self.source = source
        self.client, self.secrets = http_client(source, transport)
        self.filter_window = source.filter_window

    def mapping(self) -> MappingConfig:
        return self.source.mapping().model_copy(update={"format": "json"})

    def close(self) -> None:
        self.client.close()

    def read(self, window: Window, *, limit: int | None = None) -> Iterator[Batch]:
        source, paging = self.source, self.source.pagination
        url: str | None = _fill(source.url, window, source.time_format, in_url=True)
        params: dict[str, str] = {
            k: _fill(v, window, source.time_format, in_url=False) for k, v in source.params.items()
        }
        lines: list[str] = []
        pages = 0
        while url is not None:
            if pages == paging.max_pages:
                raise SourceError(
                    f"source {source.name!r}: window {window} has more than {paging.max_pages} "
                    "pages (raise pagination.max_pages, or shorten chunk)"
                )
            target = str(httpx.URL(url).copy_merge_params(params)) if params else url
            body, response = get_json(
                self.client, target, source=source, secrets=self.secrets,
                what="the records request",
            )  # fmt: skip
            pages += 1
            records = lookup_path(body, source.records)
            if records is None:
                records = []
            if not isinstance(records, list):
                raise SourceError(
                    f"source {source.name!r}: records path {source.records!r} holds a "
                    f"{type(records).__name__}, not a list of records"
                )
            lines.extend(_line(r) for r in records)
            if limit is not None and len(lines) >= limit:
                break
            url, params = self._next(url, params, body, response, bool(records))
        yield Batch(pl.DataFrame({"line": lines}, schema={"line": pl.String}), window.end_ns)

    def _next(
        self,
        url: str,
        params: dict[str, str],
        body: Any,
        response: httpx.Response,
        had_records: bool,
    ) -> tuple[str | None, dict[str, str]]:
        paging = self.source.pagination
        if paging.type == "link":
            link = lookup_path(body, paging.path or "")
            return (urljoin(str(response.url), str(link)), {}) if link else (None, {})
        if paging.type == "link_header":
            link = response.links.get("next", {}).get("url")
            return (urljoin(str(response.url), link), {}) if link else (None, {})
        if paging.type == "cursor":
            value = lookup_path(body, paging.path or "")
            if value in (None, "") or not had_records:
                return None, {}
            return url, {**params, paging.param: str(value)}
        return None, {}
