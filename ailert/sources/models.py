"""Config models of the pull sources: ``loki``, ``prometheus``, ``sql`` and ``http``.

Each inherits :class:`ailert.config.MappingConfig` (so ``format``, ``fields``, ``ts_format``,
``timezone``, ``labels`` and ``level_map`` mean what they mean for a file source) and the
window keys every pull source shares (``lag``, ``lookback``, ``chunk``, ``timeout``,
``retries``, ``backoff``). Like every config model they forbid unknown keys.

Credentials never sit in the file: a URL comes from ``${ENV}`` interpolation, and passwords
and tokens are named by ``*_env`` keys (the variable's *name*), read when the source is used.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ailert.config import (
    Duration,
    FieldNames,
    MappingConfig,
    _duration_validator,
    _Model,
    parse_duration,
)

__all__ = [
    "PULL_SOURCE_TYPES",
    "HttpAuth",
    "HttpPagination",
    "HttpSource",
    "LokiSource",
    "PrometheusSource",
    "PullSourceBase",
    "SqlSource",
]

#: The ``type`` of every pull source (the file source is ``file``).
PULL_SOURCE_TYPES: tuple[str, ...] = ("loki", "prometheus", "sql", "http")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SOURCE_NAME = r"^[A-Za-z0-9_.-]+$"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(
            "expected the name of an environment variable (such as LOKI_PASSWORD): "
            "write the variable's name here, never the secret itself (value not shown)"
        )
    return value


class PullSourceBase(MappingConfig):
    """What every pull source shares: its name, its window and how hard it tries.

    A tick reads ``[cursor, now - lag)``; the first tick starts ``lookback`` before that end.
    The window is read ``chunk`` at a time, each chunk committed with its cursor.
    """

    name: str = Field(pattern=_SOURCE_NAME)
    lag: Duration | None = None  # None: tick.lag
    lookback: Duration = timedelta(hours=1)
    chunk: Duration = timedelta(hours=1)
    timeout: Duration = timedelta(seconds=10)
    retries: int = Field(default=2, ge=0, le=10)
    backoff: Duration = timedelta(seconds=0.5)

    _durations = _duration_validator("lookback", "chunk", "timeout", "backoff")

    @field_validator("lag", mode="before")
    @classmethod
    def _lag(cls, value: object) -> object:
        return None if value is None else parse_duration(value)  # type: ignore[arg-type]

    @field_validator("lookback", "chunk", "timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("must be a positive duration")
        return value

    def mapping(self) -> MappingConfig:
        return MappingConfig(**{k: getattr(self, k) for k in MappingConfig.model_fields})


class HttpAuth(_Model):
    """Credentials and headers of an HTTP-based source (secrets by environment variable name)."""

    username: str | None = None
    password_env: str | None = None
    bearer_token_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict)
    tls_verify: bool = True

    @field_validator("password_env", "bearer_token_env")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("headers_env")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            _env_name(name)
        return value


class LokiSource(PullSourceBase, HttpAuth):
    """Log lines from Grafana Loki: ``query_range`` of a LogQL selector, paged forward."""

    type: Literal["loki"]
    url: str
    query: str
    limit: int = Field(default=5000, gt=0, le=100_000)
    stream_labels: list[str] | None = None  # stream labels kept as record labels (None: all)
    tenant: str | None = None  # X-Scope-OrgID


class PrometheusSource(PullSourceBase, HttpAuth):
    """Metric series as records: ``query_range`` of PromQL on a server, or a ``/metrics`` scrape.

    The record's message is the series identity (metric name and sorted labels, less
    ``drop_labels``), its value the sample; the identity is its own pattern, never masked.
    """

    type: Literal["prometheus"]
    url: str | None = None
    query: str | None = None
    scrape: str | None = None
    step: Duration = timedelta(minutes=1)
    drop_labels: list[str] = Field(default_factory=list)
    level: Literal["fatal", "error", "warn", "info", "debug", "trace", "unknown"] = "info"

    _step = _duration_validator("step")

    @model_validator(mode="after")
    def _one_mode(self) -> PrometheusSource:
        if (self.query is None) == (self.scrape is None):
            raise ValueError(
                "set either query (PromQL, with url: the Prometheus server) "
                "or scrape (the URL of a /metrics endpoint)"
            )
        if self.query is not None and not self.url:
            raise ValueError("query needs url: the Prometheus server, e.g. http://127.0.0.1:9090")
        if self.step.total_seconds() <= 0:
            raise ValueError("step must be a positive duration")
        mapped = (
            self.format != "plain"
            or self.pattern is not None
            or self.fields != FieldNames()
            or self.ts_format
            or self.labels
            or self.level_map
        )
        if mapped:
            raise ValueError(
                "prometheus series are not mapped from text: remove format, pattern, fields, "
                "ts_format, labels and level_map (use drop_labels and level)"
            )
        return self


SqlWindowFormat = Literal["timestamp", "text", "iso", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns"]


class SqlSource(PullSourceBase):
    """Rows of a SQL query (connectorx): ``{start}``/``{end}`` in the query are the window.

    ``fields`` name the columns holding ts, level and message; ``labels`` name columns kept as
    labels; ``format`` (default plain) maps the message column's text.
    """

    type: Literal["sql"]
    url: str
    password_env: str | None = None
    query: str
    cursor: str | None = None  # the time column, to window a query without placeholders
    window_format: SqlWindowFormat = "timestamp"
    partition_on: str | None = None
    partition_num: int | None = Field(default=None, gt=0)
    query_timeout: Duration = timedelta(minutes=5)

    _query_timeout = _duration_validator("query_timeout")

    @field_validator("cursor", "partition_on")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and not _IDENTIFIER.match(value):
            raise ValueError(f"expected a column name (letters, digits, _), got {value!r}")
        return value

    @field_validator("password_env")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _env_name(value)

    @model_validator(mode="after")
    def _windowed(self) -> SqlSource:
        has = ["{start}" in self.query, "{end}" in self.query]
        if any(has) and not all(has):
            raise ValueError("query: use both {start} and {end} (the window is [start, end))")
        if not any(has) and not self.cursor:
            raise ValueError(
                "query has no {start}/{end} placeholders: add them "
                "(… where ts >= {start} and ts < {end}) or name the time column in cursor"
            )
        if (self.partition_on is None) != (self.partition_num is None):
            raise ValueError("partition_on and partition_num go together")
        return self


class HttpPagination(_Model):
    """How the next page is found: a link in the body (``link``), the ``Link`` header
    (``link_header``), or a cursor value sent back as a query parameter (``cursor``)."""

    type: Literal["none", "link", "link_header", "cursor"] = "none"
    path: str | None = None  # link / cursor: dotted path in the body
    param: str = "cursor"  # cursor: the query parameter that carries it
    max_pages: int = Field(default=1000, gt=0)

    @model_validator(mode="after")
    def _path_needed(self) -> HttpPagination:
        if self.type in ("link", "cursor") and not self.path:
            raise ValueError(f"pagination type {self.type} needs path (where the body holds it)")
        return self


class HttpSource(PullSourceBase, HttpAuth):
    """JSON records over HTTP: a URL template with the window, the records array, pages."""

    type: Literal["http"]
    url: str
    params: dict[str, str] = Field(default_factory=dict)
    records: str = ""  # dotted path to the records array ("": the body is the array)
    time_format: Literal["iso", "epoch_s", "epoch_ms", "epoch_ns"] = "iso"
    pagination: HttpPagination = Field(default_factory=HttpPagination)
    filter_window: bool = True  # drop records whose ts falls outside the window

    @model_validator(mode="after")
    def _json_records(self) -> HttpSource:
        if self.format not in ("plain", "json"):
            raise ValueError(
                "format: http records are JSON objects (format json, the default); name their "
                "fields in fields and labels"
            )
        return self
