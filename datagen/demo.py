"""The sample log set behind ``ailert demo``: two hours of steady state, then an incident.

Owns :func:`write_demo_logs` (phase one: steady state from ``now - 2h`` to ``now - 10min``) and
:func:`append_incident` (phase two: the last 10 minutes, appended to the same files), so a demo
can tick once on a quiet system and once more to see the incident. Both are deterministic in
``(now, seed)`` and return their ground truth.

Files (about 7-8k lines in all):

- ``api.log`` — plain form, services ``api`` and ``cache``;
- ``auth.log`` — RFC 3164 syslog, service ``auth``;
- ``worker.jsonl`` — JSON lines, services ``worker``, ``db`` and ``storage``, with two stack traces.

The incident (``api.log`` only): a burst of :data:`INCIDENT_NEW_TEMPLATE`, an ERROR template that
never occurs in phase one, and :data:`SPIKE_FACTOR` x the steady rate of the warn template
:data:`INCIDENT_SPIKE_TEMPLATE`. Apart from those, phase two only uses templates already seen in
phase one, so the incident is the only new thing to find.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

from datagen.catalogue import CATALOGUE, TEMPLATES_BY_ID, Template, render_message
from datagen.generate import Event, Form, generate_between, physical_truth, render, write_lines

__all__ = [
    "DEMO_FILES",
    "HISTORY",
    "INCIDENT_NEW_TEMPLATE",
    "INCIDENT_SPIKE_TEMPLATE",
    "INCIDENT_WINDOW",
    "SPIKE_FACTOR",
    "DemoIncident",
    "DemoLogs",
    "append_incident",
    "write_demo_logs",
]

HISTORY = timedelta(hours=2)
INCIDENT_WINDOW = timedelta(minutes=10)
INCIDENT_NEW_TEMPLATE = "api.payment_timeout"
INCIDENT_SPIKE_TEMPLATE = "api.rate_limited"
SPIKE_FACTOR = 10.0
_BURST_DELAY = timedelta(seconds=90)  # the new error starts a little after the window opens
_BURST_RATE_PER_S = 0.25
_STACK_TRACE_TEMPLATE = "worker.unhandled_exception"
_STACK_TRACE_OFFSETS = (timedelta(minutes=37), timedelta(minutes=83))  # after the demo start


@dataclass(frozen=True)
class _Source:
    file: str
    form: Form
    services: tuple[str, ...]
    rate_per_s: float
    hostname: str


_SOURCES: tuple[_Source, ...] = (
    _Source("api.log", "plain", ("api", "cache"), 0.45, "web-01"),
    _Source("auth.log", "syslog", ("auth",), 0.2, "bastion-01"),
    _Source("worker.jsonl", "json", ("worker", "db", "storage"), 0.3, "worker-01"),
)
DEMO_FILES: tuple[str, ...] = tuple(s.file for s in _SOURCES)
_INCIDENT_FILE = "api.log"


@dataclass(frozen=True)
class DemoLogs:
    """Phase one (steady state) as written, with its ground truth.

    ``counts``: events per template id over all files; ``truth``: the template id of every
    physical line, per file name; ``lines``: physical lines per file name.
    """

    directory: Path
    api_log: Path
    auth_log: Path
    worker_log: Path
    start: datetime
    incident_start: datetime
    now: datetime
    seed: int
    counts: Mapping[str, int]
    truth: Mapping[str, tuple[str, ...]]

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.api_log, self.auth_log, self.worker_log)

    @property
    def lines(self) -> Mapping[str, int]:
        return MappingProxyType({name: len(ids) for name, ids in self.truth.items()})

    def append_incident(self) -> DemoIncident:
        """Phase two for this demo (see :func:`append_incident`)."""
        return append_incident(self.directory, self.now, self.seed)


@dataclass(frozen=True)
class DemoIncident:
    """Phase two (the last ``INCIDENT_WINDOW`` before ``now``) as appended, with ground truth.

    ``new_template_ids`` never occur in phase one; ``spike_template_ids`` run at about
    ``spike_factor`` x their phase-one rate. ``counts`` and ``truth`` cover phase two only.
    """

    start: datetime
    end: datetime
    counts: Mapping[str, int]
    truth: Mapping[str, tuple[str, ...]]
    new_template_ids: tuple[str, ...]
    spike_template_ids: tuple[str, ...]
    spike_factor: float

    @property
    def lines(self) -> Mapping[str, int]:
        return MappingProxyType({name: len(ids) for name, ids in self.truth.items()})


def _bounds(now: datetime) -> tuple[datetime, datetime, datetime]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    end = now.astimezone(UTC).replace(microsecond=0)
    return end - HISTORY, end - INCIDENT_WINDOW, end


def _sub_seed(seed: int, *parts: str) -> int:
    return zlib.crc32("/".join((str(seed), *parts)).encode())


def _steady_templates(source: _Source) -> list[Template]:
    return [
        t
        for t in CATALOGUE
        if t.service in source.services
        and t.id not in (INCIDENT_NEW_TEMPLATE, _STACK_TRACE_TEMPLATE)
    ]


def _by_ts(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.ts)


def _phase_one(seed: int, start: datetime, end: datetime) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    for src in _SOURCES:
        events = generate_between(
            _sub_seed(seed, src.file, "steady"),
            start,
            end,
            rate_per_s=src.rate_per_s,
            templates=_steady_templates(src),
        )
        if _STACK_TRACE_TEMPLATE.split(".", 1)[0] in src.services:
            tpl = TEMPLATES_BY_ID[_STACK_TRACE_TEMPLATE]
            rng = random.Random(_sub_seed(seed, src.file, "stack"))
            events += [
                Event(start + off, tpl.service, tpl.level, tpl.id, render_message(tpl, rng))
                for off in _STACK_TRACE_OFFSETS
                if start + off < end
            ]
            events = _by_ts(events)
        out[src.file] = events
    return out


def _write(
    directory: Path, per_file: Mapping[str, list[Event]], *, append: bool
) -> dict[str, tuple[str, ...]]:
    truth: dict[str, tuple[str, ...]] = {}
    for src in _SOURCES:
        events = per_file[src.file]
        write_lines(
            directory / src.file, render(events, src.form, hostname=src.hostname), append=append
        )
        truth[src.file] = tuple(physical_truth(events, src.form))
    return truth


def _count(per_file: Mapping[str, list[Event]]) -> Mapping[str, int]:
    counts = Counter(e.template_id for events in per_file.values() for e in events)
    return MappingProxyType(dict(sorted(counts.items())))


def write_demo_logs(directory: Path, now: datetime, seed: int = 7) -> DemoLogs:
    """Write phase one: steady logs from ``now - 2h`` up to ``now - 10min`` (files replaced)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    start, incident_start, end = _bounds(now)
    per_file = _phase_one(seed, start, incident_start)
    truth = _write(directory, per_file, append=False)
    return DemoLogs(
        directory=directory,
        api_log=directory / "api.log",
        auth_log=directory / "auth.log",
        worker_log=directory / "worker.jsonl",
        start=start,
        incident_start=incident_start,
        now=end,
        seed=seed,
        counts=_count(per_file),
        truth=MappingProxyType(truth),
    )


def append_incident(directory: Path, now: datetime, seed: int = 7) -> DemoIncident:
    """Append phase two (``now - 10min`` to ``now``) to the files of :func:`write_demo_logs`.

    Use the same ``now`` and ``seed`` as phase one. Phase one is regenerated in memory (cheap,
    deterministic) so that the steady part of phase two only uses templates it already saw.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    start, incident_start, end = _bounds(now)
    seen = {e.template_id for evs in _phase_one(seed, start, incident_start).values() for e in evs}
    per_file: dict[str, list[Event]] = {}
    for src in _SOURCES:
        steady = [t for t in _steady_templates(src) if t.id in seen]
        events = generate_between(
            _sub_seed(seed, src.file, "incident-steady"),
            incident_start,
            end,
            rate_per_s=src.rate_per_s,
            templates=steady,
        )
        if src.file == _INCIDENT_FILE:
            spike = TEMPLATES_BY_ID[INCIDENT_SPIKE_TEMPLATE]
            share = spike.weight / sum(t.weight for t in steady)
            events += generate_between(
                _sub_seed(seed, src.file, "spike"),
                incident_start,
                end,
                rate_per_s=src.rate_per_s * share * (SPIKE_FACTOR - 1.0),
                templates=[spike],
            )
            events += generate_between(
                _sub_seed(seed, src.file, "burst"),
                incident_start + _BURST_DELAY,
                end,
                rate_per_s=_BURST_RATE_PER_S,
                templates=[TEMPLATES_BY_ID[INCIDENT_NEW_TEMPLATE]],
            )
            events = _by_ts(events)
        per_file[src.file] = events
    truth = _write(directory, per_file, append=True)
    return DemoIncident(
        start=incident_start,
        end=end,
        counts=_count(per_file),
        truth=MappingProxyType(truth),
        new_template_ids=(INCIDENT_NEW_TEMPLATE,),
        spike_template_ids=(INCIDENT_SPIKE_TEMPLATE,),
        spike_factor=SPIKE_FACTOR,
    )
