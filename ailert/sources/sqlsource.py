"""The ``sql`` source: rows of a query read by connectorx into Arrow, then Polars.

The query names its window with ``{start}`` and ``{end}``; AIlert replaces them with time
literals it renders itself from the cursor (``window_format``: a dialect's timestamp literal
by default — PostgreSQL ``TIMESTAMPTZ '…+00:00'``, MySQL/MariaDB ``TIMESTAMP '…'`` in the
mapping's ``timezone``, SQLite ``'YYYY-MM-DD HH:MM:SS'`` text — or text, ISO or epoch numbers),
never text from a config value or a log line. A query without placeholders is wrapped with
``cursor >= {start} AND cursor < {end}``. Window ends are whole seconds, so coarse columns and
text timestamps compare exactly.

connectorx retries a refused login for ~30 s by itself, so the connection is checked first —
a TCP connect with the source's ``timeout``, then ``SELECT 1`` in a worker thread given the
same deadline — and the query runs in a worker thread bounded by ``query_timeout``. A thread
that overruns its deadline is abandoned (it ends with its connection attempt); the tick goes
on and the cursor stays.

Rows map by column: ``fields`` name the ts, level and message columns (default: the usual
names), ``labels`` name columns kept as labels, and ``format`` maps the message column's
text (``plain`` by default; ``syslog``, ``json``, ``logfmt`` or ``regex`` for a line stored in
a column — its inner fields take their default names). The ts column is the record's time.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import polars as pl

from ailert.config import FieldNames, MappingConfig
from ailert.errors import SourceError
from ailert.mapping import DEFAULT_FIELDS, _label_lists
from ailert.sources.base import (
    Batch,
    ReaderKind,
    Secrets,
    Transient,
    Window,
    env_secret,
    from_ns,
    register,
    with_retries,
)
from ailert.sources.models import SqlSource
from ailert.timeparse import UTC_NS, localize, parse_epoch, parse_timestamp

__all__ = ["SqlReader", "dialect_of", "render_query", "render_time", "structured_lines"]

T = TypeVar("T")
Dialect = Literal["postgres", "mysql", "sqlite", "mssql", "oracle", "ansi"]

_DIALECTS: dict[str, Dialect] = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "redshift": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "mssql": "mssql",
    "oracle": "oracle",
}
_PORTS = {"postgres": 5432, "postgresql": 5432, "redshift": 5439, "mysql": 3306, "mariadb": 3306,
          "mssql": 1433, "oracle": 1521}  # fmt: skip
_EPOCH_UNITS = {"epoch_s": 1_000_000_000, "epoch_ms": 1_000_000, "epoch_us": 1_000, "epoch_ns": 1}


def dialect_of(url: str) -> Dialect:
    """The SQL dialect of a connectorx URL, from its scheme."""
    return _DIALECTS.get(url.split("://", 1)[0].lower(), "ansi")


def resolve_url(source: SqlSource) -> tuple[str, Secrets]:
    """The connection URL with ``password_env``'s password in it, and the secrets to scrub."""
    secrets = Secrets()
    url = source.url
    try:
        parts = urlsplit(url)
        if parts.password:
            secrets.add(parts.password)
            secrets.add(unquote(parts.password))
        password = env_secret(source.password_env, "password_env", source.name)
        if password is None:
            return url, secrets
        secrets.add(password)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host += f":{parts.port}"
    except ValueError as exc:
        raise SourceError(f"source {source.name!r}: url is not a valid URL: {exc}") from None
    user = quote(unquote(parts.username or ""), safe="")
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc)), secrets


def render_time(ns: int, fmt: str, dialect: Dialect, timezone: str = "UTC") -> str:
    """A SQL literal for the instant ``ns`` — rendered from the number alone."""
    if fmt in _EPOCH_UNITS:
        return str(ns // _EPOCH_UNITS[fmt])
    moment = from_ns(ns)
    frac = f".{moment.microsecond:06d}" if moment.microsecond else ""
    if fmt == "iso":
        return f"'{moment:%Y-%m-%dT%H:%M:%S}{frac}Z'"
    if dialect == "postgres" and fmt == "timestamp":
        return f"TIMESTAMPTZ '{moment:%Y-%m-%d %H:%M:%S}{frac}+00:00'"
    local = moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    text = f"{local:%Y-%m-%d %H:%M:%S}{frac}"
    if fmt == "text" or dialect == "sqlite":
        return f"'{text}'"
    if dialect == "mssql":
        return f"CAST('{text}' AS DATETIME2)"
    return f"TIMESTAMP '{text}'"


def render_query(source: SqlSource, window: Window, dialect: Dialect, limit: int | None) -> str:
    """The source's query for ``window`` (placeholders filled, or wrapped by ``cursor``)."""
    query = source.query.strip().rstrip(";").strip()
    start = render_time(window.start_ns, source.window_format, dialect, source.timezone)
    end = render_time(window.end_ns, source.window_format, dialect, source.timezone)
    if "{start}" in query:
        query = query.replace("{start}", start).replace("{end}", end)
    else:
        cursor = source.cursor
        query = (
            f"SELECT * FROM ({query}) AS ailert_window "
            f"WHERE {cursor} >= {start} AND {cursor} < {end}"
        )
    if limit is not None and dialect in ("postgres", "mysql", "sqlite"):
        query = f"SELECT * FROM ({query}) AS ailert_limit LIMIT {int(limit)}"
    return query


# --- rows -> lines ---------------------------------------------------------------------------


def _pick(columns: list[str], named: str | None, part: str, source: str) -> str | None:
    if named:
        if named not in columns:
            raise SourceError(
                f"source {source!r}: fields.{part} names column {named!r}, which the query "
                f"does not return (columns: {', '.join(columns)})"
            )
        return named
    return next((c for c in DEFAULT_FIELDS[part] if c in columns), None)


def _utc_ns(series: pl.Series, source: SqlSource) -> pl.Series:
    dtype = series.dtype
    frame = series.alias("t").to_frame()
    col = pl.col("t")
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            expr = col.dt.convert_time_zone("UTC").cast(UTC_NS)
        else:
            expr = localize(col, source.timezone)
    elif dtype == pl.Date:
        expr = localize(col.cast(pl.Datetime("ns")), source.timezone)
    elif dtype.is_numeric():
        expr = parse_epoch(col.cast(pl.String))
    elif dtype == pl.String:
        expr = parse_timestamp(col, source.ts_format, source.timezone)
    else:
        raise SourceError(
            f"source {source.name!r}: the ts column {series.name!r} is {dtype}, not a time "
            "(return a timestamp, an epoch number or a text timestamp)"
        )
    return frame.select(expr.cast(UTC_NS).alias("ts")).to_series()


def structured_lines(frame: pl.DataFrame, source: SqlSource) -> pl.DataFrame:
    """Query rows → lines: ``line`` (the message column), ``ts``, ``level``, ``labels``."""
    columns = frame.columns
    ts = _pick(columns, source.fields.ts, "ts", source.name)
    level = _pick(columns, source.fields.level, "level", source.name)
    message = _pick(columns, source.fields.message, "message", source.name)
    if message is None:
        rest = [c for c in columns if c not in (ts, level, *source.labels)]
        if len(rest) != 1:
            raise SourceError(
                f"source {source.name!r}: which column is the message? Name it in "
                f"fields.message (columns: {', '.join(columns)})"
            )
        message = rest[0]
    missing = [name for name in source.labels if name not in columns]
    if missing:
        raise SourceError(
            f"source {source.name!r}: labels name columns the query does not return: "
            f"{', '.join(missing)} (columns: {', '.join(columns)})"
        )
    out = [frame[message].cast(pl.String).alias("line")]
    if ts is not None:
        out.append(_utc_ns(frame[ts], source))
    if level is not None:
        out.append(frame[level].cast(pl.String).alias("level"))
    if source.labels:
        values = [frame[name].cast(pl.String) for name in source.labels]
        out.append(_label_lists(values, source.labels, frame.height))
    return pl.DataFrame(out)


# --- running connectorx ----------------------------------------------------------------------


def _connectorx() -> Any:
    # connectorx logs every failed login attempt of its pool on stderr; AIlert reports the
    # failure itself (RUST_LOG=error shows them again)
    os.environ.setdefault("RUST_LOG", "off")
    import connectorx

    return connectorx


def _with_deadline(call: Callable[[], T], seconds: float, on_timeout: str) -> T:
    """``call()`` in a daemon worker thread; SourceError(on_timeout) after ``seconds``."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # reported to the caller, never raised in the thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="ailert-sql", daemon=True).start()
    if not done.wait(seconds):
        raise SourceError(on_timeout)
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


@register("sql")
class SqlReader:
    """Reads a window's rows (see the module docstring)."""

    kind: ReaderKind = "lines"
    given_ts: Literal["fallback", "first"] = "first"
    chunked = True
    filter_window = False

    def __init__(self, source: SqlSource, transport: httpx.BaseTransport | None = None) -> None:
        self.source = source
        self.url, self.secrets = resolve_url(source)
        self.dialect = dialect_of(self.url)
        self._connected = False

    def mapping(self) -> MappingConfig:
        s = self.source
        return MappingConfig(
            format=s.format, pattern=s.pattern, fields=FieldNames(), ts_format=s.ts_format,
            timezone=s.timezone, labels=[], level_map=s.level_map,
        )  # fmt: skip

    def close(self) -> None:
        return None

    def _fail(self, what: str, exc: BaseException) -> SourceError:
        text = self.secrets.scrub(str(exc).strip() or type(exc).__name__)
        return SourceError(f"source {self.source.name!r}: {what}: {text}")

    def _probe(self) -> None:
        parts = urlsplit(self.url)
        where = self.secrets.scrub(self.url)
        if self.dialect == "sqlite":
            path = Path(unquote(self.url.split("://", 1)[1]))
            if not path.is_file():
                raise SourceError(
                    f"source {self.source.name!r}: SQLite file {path} not found "
                    "(url: sqlite:///absolute/path.db)"
                )
            return
        try:
            host, port = parts.hostname, parts.port or _PORTS.get(parts.scheme.lower())
        except ValueError:
            raise SourceError(f"source {self.source.name!r}: bad port in url {where}") from None
        if not host or not port:
            return
        try:
            socket.create_connection((host, port), self.source.timeout.total_seconds()).close()
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise Transient(
                f"source {self.source.name!r}: cannot connect to the database at {host}:{port}: "
                f"{reason} (is it running, and the url right?)"
            ) from None

    def check_connection(self) -> None:
        """TCP connect, then ``SELECT 1`` — each within the source's ``timeout``."""
        if self._connected:
            return
        with_retries(self._probe, retries=self.source.retries, backoff=self.source.backoff)
        cx = _connectorx()
        seconds = self.source.timeout.total_seconds()
        probe = "SELECT 1 FROM dual" if self.dialect == "oracle" else "SELECT 1"
        try:
            _with_deadline(
                lambda: cx.read_sql(self.url, probe, return_type="arrow"),
                seconds,
                f"source {self.source.name!r}: the database at {self.secrets.scrub(self.url)} "
                f"did not accept a connection within {seconds:g}s (check the user, password and "
                "database name in url / password_env, or raise timeout)",
            )
        except SourceError:
            raise
        except Exception as exc:
            raise self._fail("cannot connect", exc) from None
        self._connected = True

    def read(self, window: Window, *, limit: int | None = None) -> Iterator[Batch]:
        self.check_connection()
        cx = _connectorx()
        sql = render_query(self.source, window, self.dialect, limit)
        options: dict[str, Any] = {"return_type": "arrow"}
        if self.source.partition_on is not None:
            options.update(
                partition_on=self.source.partition_on, partition_num=self.source.partition_num
            )
        seconds = self.source.query_timeout.total_seconds()
        try:
            table = _with_deadline(
                lambda: cx.read_sql(self.url, sql, **options),
                seconds,
                f"source {self.source.name!r}: the query did not finish within {seconds:g}s "
                f"for window {window} (raise query_timeout, or shorten chunk)",
            )
        except SourceError:
            raise
        except Exception as exc:
            raise self._fail(f"the query failed for window {window}", exc) from None
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        yield Batch(structured_lines(frame, self.source), window.end_ns)
