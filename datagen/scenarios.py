"""Change-detection scenarios: two weeks of seasonal steady state, then injected changes, with
the ground truth of what a diff must find (issue 4).

Owns :func:`change_scenario` and :class:`ChangeScenario`. Everything is a pure function of the
seed: the same seed gives byte-identical files. The timeline (UTC):

- **steady state**, :data:`SCENARIO_START` (Wednesday 2026-11-04 00:00) to ``steady_end`` (day 15,
  11:00): four sources, a handful of patterns each, Poisson arrivals whose rate follows a daily
  profile (:data:`HOUR_PROFILE`, busiest 11:00-15:00) and a weekly one (Saturday and Sunday at
  :data:`WEEKEND_FACTOR`); a worker heartbeat ticks once a minute whatever the hour;
- **ramp**, day 15 11:00-14:00: ``web.get_ok`` falls linearly from 100% to 20% of its rate;
- **injection window**, day 15 14:00-15:00 (a Wednesday, so ``1d-ago`` is a steady Tuesday and
  ``1w-ago`` a steady Wednesday): every change below, at once, on different sources.

Sources (one file each, written with :func:`datagen.generate.write_lines`):

==============  ======  ===================================================================
source / file   form    injected in the window
==============  ======  ===================================================================
web.log         plain   ``web.login`` x10 (spike); ``web.get_ok`` at 20% (the slow drop)
worker.jsonl    json    heartbeat stops (gone); new error ``worker.oom``; every line gains a
                        ``trace_id`` field (format drift: new field)
db.log          plain   +1 ``db.deadlock`` error a minute: the error share jumps from ~1.4% to
                        ~23% (level drift; the deadlock pattern's own rate shift comes with it)
billing.jsonl   json    a library writes plain-text ``connection pool exhausted`` lines into
                        the JSON file (format drift: mapping failures; and a new pattern, level
                        unknown, since a line that fails mapping is still mined)
==============  ======  ===================================================================

About 190k lines in all. :attr:`ChangeScenario.expected` lists every finding the injection
window must give (nothing else); :meth:`ChangeScenario.steady_windows` lists windows (and their
seasonal baselines) that must give none. Lines that fail mapping get the *ingest* time as their
timestamp, so a test must tick the injection while its clock reads a time inside the window.
"""

from __future__ import annotations

import json
import math
import random
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

from datagen.catalogue import Template, render_message
from datagen.generate import Event, Form, format_ts, render, write_lines

__all__ = [
    "HOUR_PROFILE",
    "SCENARIO_START",
    "SOURCES",
    "WEEKEND_FACTOR",
    "ChangeScenario",
    "Expected",
    "ScenarioSource",
    "change_scenario",
    "seasonal_factor",
]

SCENARIO_START = datetime(2026, 11, 4, tzinfo=UTC)  # a Wednesday
STEADY_DAYS = 14
_DAY15 = SCENARIO_START + timedelta(days=STEADY_DAYS)
RAMP_START = _DAY15 + timedelta(hours=11)
INJECTION_START = _DAY15 + timedelta(hours=14)
INJECTION_END = _DAY15 + timedelta(hours=15)
#: Rate multiplier per UTC hour of the day (1.0 = the peak rates below).
HOUR_PROFILE: tuple[float, ...] = (
    0.30, 0.28, 0.27, 0.27, 0.30, 0.38, 0.50, 0.65, 0.80, 0.90, 0.95, 1.00,
    1.00, 1.00, 1.00, 0.97, 0.92, 0.85, 0.75, 0.65, 0.55, 0.47, 0.40, 0.34,
)  # fmt: skip
WEEKEND_FACTOR = 0.5
_SEGMENT = timedelta(minutes=10)  # rates are constant within a segment
_SEGMENT_MIN = _SEGMENT.total_seconds() / 60
_SEGMENT_MS = _SEGMENT.total_seconds() * 1000


def seasonal_factor(ts: datetime) -> float:
    """The steady-state rate multiplier at ``ts`` (hour of day x weekday/weekend)."""
    return HOUR_PROFILE[ts.hour] * (WEEKEND_FACTOR if ts.weekday() >= 5 else 1.0)


def _t(id: str, level: str, text: str) -> Template:
    return Template(id, id.split(".", 1)[0], level, text)


@dataclass(frozen=True)
class ScenarioSource:
    """One source: its file, form and templates with their peak rates (lines per minute)."""

    name: str
    file: str
    form: Form
    rates: tuple[tuple[Template, float], ...]

    @property
    def format(self) -> str:
        """The mapping format a config must give this source."""
        return "json" if self.form == "json" else "plain"


WEB = ScenarioSource(
    "web",
    "web.log",
    "plain",
    (
        (_t("web.access", "info", '{ip} - - "GET /static/app.js HTTP/1.1" 200 {int}'), 3.0),
        (_t("web.get_ok", "info", "GET /api/v1/orders/{int} 200 OK {duration_ms}ms"), 2.0),
        (_t("web.login", "info", "User {id} logged in from {ip}"), 0.6),
        (
            _t("web.not_found", "warn", "GET /api/v1/orders/{int} 404 Not Found {duration_ms}ms"),
            0.4,
        ),
        (_t("web.server_error", "error", "Internal server error on request {uuid}"), 0.15),
    ),
)
WORKER = ScenarioSource(
    "worker",
    "worker.jsonl",
    "json",
    (
        (_t("worker.job_started", "info", "Job {id} started on slot {int}"), 1.0),
        (
            _t("worker.job_done", "info", "Job {id} completed in {duration_ms}ms with {int} items"),
            1.0,
        ),
        (_t("worker.retry", "warn", "retry attempt={int} backoff={duration_ms}ms"), 0.3),
        (_t("worker.job_failed", "error", "Job {id} failed after {int} attempts"), 0.1),
        (_t("worker.dequeued", "debug", "Dequeued message {uuid} from queue {int}"), 0.5),
        (
            _t("worker.heartbeat", "debug", "heartbeat ok queue_depth={int} lag={duration_ms}ms"),
            1.0,
        ),
        (
            _t("worker.oom", "error", "Worker process {int} killed: out of memory (rss {int} MB)"),
            0.0,
        ),
    ),
)
DB = ScenarioSource(
    "db",
    "db.log",
    "plain",
    (
        (_t("db.query", "info", "query ok: {int} rows in {float} ms"), 2.0),
        (_t("db.connection", "info", "connection authorized: database=orders pid={int}"), 1.0),
        (_t("db.checkpoint", "info", "checkpoint complete: wrote {int} buffers"), 0.3),
        (_t("db.slow_query", "warn", "slow query took {duration_ms}ms on table orders"), 0.2),
        (_t("db.deadlock", "error", "deadlock detected: process {int} waits for ShareLock on "
            "transaction {int}"), 0.05),
    ),
)  # fmt: skip
BILLING = ScenarioSource(
    "billing",
    "billing.jsonl",
    "json",
    (
        (_t("billing.invoice", "info", "Invoice {id} created for customer {int}"), 0.8),
        (_t("billing.captured", "info", "Payment {id} captured: {float} EUR"), 0.8),
        (
            _t("billing.declined", "warn", "Card declined for payment {id}: insufficient funds"),
            0.15,
        ),
        (_t("billing.refund", "info", "Refund {id} issued"), 0.1),
        (_t("billing.ledger", "error", "Ledger write failed for batch {int}"), 0.03),
        (_t("billing.pool", "warn", "connection pool exhausted (size={int}), waiting {int}s"), 0.0),
    ),
)
SOURCES: tuple[ScenarioSource, ...] = (WEB, WORKER, DB, BILLING)

_HEARTBEAT = "worker.heartbeat"
_PLAIN_IN_JSON = "billing.pool"  # written as raw text into billing.jsonl: fails JSON mapping
_INJECTED_RATES = {"worker.oom": 0.15, "billing.pool": 0.8}  # new in the window, per minute
_SPIKE, _SPIKE_FACTOR = "web.login", 10.0
_DROP, _DROP_TO = "web.get_ok", 0.2
_DRIFT, _DRIFT_EXTRA = "db.deadlock", 1.0  # extra errors per minute
_NEW_FIELD_SOURCE, NEW_FIELD = "worker", "trace_id"


@dataclass(frozen=True)
class Expected:
    """One finding the injection window must give.

    ``key`` is the datagen template id for pattern kinds (new, gone, rate_shift), the level
    group (``error`` / ``warn``) for level_drift, and the finding's template text for
    format_drift (``mapping failures`` or ``new field <name>``). ``seasonal_only``: only a
    seasonal baseline (``1d-ago``, ``1w-ago``) finds it; the previous hour is already changed.
    """

    kind: str
    source: str
    key: str
    injection: str
    seasonal_only: bool = False


EXPECTED: tuple[Expected, ...] = (
    Expected("rate_shift", "web", _SPIKE, "spike x10"),
    Expected("rate_shift", "web", _DROP, "slow drop to 20% over 3 hours", seasonal_only=True),
    Expected("gone", "worker", _HEARTBEAT, "heartbeat stops"),
    Expected("new", "worker", "worker.oom", "new error pattern"),
    Expected("format_drift", "worker", f"new field {NEW_FIELD}", "new JSON field"),
    Expected("level_drift", "db", "error", "error share jumps"),
    Expected("rate_shift", "db", _DRIFT, "error share jumps (its own pattern)"),
    Expected("format_drift", "billing", "mapping failures", "plain lines in a JSON file"),
    Expected("new", "billing", _PLAIN_IN_JSON, "plain lines in a JSON file (their pattern)"),
)


def _placeholder_regex(template: Template) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", template.text)
    return re.compile(".+?".join(re.escape(p) for p in parts) + "$")


@dataclass(frozen=True)
class ChangeScenario:
    """A generated scenario: every source's lines (with their event times), the timeline and
    the ground truth. Write it in phases (:meth:`write`) and tick after each, as a live
    system would see it: e.g. the first day (the source's learning tick), the rest of the
    history, then the injection window."""

    seed: int
    start: datetime
    steady_end: datetime
    injection_start: datetime
    injection_end: datetime
    sources: tuple[ScenarioSource, ...]
    timed_lines: Mapping[str, tuple[tuple[datetime, str], ...]]
    expected: tuple[Expected, ...]

    @property
    def lines(self) -> int:
        return sum(len(v) for v in self.timed_lines.values())

    def lines_between(self, source: str, start: datetime, end: datetime) -> list[str]:
        """The lines of ``source`` whose event time is in ``[start, end)``."""
        return [line for ts, line in self.timed_lines[source] if start <= ts < end]

    def write(self, directory: Path, start: datetime, end: datetime) -> dict[str, Path]:
        """Write the lines of ``[start, end)`` of every source to its file in ``directory``
        (replacing the file when ``start`` is the scenario start, else appending); returns
        source name -> file."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {s.name: directory / s.file for s in self.sources}
        for name, path in paths.items():
            write_lines(path, self.lines_between(name, start, end), append=start > self.start)
        return paths

    def steady_windows(self, length: timedelta, back: timedelta) -> list[datetime]:
        """Starts of the windows of ``length`` (on a grid from ``start``) that must give no
        finding with the baseline ``back`` earlier: window and baseline both inside the steady
        state and with the same seasonal profile (both weekdays or both weekend days)."""
        starts: list[datetime] = []
        at = self.start + back
        while at + length <= self.steady_end:
            if (at.weekday() >= 5) == ((at - back).weekday() >= 5):
                starts.append(at)
            at += length
        return starts

    def template_id(self, source: str, message: str) -> str | None:
        """The template of ``source`` that produced ``message`` (a stored pattern sample)."""
        for template, _ in next(s for s in self.sources if s.name == source).rates:
            if _placeholder_regex(template).search(message):
                return template.id
        return None


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (means here stay below ~100, far from exp underflow)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _rate(template_id: str, peak: float, at: datetime) -> float:
    """Lines per minute of a template in the segment starting at ``at``."""
    if at >= INJECTION_START and template_id in _INJECTED_RATES:
        return _INJECTED_RATES[template_id]
    rate = peak * seasonal_factor(at)
    if at >= INJECTION_START:
        if template_id == _SPIKE:
            return rate * _SPIKE_FACTOR
        if template_id == _DRIFT:
            return rate + _DRIFT_EXTRA
    if template_id == _DROP and at >= RAMP_START:
        done = min(1.0, (at - RAMP_START) / (INJECTION_START - RAMP_START))
        return rate * (1.0 - (1.0 - _DROP_TO) * done)
    return rate


def _events(source: ScenarioSource, rng: random.Random) -> list[Event]:
    events: list[Event] = []
    at = SCENARIO_START
    while at < INJECTION_END:
        for template, peak in source.rates:
            if template.id == _HEARTBEAT:
                continue
            n = _poisson(rng, _rate(template.id, peak, at) * _SEGMENT_MIN)
            for _ in range(n):
                ts = at + timedelta(milliseconds=int(rng.random() * _SEGMENT_MS))
                message = render_message(template, rng)
                events.append(Event(ts, template.service, template.level, template.id, message))
        at += _SEGMENT
    if any(t.id == _HEARTBEAT for t, _ in source.rates):
        beat = next(t for t, _ in source.rates if t.id == _HEARTBEAT)
        minutes = int((INJECTION_START - SCENARIO_START) / timedelta(minutes=1))
        for minute in range(minutes):
            ts = SCENARIO_START + timedelta(minutes=minute, milliseconds=rng.randrange(2000))
            events.append(Event(ts, beat.service, beat.level, beat.id, render_message(beat, rng)))
    return sorted(events, key=lambda e: e.ts)


def _render(source: ScenarioSource, events: Sequence[Event], rng: random.Random) -> list[str]:
    """Lines of ``events``; in the injection window the worker's JSON gains a field and the
    pool lines of billing are written as plain text."""
    lines = render(events, source.form)
    out: list[str] = []
    for event, line in zip(events, lines, strict=True):
        if event.template_id == _PLAIN_IN_JSON:
            out.append(f"{format_ts(event.ts)} WARNING [pool] {event.message}")
        elif source.name == _NEW_FIELD_SOURCE and event.ts >= INJECTION_START:
            record = json.loads(line)
            record[NEW_FIELD] = f"{rng.getrandbits(64):016x}"
            out.append(json.dumps(record))
        else:
            out.append(line)
    return out


def _sub_seed(seed: int, name: str) -> int:
    return zlib.crc32(f"{seed}/{name}".encode())


def change_scenario(seed: int = 4) -> ChangeScenario:
    """Generate the scenario in memory (about 190k lines, a few seconds)."""
    timed: dict[str, tuple[tuple[datetime, str], ...]] = {}
    for source in SOURCES:
        rng = random.Random(_sub_seed(seed, source.name))
        events = _events(source, rng)
        lines = _render(source, events, rng)
        timed[source.name] = tuple((e.ts, line) for e, line in zip(events, lines, strict=True))
    return ChangeScenario(
        seed=seed,
        start=SCENARIO_START,
        steady_end=RAMP_START,
        injection_start=INJECTION_START,
        injection_end=INJECTION_END,
        sources=SOURCES,
        timed_lines=MappingProxyType(timed),
        expected=EXPECTED,
    )
