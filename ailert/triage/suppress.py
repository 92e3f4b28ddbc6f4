"""Suppressions: "don't tell me about this pattern again", mirrored as Alertmanager silences.

A suppression is a row of ``suppressions`` (pattern, optional source scope, reason, who, until,
escalation guard). Where Alertmanager is configured it is also a silence matching
``pattern_hash`` (and ``source`` when scoped) and ``escalated!="true"``, so people see and
expire it in the UIs they already use. Each tick :func:`sync_silences` reads silences back:
one made in the Alertmanager or Grafana UI becomes a suppression (origin ``alertmanager``), one
expired there ends its suppression, a wanted silence Alertmanager was down for is created, and
an ended suppression's silence is expired.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from ailert.config import Config
from ailert.errors import AIlertError
from ailert.notify.alertmanager import (
    AlertmanagerClient,
    AlertmanagerError,
    Matcher,
    Silence,
)
from ailert.store import Store

__all__ = [
    "SilenceSync",
    "SuppressResult",
    "Suppression",
    "active_suppressions",
    "find_suppression",
    "is_escalated",
    "list_suppressions",
    "silence_matchers",
    "suppress",
    "sync_silences",
    "unsuppress",
]

T = TypeVar("T")
_PATTERN_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Suppression:
    suppression_id: int
    pattern_id: str
    source: str | None
    reason: str | None
    created_by: str
    created_at: datetime
    starts_at: datetime
    until: datetime
    escalation_factor: float | None
    origin: str
    silence_wanted: bool
    silence_id: str | None
    silence_expired: bool
    ended_at: datetime | None
    ended_by: str | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Suppression:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    @property
    def silenced(self) -> bool:
        """Mirrored (or to be mirrored) by an Alertmanager silence."""
        return self.silence_id is not None or self.silence_wanted


def active_suppressions(store: Store, now: datetime) -> list[Suppression]:
    return [
        Suppression.from_row(r) for r in store.query("alerts/suppressions_active", {"now": now})
    ]


def list_suppressions(
    store: Store, now: datetime, *, include_ended: bool = False
) -> list[dict[str, Any]]:
    return store.query("alerts/suppressions_list", {"now": now, "all": include_ended})


def find_suppression(
    suppressions: Sequence[Suppression], pattern_hash: str, source: str
) -> Suppression | None:
    """The suppression covering (pattern, source): a source-scoped one first, else all-sources."""
    scoped = [s for s in suppressions if s.pattern_id == pattern_hash and s.source == source]
    anywhere = [s for s in suppressions if s.pattern_id == pattern_hash and s.source is None]
    found = scoped or anywhere
    return found[0] if found else None


def is_escalated(
    suppression: Suppression, current_rate: float | None, baseline_rate: float | None
) -> bool:
    """The escalation guard: the rate reached ``escalation_factor`` times its baseline."""
    factor = suppression.escalation_factor
    if factor is None or not baseline_rate or baseline_rate <= 0:
        return False
    return (current_rate or 0.0) >= factor * baseline_rate


def silence_matchers(pattern_id: str, source: str | None) -> list[Matcher]:
    matchers = [Matcher("pattern_hash", pattern_id)]
    if source:
        matchers.append(Matcher("source", source))
    matchers.append(Matcher("escalated", "true", is_equal=False))
    return matchers


def _on_first_alertmanager(
    config: Config, transport: httpx.BaseTransport | None, call: Callable[[AlertmanagerClient], T]
) -> T:
    """Run ``call`` against the first Alertmanager that answers (an HA pair gossips silences)."""
    settings = config.alertmanager
    if settings is None:
        raise AIlertError("no alertmanager: section in the config (add one, or use --no-silence)")
    errors: list[str] = []
    for url in settings.urls:
        with AlertmanagerClient(url, timeout=settings.timeout, transport=transport) as client:
            try:
                return call(client)
            except AlertmanagerError as exc:
                errors.append(str(exc))
    raise AlertmanagerError("; ".join(errors))


def _comment(reason: str | None, pattern_id: str) -> str:
    return f"ailert suppress {pattern_id}" + (f": {reason}" if reason else "")


@dataclass(frozen=True)
class SuppressResult:
    suppression: Suppression
    created: bool  # False: an active suppression of the same scope was extended
    silence_error: str | None = None  # the silence will be created on a later tick


def _get(store: Store, suppression_id: int) -> Suppression:
    return Suppression.from_row(
        store.query("alerts/suppression_get", {"suppression_id": suppression_id})[0]
    )


def _set_silence(store: Store, sid: int, silence_id: str | None, now: datetime) -> None:
    params = {"suppression_id": sid, "silence_id": silence_id, "silence_wanted": True, "now": now}
    store.run("alerts/suppression_set_silence", params)


def _end(store: Store, sid: int, by: str, now: datetime, *, silence_expired: bool) -> None:
    params = {"suppression_id": sid, "ended_by": by, "now": now}
    store.run("alerts/suppression_end", {**params, "silence_expired": silence_expired})


def _silence_gone(store: Store, sid: int, now: datetime) -> None:
    store.run("alerts/suppression_silence_expired", {"suppression_id": sid, "now": now})


def _check_pattern(store: Store, pattern_id: str, source: str | None) -> None:
    if not _PATTERN_ID.match(pattern_id):
        raise AIlertError(f"{pattern_id!r} is not a pattern id (16 hex; see `ailert patterns`)")
    if not store.query("alerts/pattern_lookup", {"pattern_id": pattern_id, "source": source}):
        where = f" in source {source!r}" if source else ""
        raise AIlertError(f"no pattern {pattern_id!r}{where} (list them with `ailert patterns`)")


def suppress(
    store: Store,
    config: Config,
    pattern_id: str,
    *,
    now: datetime,
    by: str,
    source: str | None = None,
    duration: timedelta | None = None,
    reason: str | None = None,
    silence: bool | None = None,
    escalation_factor: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SuppressResult:
    """Suppress ``pattern_id`` (in ``source`` or everywhere) for ``duration``; with
    ``silence`` (default: when Alertmanager is configured) also silence it there. Suppressing
    an already suppressed scope extends it."""
    _check_pattern(store, pattern_id, source)
    am = config.alertmanager
    if silence is None:
        silence = am is not None and am.silences
    if silence and am is None:
        raise AIlertError("--silence needs an alertmanager: section in the config")
    until = now + (duration or config.alerting.suppress_for)
    factor = escalation_factor or config.alerting.escalation_factor
    params = {"pattern_id": pattern_id, "source": source, "exact": True, "now": now}
    existing = [
        Suppression.from_row(r) for r in store.query("alerts/suppressions_for_pattern", params)
    ]
    with store.transaction():
        if existing:
            sid = existing[0].suppression_id
            update = {"suppression_id": sid, "until": until, "reason": reason, "now": now}
            store.run("alerts/suppression_update", update)
            if silence and not existing[0].silence_wanted:
                _set_silence(store, sid, existing[0].silence_id, now)
        else:
            sid = int(store.run("alerts/suppression_insert", {
                "pattern_id": pattern_id, "source": source, "reason": reason, "created_by": by,
                "now": now, "starts_at": now, "until": until, "escalation_factor": factor,
                "origin": "ailert", "silence_wanted": silence, "silence_id": None,
            }).fetchall()[0][0])  # fmt: skip
    current = _get(store, sid)
    error = None
    if silence:
        try:
            _put_silence(store, config, current, now, transport)
        except AlertmanagerError as exc:
            error = f"{exc} — the silence will be created on the next tick"
        current = _get(store, sid)
    return SuppressResult(current, created=not existing, silence_error=error)


def _put_silence(
    store: Store,
    config: Config,
    supp: Suppression,
    now: datetime,
    transport: httpx.BaseTransport | None,
) -> None:
    new_id = _on_first_alertmanager(
        config,
        transport,
        lambda c: c.create_silence(
            silence_matchers(supp.pattern_id, supp.source),
            starts_at=max(supp.starts_at, now),
            ends_at=supp.until,
            created_by=supp.created_by,
            comment=_comment(supp.reason, supp.pattern_id),
            silence_id=supp.silence_id,
        ),
    )
    with store.transaction():
        _set_silence(store, supp.suppression_id, new_id, now)


def unsuppress(
    store: Store,
    config: Config,
    pattern_id: str,
    *,
    now: datetime,
    by: str,
    source: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> tuple[list[Suppression], list[str]]:
    """End the active suppressions of ``pattern_id`` (only ``source``'s scope when given) and
    expire their silences. Returns them and the silence errors (retried on later ticks)."""
    params = {"pattern_id": pattern_id, "source": source, "exact": False, "now": now}
    ended = [
        Suppression.from_row(r) for r in store.query("alerts/suppressions_for_pattern", params)
    ]
    if not ended:
        raise AIlertError(f"pattern {pattern_id!r} is not suppressed (see `ailert suppressions`)")
    with store.transaction():
        for supp in ended:
            _end(store, supp.suppression_id, by, now, silence_expired=False)
    errors: list[str] = []
    if config.alertmanager is not None:
        for supp in ended:
            if supp.silence_id:
                try:
                    _expire(store, config, supp, now, transport)
                except AlertmanagerError as exc:
                    errors.append(f"{exc} — the silence will be expired on the next tick")
    return [_get(store, s.suppression_id) for s in ended], errors


def _expire(
    store: Store,
    config: Config,
    supp: Suppression,
    now: datetime,
    transport: httpx.BaseTransport | None,
) -> None:
    silence_id = supp.silence_id
    if silence_id is None:
        return
    _on_first_alertmanager(config, transport, lambda c: c.expire_silence(silence_id))
    with store.transaction():
        _silence_gone(store, supp.suppression_id, now)


@dataclass
class SilenceSync:
    """What one tick's silence sync did."""

    imported: int = 0
    ended: int = 0
    extended: int = 0
    created: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


def sync_silences(
    store: Store, config: Config, now: datetime, *, transport: httpx.BaseTransport | None = None
) -> SilenceSync:
    """Make suppressions and Alertmanager silences agree (see the module docstring)."""
    report = SilenceSync()
    try:
        silences = _on_first_alertmanager(config, transport, lambda c: c.list_silences())
    except AlertmanagerError as exc:
        report.errors.append(str(exc))
        return report
    _read_back(store, silences, now, report)
    for row in store.query("alerts/suppressions_silence_work", {"now": now}):
        supp = Suppression.from_row(row)
        try:
            if row["todo"] == "create":
                _put_silence(store, config, supp, now, transport)
                report.created += 1
            else:
                _expire(store, config, supp, now, transport)
                report.expired += 1
        except AlertmanagerError as exc:
            report.errors.append(str(exc))
    return report


def _read_back(store: Store, silences: list[Silence], now: datetime, report: SilenceSync) -> None:
    by_id = {s.id: s for s in silences}
    known = {r["silence_id"] for r in store.query("alerts/suppressions_known_silences")}
    mirrored = [Suppression.from_row(r) for r in store.query("alerts/suppressions_with_silence")]
    with store.transaction():
        for supp in mirrored:
            sid, found = supp.suppression_id, by_id.get(supp.silence_id or "")
            if supp.ended_at is not None:
                continue  # its silence is expired by the work step
            if found is None:  # Alertmanager lost it (no persistent storage): create it again
                if supp.until > now:
                    _set_silence(store, sid, None, now)
            elif found.state == "expired":
                if supp.until > now:  # expired early, in the Alertmanager or Grafana UI
                    _end(store, sid, "alertmanager", now, silence_expired=True)
                    report.ended += 1
                else:
                    _silence_gone(store, sid, now)
            elif abs(found.ends_at - supp.until) >= timedelta(seconds=1):  # edited in a UI
                params = {"suppression_id": sid, "until": found.ends_at, "reason": None}
                store.run("alerts/suppression_update", {**params, "now": now})
                report.extended += 1
        for silence in silences:
            pattern = silence.equal_value("pattern_hash")
            if silence.id in known or silence.state == "expired" or pattern is None:
                continue
            store.run("alerts/suppression_insert", {
                "pattern_id": pattern, "source": silence.equal_value("source"),
                "reason": silence.comment, "created_by": silence.created_by or "alertmanager",
                "now": now, "starts_at": silence.starts_at, "until": silence.ends_at,
                "escalation_factor": None, "origin": "alertmanager", "silence_wanted": True,
                "silence_id": silence.id,
            })  # fmt: skip
            report.imported += 1
