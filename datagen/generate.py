"""Seeded event generation and rendering of events to physical log lines.

Owns :class:`Event`, :func:`generate` (and its time-bounded / lazy variants), the three line
forms (``plain``, ``json``, ``syslog``), the ground truth per event and per physical line, and
writing lines to disk. Everything is a pure function of its arguments: the same seed and
arguments give byte-identical output (one ``random.Random(seed)``, never the clock).

Line forms
----------
- ``plain``: ``2026-11-26T13:00:00.123Z ERROR [worker] message``; the continuation lines of a
  multi-line event (stack trace) follow as-is, so one event can be several physical lines.
- ``json``: one ``json.dumps`` object per event, keys ``ts``, ``level`` (lower case),
  ``service``, ``msg``; a stack trace stays on one line with ``\\n`` escaped.
- ``syslog``: RFC 3164 ``<PRI>Mmm dd hh:mm:ss host service[pid]: message`` (UTC, English month,
  space-padded day), PRI = facility 1 (user) * 8 + severity. Control characters inside the
  message are escaped the way rsyslog does (``\\n`` -> ``#012``, ``\\t`` -> ``#011``), so one event
  is one physical line. The pid is a stable function of the service name.

Noise
-----
With ``noise > 0`` that fraction of events (in expectation) replaces its message by junk:
either random printable garbage or a truncated rendering of the chosen template. Junk events
keep the chosen template's service and level and get the template id :data:`NOISE_ID`.
"""

from __future__ import annotations

import gc
import json
import random
import string
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate, islice, takewhile
from pathlib import Path
from typing import Literal, get_args

from datagen.catalogue import CATALOGUE, LEVELS, Template, render_message

__all__ = [
    "DEFAULT_HOSTNAME",
    "FORMS",
    "NOISE_ID",
    "SYSLOG_SEVERITY",
    "Event",
    "Form",
    "format_ts",
    "generate",
    "generate_between",
    "iter_events",
    "physical_truth",
    "render",
    "truth",
    "write_lines",
]

NOISE_ID = "noise"
DEFAULT_HOSTNAME = "app-01"
Form = Literal["plain", "json", "syslog"]
FORMS: tuple[Form, ...] = get_args(Form)

#: RFC 5424 severities of our levels.
SYSLOG_SEVERITY: Mapping[str, int] = {"fatal": 2, "error": 3, "warn": 4, "info": 6, "debug": 7}
_SYSLOG_FACILITY_USER = 1
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_JUNK_ALPHABET = string.ascii_letters + string.digits + string.punctuation + "     "
_CHUNK = 4096  # template choices drawn per batch
_STEP_CACHE = 2048  # cached timedelta steps, in milliseconds


@dataclass(frozen=True, slots=True)
class Event:
    """One log event. ``message`` may hold ``\\n`` (a stack trace: several physical lines)."""

    ts: datetime
    service: str
    level: str
    template_id: str
    message: str


def _select(templates: Sequence[Template] | None, services: Sequence[str] | None) -> list[Template]:
    pool = list(CATALOGUE if templates is None else templates)
    if services is not None:
        wanted = set(services)
        pool = [t for t in pool if t.service in wanted]
    if not pool:
        raise ValueError("no templates left to generate from (check services/templates)")
    return pool


def _weights(pool: Sequence[Template], level_mix: Mapping[str, float] | None) -> list[float]:
    """Template weights; with ``level_mix`` each level gets that share, split by weight."""
    if level_mix is None:
        weights = [t.weight for t in pool]
    else:
        unknown = set(level_mix) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown levels in level_mix: {sorted(unknown)}")
        if any(v < 0 for v in level_mix.values()):
            raise ValueError("level_mix shares must be >= 0")
        per_level: dict[str, float] = {}
        for t in pool:
            per_level[t.level] = per_level.get(t.level, 0.0) + t.weight
        weights = [
            level_mix.get(t.level, 0.0) * t.weight / per_level[t.level]
            if per_level[t.level] > 0
            else 0.0
            for t in pool
        ]
    if sum(weights) <= 0:
        raise ValueError("all template weights are zero (check level_mix/weights)")
    return weights


def _junk(template: Template, rng: random.Random) -> str:
    if rng.random() < 0.5:
        full = render_message(template, rng).split("\n", 1)[0]
        if len(full) >= 4:
            return full[: rng.randint(2, len(full) - 1)]
    return "".join(rng.choices(_JUNK_ALPHABET, k=rng.randint(8, 120))).strip() or "?"


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return ts if ts.tzinfo is UTC else ts.astimezone(UTC)


def iter_events(
    seed: int,
    start: datetime,
    *,
    rate_per_s: float = 10.0,
    level_mix: Mapping[str, float] | None = None,
    services: Sequence[str] | None = None,
    noise: float = 0.0,
    templates: Sequence[Template] | None = None,
) -> Iterator[Event]:
    """Endless, lazy event stream; :func:`generate` is its first ``n`` events.

    Timestamps start after ``start`` and increase (non-strictly, millisecond resolution) with
    exponential inter-arrival times of mean ``1 / rate_per_s`` seconds. A prefix of a longer run
    equals the shorter run with the same arguments.
    """
    if rate_per_s <= 0:
        raise ValueError("rate_per_s must be > 0")
    if not 0.0 <= noise <= 1.0:
        raise ValueError("noise must be within [0, 1]")
    pool = _select(templates, services)
    cum = list(accumulate(_weights(pool, level_mix)))
    indices = range(len(pool))
    heads = [(t.service, t.level, t.id, t.renderer) for t in pool]
    rng = random.Random(seed)
    expo = rng.expovariate
    rand = rng.random
    # Timestamps: integer milliseconds since start; consecutive events usually differ by a small
    # step, so add a cached timedelta to the previous timestamp (datetime arithmetic dominates).
    steps = [timedelta(milliseconds=i) for i in range(_STEP_CACHE)]
    ts = _utc(start)
    prev_ms = 0
    elapsed = 0.0
    while True:
        for i in rng.choices(indices, cum_weights=cum, k=_CHUNK):
            elapsed += expo(rate_per_s)
            ms = int(elapsed * 1000.0)
            step = ms - prev_ms
            ts = ts + (steps[step] if step < _STEP_CACHE else timedelta(milliseconds=step))
            prev_ms = ms
            service, level, tid, fill = heads[i]
            if noise and rand() < noise:
                yield Event(ts, service, level, NOISE_ID, _junk(pool[i], rng))
            else:
                yield Event(ts, service, level, tid, fill(rng))


def generate(
    seed: int,
    n: int,
    start: datetime,
    *,
    rate_per_s: float = 10.0,
    level_mix: dict[str, float] | None = None,
    services: Sequence[str] | None = None,
    noise: float = 0.0,
    templates: Sequence[Template] | None = None,
) -> list[Event]:
    """``n`` events from ``start`` on (see :func:`iter_events`).

    ``level_mix`` (e.g. ``{"info": 0.8, "warn": 0.15, "error": 0.05}``) sets the share of each
    level, split among that level's templates by weight; levels left out are not generated.
    ``None`` keeps the catalogue's own weights. ``services`` filters the templates by service.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    stream = iter_events(
        seed,
        start,
        rate_per_s=rate_per_s,
        level_mix=level_mix,
        services=services,
        noise=noise,
        templates=templates,
    )
    return _materialise(islice(stream, n))


def generate_between(
    seed: int,
    start: datetime,
    end: datetime,
    *,
    rate_per_s: float = 10.0,
    level_mix: dict[str, float] | None = None,
    services: Sequence[str] | None = None,
    noise: float = 0.0,
    templates: Sequence[Template] | None = None,
) -> list[Event]:
    """All events of the stream with ``start <= ts < end`` (about ``rate * duration`` of them)."""
    end = _utc(end)
    stream = iter_events(
        seed,
        start,
        rate_per_s=rate_per_s,
        level_mix=level_mix,
        services=services,
        noise=noise,
        templates=templates,
    )
    return _materialise(takewhile(lambda e: e.ts < end, stream))


def _materialise(events: Iterable[Event]) -> list[Event]:
    """``list(events)`` with the cyclic GC paused: building millions of small objects otherwise
    triggers repeated full collections (about 40% of the time). Events hold no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return list(events)
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def format_ts(ts: datetime) -> str:
    """``2026-11-26T13:00:00.123Z`` (UTC, milliseconds, truncated)."""
    return _utc(ts).isoformat(timespec="milliseconds")[:23] + "Z"


def _syslog_pid(service: str) -> int:
    return 1000 + zlib.crc32(service.encode()) % 30000


def _render_plain(events: Iterable[Event]) -> list[str]:
    out: list[str] = []
    append = out.append
    for e in events:
        line = f"{format_ts(e.ts)} {e.level.upper()} [{e.service}] {e.message}"
        if "\n" in line:
            out.extend(line.split("\n"))
        else:
            append(line)
    return out


def _render_json(events: Iterable[Event]) -> list[str]:
    dumps = json.dumps
    return [
        dumps({"ts": format_ts(e.ts), "level": e.level, "service": e.service, "msg": e.message})
        for e in events
    ]


def _render_syslog(events: Iterable[Event], hostname: str) -> list[str]:
    out: list[str] = []
    tags: dict[str, str] = {}
    for e in events:
        tag = tags.get(e.service)
        if tag is None:
            tag = tags[e.service] = f"{hostname} {e.service}[{_syslog_pid(e.service)}]:"
        pri = _SYSLOG_FACILITY_USER * 8 + SYSLOG_SEVERITY[e.level]
        ts = _utc(e.ts)
        msg = e.message
        if "\n" in msg or "\t" in msg:
            msg = msg.replace("\n", "#012").replace("\t", "#011")
        out.append(
            f"<{pri}>{_MONTHS[ts.month - 1]} {ts.day:2d} "
            f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d} {tag} {msg}"
        )
    return out


def render(events: Iterable[Event], form: Form, *, hostname: str = DEFAULT_HOSTNAME) -> list[str]:
    """Physical lines (no line terminators) of ``events`` in ``form``."""
    if form == "plain":
        return _render_plain(events)
    if form == "json":
        return _render_json(events)
    if form == "syslog":
        return _render_syslog(events, hostname)
    raise ValueError(f"unknown form {form!r}; expected one of {FORMS}")


def truth(events: Iterable[Event]) -> list[str]:
    """The template id of each event (``"noise"`` for junk)."""
    return [e.template_id for e in events]


def physical_truth(events: Iterable[Event], form: Form) -> list[str]:
    """The template id of each physical line of ``render(events, form)``.

    In plain form the continuation lines of a multi-line event carry that event's id.
    """
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; expected one of {FORMS}")
    if form != "plain":
        return [e.template_id for e in events]
    out: list[str] = []
    for e in events:
        out.extend([e.template_id] * (1 + e.message.count("\n")))
    return out


def write_lines(path: str | Path, lines: Iterable[str], *, append: bool = False) -> None:
    """Write ``lines`` to ``path`` as UTF-8, each ended by ``\\n`` (no platform translation)."""
    with open(path, "a" if append else "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(f"{line}\n" for line in lines)
