"""The pull-source interface: windows, batches, the reader Protocol, the registry, retries and
secrets — everything the ``loki``, ``prometheus``, ``sql`` and ``http`` readers share.

A reader turns a half-open window ``[start, end)`` (nanoseconds since the epoch, UTC) into
:class:`Batch` es of *lines* — a frame with a String ``line`` and what the source already knows
(``ts``, ``level``, ``labels``; see :func:`ailert.mapping.map_lines`) — or, for metric series,
of ready records (``message`` = the series identity, ``value``). Each batch says up to where
the window is covered once it is counted (``until_ns``): the tick commits counts and that
cursor in one transaction, so a crash never counts a line twice or skips one.

One signature for every source type (``open_reader(source)``), one registry (``REGISTRY``,
filled by each module's :func:`register`), one retry policy (:func:`with_retries`: transient
failures — connection errors, timeouts, HTTP 429/5xx — retried with doubling backoff), and
one rule for secrets: error texts go through :class:`Secrets` (``user:pass@`` in URLs and
every known secret value become ``***``).
"""

from __future__ import annotations

import importlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

import httpx
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]

from ailert.config import MappingConfig
from ailert.errors import SourceError
from ailert.schemas import LABELS
from ailert.sources.models import HttpAuth, PullSourceBase

__all__ = [
    "NS_PER_S",
    "REGISTRY",
    "Batch",
    "PullReader",
    "ReaderKind",
    "Secrets",
    "Transient",
    "Window",
    "env_secret",
    "from_ns",
    "get_json",
    "http_client",
    "http_get",
    "label_series",
    "labels_from_dicts",
    "lookup_path",
    "open_reader",
    "plan_window",
    "redact_url",
    "register",
    "to_ns",
    "with_retries",
]

NS_PER_S = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_BACKOFF_S = 30.0
T = TypeVar("T")


# --- time ------------------------------------------------------------------------------------


def to_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch (a naive datetime is UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> datetime:
    """The UTC datetime of ``ns`` (to the microsecond: Python has no finer)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _iso(ns: int) -> str:
    return from_ns(ns).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start_ns, end_ns)``."""

    start_ns: int
    end_ns: int

    @property
    def start(self) -> datetime:
        return from_ns(self.start_ns)

    @property
    def end(self) -> datetime:
        return from_ns(self.end_ns)

    def chunks(self, size: timedelta) -> Iterator[Window]:
        """Consecutive sub-windows of at most ``size``, covering this window exactly."""
        step = max(1, size // timedelta(microseconds=1) * 1000)
        start = self.start_ns
        while start < self.end_ns:
            end = min(start + step, self.end_ns)
            yield Window(start, end)
            start = end

    def __str__(self) -> str:
        return f"[{_iso(self.start_ns)}, {_iso(self.end_ns)})"


def plan_window(
    cursor_ns: int | None,
    *,
    now_ns: int,
    lag: timedelta,
    lookback: timedelta,
    trained_until: datetime | None = None,
    align_s: int = 0,
) -> Window | None:
    """The window a tick reads: ``[cursor, now - lag)``; without a cursor it starts at the end
    of the trained range, else ``lookback`` before the end. ``align_s`` rounds the end down to
    whole seconds (for sources whose time literals are coarse). None when there is nothing."""
    end = now_ns - lag // timedelta(microseconds=1) * 1000
    if align_s:
        end -= end % (align_s * NS_PER_S)
    if cursor_ns is None:
        start = end - lookback // timedelta(microseconds=1) * 1000
        if trained_until is not None:
            start = to_ns(trained_until)
    else:
        start = cursor_ns
    if trained_until is not None:
        start = max(start, to_ns(trained_until))
    return Window(start, end) if start < end else None


# --- batches and readers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Rows read from a source, and the cursor they bring the window to once counted.

    ``lines``: a String ``line`` plus the given columns ``ts`` (Datetime ns UTC), ``level``,
    ``labels`` (lists of ``{key, value}``) — or, for metric series, ``message``, ``ts``,
    ``level``, ``labels`` and ``value``. ``until_ns``: everything of the window before it has
    been read by now (a batch that does not move it must be committed with later ones).
    """

    lines: pl.DataFrame
    until_ns: int


ReaderKind = Literal["lines", "series"]


class PullReader(Protocol):
    """What every pull source provides. ``kind``: ``lines`` (mapped by ``mapping``, with
    ``given_ts`` saying whether the source's time comes before the line's) or ``series``
    (ready records, never masked). ``chunked``: the tick may split a long window."""

    kind: ReaderKind
    given_ts: Literal["fallback", "first"]
    chunked: bool
    filter_window: bool

    def mapping(self) -> MappingConfig | None: ...

    def read(self, window: Window, *, limit: int | None = None) -> Iterator[Batch]: ...

    def close(self) -> None: ...


ReaderFactory = Callable[[Any, "httpx.BaseTransport | None"], PullReader]

#: source ``type`` → the factory making its reader (filled by :func:`register`).
REGISTRY: dict[str, ReaderFactory] = {}
#: The module holding each type's reader, imported when a reader is first asked for.
_MODULES: dict[str, str] = {
    "loki": "ailert.sources.loki",
    "prometheus": "ailert.sources.prometheus",
    "sql": "ailert.sources.sqlsource",
    "http": "ailert.sources.http",
}


def register(type_name: str) -> Callable[[ReaderFactory], ReaderFactory]:
    """Class or function decorator: ``type_name``'s reader is made by the decorated factory."""

    def add(factory: ReaderFactory) -> ReaderFactory:
        REGISTRY[type_name] = factory
        return factory

    return add


def open_reader(
    source: PullSourceBase, *, transport: httpx.BaseTransport | None = None
) -> PullReader:
    """The reader of a configured pull source (``transport``: for tests, an httpx transport)."""
    kind = str(getattr(source, "type", ""))
    if kind not in REGISTRY:
        module = _MODULES.get(kind)
        if module is None:
            raise SourceError(f"source {source.name!r}: no reader for type {kind!r}")
        importlib.import_module(module)
    return REGISTRY[kind](source, transport)


# --- secrets ---------------------------------------------------------------------------------

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*):[^\s/]*@")


def redact_url(text: str) -> str:
    """``scheme://user:password@host`` → ``scheme://user:***@host`` everywhere in ``text``."""
    return _USERINFO.sub(r"\g<scheme>\g<user>:***@", text)


@dataclass
class Secrets:
    """The secret values a source uses; :meth:`scrub` removes them (and URL passwords)."""

    values: list[str] = field(default_factory=list)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 3:
            from urllib.parse import quote

            self.values.extend({value, quote(value, safe="")})

    def scrub(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, "***")
        return redact_url(text)


def env_secret(name: str | None, key: str, source: str) -> str | None:
    """The value of the environment variable a ``*_env`` key names (None when no key)."""
    if name is None:
        return None
    value = os.environ.get(name)
    if value is None:
        raise SourceError(
            f"source {source!r}: {key} names ${name}, which is not set in the environment "
            f"(export {name}=… before running ailert)"
        )
    return value


# --- retries ---------------------------------------------------------------------------------


class Transient(SourceError):
    """A failure worth retrying (connection refused or reset, timeout, HTTP 429 or 5xx)."""


def with_retries(
    call: Callable[[], T],
    *,
    retries: int,
    backoff: timedelta,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried up to ``retries`` times on :class:`Transient` with doubling waits
    (``backoff``, twice that, four times…, at most 30 s); the last failure is raised."""
    delay = backoff.total_seconds()
    for attempt in range(retries + 1):
        try:
            return call()
        except Transient:
            if attempt == retries:
                raise
            sleep(delay)
            delay = min(delay * 2, _MAX_BACKOFF_S)
    raise AssertionError("unreachable")  # pragma: no cover


# --- HTTP ------------------------------------------------------------------------------------


_SENSITIVE_HEADER = re.compile(r"auth|cookie|token|key|secret|pass", re.IGNORECASE)


def http_client(
    source: PullSourceBase, transport: httpx.BaseTransport | None = None
) -> tuple[httpx.Client, Secrets]:
    """An httpx client with the source's timeout, auth and headers, and its secrets."""
    assert isinstance(source, HttpAuth)
    secrets = Secrets()
    headers = dict(source.headers)
    for header, env in source.headers_env.items():
        value = env_secret(env, f"headers_env.{header}", source.name)
        secrets.add(value)
        headers[header] = value or ""
    for header, value in headers.items():
        if _SENSITIVE_HEADER.search(header):
            secrets.add(value)
            secrets.add(value.split(" ", 1)[-1])
    auth: httpx.Auth | None = None
    password = env_secret(source.password_env, "password_env", source.name)
    token = env_secret(source.bearer_token_env, "bearer_token_env", source.name)
    secrets.add(password)
    secrets.add(token)
    if source.username is not None or password is not None:
        auth = httpx.BasicAuth(source.username or "", password or "")
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    timeout = source.timeout.total_seconds()
    client = httpx.Client(
        auth=auth,
        headers=headers,
        timeout=httpx.Timeout(timeout),
        transport=transport,
        verify=source.tls_verify,
        follow_redirects=True,
    )
    return client, secrets


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def http_get(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    source: PullSourceBase,
    secrets: Secrets,
    what: str,
) -> httpx.Response:
    """GET ``url`` with the source's retries; SourceError (secrets scrubbed) saying what
    failed, where, and how to fix it. Returns the (2xx) response."""
    where = secrets.scrub(url)
    name = source.name

    def once() -> httpx.Response:
        try:
            response = client.get(url, params=params, headers=headers)
        except httpx.TimeoutException:
            raise Transient(
                f"source {name!r}: {what} at {where} did not answer within "
                f"{source.timeout.total_seconds():g}s (raise timeout, or check the server)"
            ) from None
        except httpx.HTTPError as exc:
            detail = secrets.scrub(str(exc)) or type(exc).__name__
            raise Transient(
                f"source {name!r}: cannot reach {where} for {what}: {detail} "
                "(is the server up, and the url right?)"
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise Transient(
                f"source {name!r}: {what} at {where} failed: HTTP {status}: "
                f"{secrets.scrub(_excerpt(response.text))}"
            )
        if status in (401, 403):
            raise SourceError(
                f"source {name!r}: {what} at {where} was refused: HTTP {status} "
                "(check username, password_env, bearer_token_env or headers_env)"
            )
        if status >= 400:
            raise SourceError(
                f"source {name!r}: {what} at {where} failed: HTTP {status}: "
                f"{secrets.scrub(_excerpt(response.text))}"
            )
        return response

    return with_retries(once, retries=source.retries, backoff=source.backoff)


def get_json(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    source: PullSourceBase,
    secrets: Secrets,
    what: str,
) -> tuple[Any, httpx.Response]:
    """:func:`http_get` and decode the JSON body (SourceError when it is not JSON)."""
    response = http_get(client, url, params=params, source=source, secrets=secrets, what=what)
    try:
        return response.json(), response
    except ValueError:
        raise SourceError(
            f"source {source.name!r}: {what} at {secrets.scrub(url)} did not return JSON: "
            f"{secrets.scrub(_excerpt(response.text))}"
        ) from None


def lookup_path(document: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``data.items``; ``""`` is the document itself); a
    literal key holding dots is found too. None when absent."""
    if not path:
        return document
    if isinstance(document, dict) and path in document:
        return document[path]
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# --- frames ----------------------------------------------------------------------------------


def labels_from_dicts(rows: list[dict[str, str]]) -> pl.Series:
    """One ``labels`` list per dict, built from flat Arrow arrays (Polars' constructor from
    nested Python lists took ~100 µs a row here)."""
    keys = [str(k) for row in rows for k in row]
    values = [str(v) for row in rows for v in row.values()]
    offsets = [0]
    for row in rows:
        offsets.append(offsets[-1] + len(row))
    items = pa.StructArray.from_arrays(
        [pa.array(keys, pa.large_string()), pa.array(values, pa.large_string())],
        names=["key", "value"],
    )
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), items)
    return pl.Series("labels", lists).cast(LABELS)


def label_series(labels: dict[str, str], height: int) -> pl.Series:
    """``labels`` as a ``labels`` column of ``height`` equal rows."""
    items = [{"key": str(k), "value": str(v)} for k, v in labels.items()]
    one = pl.Series("labels", [items], dtype=LABELS)
    return one.new_from_index(0, height) if height else one.clear()
