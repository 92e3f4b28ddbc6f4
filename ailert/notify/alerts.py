"""The alert lifecycle, kept in DuckDB: findings → rules → suppressions → alerts → outbox.

:func:`process_findings` is what a tick calls after change detection. It

1. syncs silences with Alertmanager (:func:`ailert.triage.suppress.sync_silences`);
2. applies the rules (the config's, then applied ``rules`` rows) to the findings, asks the LLM
   judge about those that alert (``llm:``; :mod:`ailert.triage.judge`, which may suppress);
   a finding that alerts opens an episode (``pending`` until an Alertmanager accepts it, then
   ``firing``) or refreshes the open one, with the judge's ``llm_*`` annotations; an escalated
   finding of a suppressed pattern is its own alert (label ``escalated="true"``);
3. keeps open new-pattern alerts alive while their pattern logs more lines, and resolves an
   episode whose condition has not held for ``alerting.resolve_after``;
4. queues every open episode in the outbox with ``endsAt = now + ends_after_ticks * interval``
   (re-posting every tick heals Alertmanager restarts), and each resolved one with its original
   ``startsAt`` and ``endsAt = now``; suppressed-with-a-silence alerts are still posted, so
   Alertmanager shows them suppressed, never resolved; suppressed-without-one are muted;
5. flushes the outbox (:func:`flush_outbox`): posts go per Alertmanager URL, oldest first;
   unreachable or 5xx leaves them queued with backoff, a 400 rejects only the bad alert.

Without ``alertmanager:`` in the config, alerts fire and resolve in DuckDB only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from ailert.config import Config
from ailert.notify.alertmanager import AlertmanagerClient, format_time
from ailert.notify.settings import AlertmanagerSettings
from ailert.redact import redact
from ailert.serve import make_token, secret_from_env
from ailert.store import Store
from ailert.triage.judge import JudgeReport, annotate_alerts, judge_decisions, llm_annotations
from ailert.triage.rules import Decision, FindingLike, evaluate
from ailert.triage.suggest import with_stored_rules
from ailert.triage.suppress import (
    SilenceSync,
    Suppression,
    active_suppressions,
    find_suppression,
    is_escalated,
    sync_silences,
)

__all__ = [
    "AlertReport",
    "AlertView",
    "DeliveryReport",
    "build_payload",
    "flush_outbox",
    "process_findings",
]


@dataclass(frozen=True)
class AlertView:
    """One alert episode as reported and listed."""

    alert_id: int
    alertname: str
    state: str
    severity: str
    source: str
    pattern_hash: str
    level: str
    template: str
    count: int
    starts_at: datetime
    suppressed: bool
    escalated: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AlertView:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})


@dataclass
class DeliveryReport:
    """What one flush of the outbox did, per Alertmanager URL."""

    sent: int = 0
    rejected: int = 0
    queued: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)


@dataclass
class AlertReport:
    """What one tick's alerting did."""

    fired: list[AlertView] = field(default_factory=list)
    resolved: list[AlertView] = field(default_factory=list)
    open: list[AlertView] = field(default_factory=list)
    ignored: int = 0
    suppressed: int = 0
    escalated: int = 0
    delivery: DeliveryReport | None = None
    silences: SilenceSync | None = None
    llm: JudgeReport | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _alert_key(alertname: str, source: str, pattern_hash: str, escalated: bool) -> str:
    text = "\x1f".join((alertname, source, pattern_hash, "escalated" if escalated else ""))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:16]


def _num(value: float | None) -> float:
    return float(value or 0.0)


def describe(decision: Decision, escalated: bool) -> str:
    """The ``description`` annotation: what happened, in one sentence."""
    f = decision.finding
    where = f"source {decision.source}" if decision.source else "all sources"
    now_, base = _num(f.current_rate), _num(f.baseline_rate)
    text = {
        "new": f"New {decision.level} pattern in {where}: {int(_num(f.current_count))} lines "
        "in the window.",
        "rate_shift": f"{decision.level} pattern in {where} went "
        f"{'up' if now_ >= base else 'down'} from {base:.2f} to {now_:.2f} lines/min "
        f"(score {_num(f.score):.1f}).",
        "gone": f"Pattern in {where} stopped: {int(_num(f.baseline_count))} lines in the "
        "baseline, none in the window.",
        "level_drift": f"The error/warn share of {where} moved from {base:.3f} to {now_:.3f}.",
        "format_drift": f"Lines of {where} stopped mapping or gained fields: "
        f"{int(_num(f.current_count))} now vs {int(_num(f.baseline_count))} in the baseline.",
    }.get(decision.kind, f"{decision.kind} in {where} (score {_num(f.score):.1f}).")
    if escalated:
        text += " Escalated: a suppressed pattern passed its escalation guard."
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_payload(
    alert: dict[str, Any], config: Config, now: datetime, *, resolved: bool
) -> dict[str, Any]:
    """The postable alert of an episode: labels, redacted and cut annotations, times."""
    limit = config.alertmanager.max_annotation_chars if config.alertmanager else 1024
    labels = {
        "alertname": alert["alertname"],
        "pattern_hash": alert["pattern_hash"],
        "source": alert["source"],
        "level": alert["level"],
        "severity": alert["severity"],
    }
    if alert["escalated"]:
        labels["escalated"] = "true"
    first_seen = alert.get("pattern_first_seen")
    annotations = {
        "summary": redact(alert["template"]),
        "description": redact(alert["description"]),
        "sample": redact(alert["sample"]),
        "count": str(alert["count"]),
        "first_seen": format_time(first_seen) if first_seen else "",
        **llm_annotations(alert),
    }
    link = suppress_url(config, alert["pattern_hash"], alert["source"], alert["starts_at"], now)
    if link:
        annotations["suppress_url"] = link
    starts_at: datetime = alert["starts_at"]
    if resolved:
        ends_at = max(alert.get("ends_at") or now, starts_at)
    else:
        ends_at = now + config.alerting.firing_ttl()
    payload: dict[str, Any] = {
        "labels": {k: v for k, v in labels.items() if v},
        "annotations": {
            k: v if k == "suppress_url" else _cut(v, limit) for k, v in annotations.items() if v
        },
        "startsAt": format_time(starts_at),
        "endsAt": format_time(ends_at),
    }
    template = config.alerting.generator_url
    if template:
        payload["generatorURL"] = template.replace(
            "{pattern_id}", quote(alert["pattern_hash"], safe="")
        ).replace("{source}", quote(alert["source"], safe=""))
    return payload


def suppress_url(
    config: Config, pattern_id: str, source: str, starts_at: datetime, now: datetime
) -> str | None:
    """The one-click suppress link (``ailert serve``), stable within each ``link_ttl`` period."""
    base = config.alerting.external_url
    secret = secret_from_env(config)
    if not base or secret is None:
        return None
    ttl = config.alerting.link_ttl
    expires = starts_at + ttl * (1 + max(now - starts_at, timedelta(0)) // ttl)
    token = make_token(secret, pattern_id, source or None, expires)
    return f"{base.rstrip('/')}/suppress?token={token}"


def _decide(
    config: Config,
    findings: Sequence[FindingLike],
    suppressions: list[Suppression],
    report: AlertReport,
) -> list[tuple[Decision, bool]]:
    decided: list[tuple[Decision, bool]] = []
    for finding in findings:
        decision = evaluate(config.alerting, finding)
        if decision is None:
            report.ignored += 1
            continue
        supp = find_suppression(suppressions, decision.pattern_hash, decision.source)
        escalated = (
            supp is not None
            and decision.rule.escalate
            and is_escalated(supp, finding.current_rate, finding.baseline_rate)
        )
        if escalated:
            report.escalated += 1
        elif supp is not None:
            report.suppressed += 1
        decided.append((decision, escalated))
    return decided


def _apply(
    store: Store, config: Config, decided: list[tuple[Decision, bool]], now: datetime
) -> tuple[set[int], list[int]]:
    """Open or refresh episodes: (ids whose condition held now, ids opened now)."""
    initial = "pending" if config.alertmanager is not None else "firing"
    open_ids = {row["alert_key"]: int(row["alert_id"]) for row in store.query("alerts/open_alerts")}
    held: set[int] = set()
    opened: list[int] = []
    for decision, escalated in decided:
        f = decision.finding
        key = _alert_key(decision.alertname, decision.source, decision.pattern_hash, escalated)
        shown = {
            "level": decision.level, "severity": decision.severity,
            "rule": decision.rule.name, "template": f.template or f"({decision.kind})",
            "sample": redact(f.sample or ""), "description": describe(decision, escalated),
            "count": int(_num(f.current_count)), "score": f.score, "now": now,
        }  # fmt: skip
        if key in open_ids and decision.kind == "new":
            # change detection reports a pattern as new for its whole window; the episode
            # stays alive only while the pattern logs more lines (see _lifecycle)
            continue
        if key in open_ids:
            store.run("alerts/update_seen", {"alert_id": open_ids[key], **shown})
        else:
            params = {
                **shown, "alert_key": key, "alertname": decision.alertname,
                "kind": decision.kind, "pattern_hash": decision.pattern_hash,
                "source": decision.source, "escalated": escalated,
                "pattern_first_seen": f.first_seen, "state": initial, "suppressed": False,
                "muted": False,
            }  # fmt: skip
            open_ids[key] = int(store.run("alerts/insert_alert", params).fetchall()[0][0])
            opened.append(open_ids[key])
        held.add(open_ids[key])
    return held, opened


def _lifecycle(
    store: Store,
    config: Config,
    held: set[int],
    suppressions: list[Suppression],
    now: datetime,
) -> list[int]:
    """Keep new-pattern alerts alive while lines come, mark suppression, resolve quiet ones."""
    silences = config.alertmanager is not None
    resolved: list[int] = []
    for alert in store.query("alerts/open_alerts"):
        alert_id = int(alert["alert_id"])
        total, last = alert["pattern_total"], alert["last_total"]
        if alert["kind"] == "new" and total is not None and total > (last or 0):
            store.run("alerts/touch_alert", {"alert_id": alert_id, "total": total, "now": now})
            held.add(alert_id)
        supp = None
        if not alert["escalated"]:
            supp = find_suppression(suppressions, alert["pattern_hash"], alert["source"])
        muted = supp is not None and not (silences and supp.silenced)
        flags = {"alert_id": alert_id, "suppressed": supp is not None, "muted": muted}
        store.run("alerts/set_suppression", {**flags, "now": now})
        quiet = now - alert["last_seen_at"] >= config.alerting.resolve_after
        if alert_id not in held and quiet:
            store.run("alerts/resolve_alert", {"alert_id": alert_id, "ends_at": now, "now": now})
            resolved.append(alert_id)
    return resolved


def process_findings(
    store: Store,
    config: Config,
    findings: Sequence[FindingLike],
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
) -> AlertReport:
    """Apply rules and suppressions to a tick's findings, update the alert lifecycle, and
    deliver (see the module docstring). ``transport`` is for tests (``httpx.MockTransport``)."""
    report = AlertReport()
    config = with_stored_rules(store, config)  # applied alert rules, after the config's
    am = config.alertmanager
    if am is not None and am.silences:
        report.silences = sync_silences(store, config, now, transport=transport)
    suppressions = active_suppressions(store, now)
    decided = _decide(config, findings, suppressions, report)
    if config.llm is not None:  # the LLM judge may suppress; its verdicts annotate the alerts
        report.llm = judge_decisions(store, config, decided, now, transport=transport)
        suppressions = active_suppressions(store, now)
    with store.transaction():
        held, opened = _apply(store, config, decided, now)
        if report.llm is not None:
            annotate_alerts(store, report.llm, now)
        resolved = _lifecycle(store, config, held, suppressions, now)
        if am is not None:
            _enqueue(store, config, now, resolved)
        else:
            for alert in store.query("alerts/open_alerts"):
                params = {"alert_id": alert["alert_id"], "now": now, "sent": False}
                store.run("alerts/fire_alert", params)
    if am is not None:
        report.delivery = flush_outbox(store, am, now, transport=transport)
    views = {
        int(r["alert_id"]): AlertView.from_row(r)
        for r in store.query("alerts/alerts_by_id", {"ids": [*opened, *resolved]})
    }
    report.fired = [views[i] for i in opened]
    report.resolved = [views[i] for i in resolved]
    report.open = [AlertView.from_row(r) for r in store.query("alerts/open_alerts")]
    return report


def _enqueue(store: Store, config: Config, now: datetime, resolved_ids: list[int]) -> None:
    """Queue a post of every open, unmuted episode and of each just-resolved one."""
    assert config.alertmanager is not None
    rows = store.query("alerts/open_alerts")
    if resolved_ids:
        rows += store.query("alerts/alerts_by_id", {"ids": resolved_ids})
    for alert in rows:
        is_resolved = alert["state"] == "resolved"
        if alert["muted"] and not (is_resolved and alert["first_sent_at"] is not None):
            continue
        payload = json.dumps(build_payload(alert, config, now, resolved=is_resolved))
        for url in config.alertmanager.urls:
            params = {"alert_id": alert["alert_id"], "url": url}
            store.run("alerts/outbox_drop_queued", params)
            queued = {**params, "payload": payload, "resolved": is_resolved, "now": now}
            store.run("alerts/outbox_insert", queued)


def _backoff(settings: AlertmanagerSettings, failures: int) -> timedelta:
    """Delay before the next attempt after ``failures`` consecutive failures (0 for the first
    retry when ``retry_backoff`` is 0s: every tick tries again)."""
    delay: timedelta = settings.retry_backoff * (2 ** min(max(failures - 1, 0), 16))
    return min(delay, settings.retry_backoff_max)


def flush_outbox(
    store: Store,
    settings: AlertmanagerSettings,
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
) -> DeliveryReport:
    """Post what the outbox holds to each Alertmanager; nothing is lost, nothing duplicated
    (a re-post of the same labels and ``startsAt`` is the same alert to Alertmanager)."""
    report = DeliveryReport()
    for url in settings.urls:
        target = store.query("alerts/target", {"url": url})
        due = target[0]["next_attempt_at"] if target else None
        if due is not None and now < due:
            report.deferred.append(url)
            report.errors[url] = str(target[0]["last_error"])
            continue
        rows = store.query("alerts/outbox_queued", {"url": url})
        if not rows:
            continue
        with AlertmanagerClient(url, timeout=settings.timeout, transport=transport) as client:
            result = client.post_alerts_split([json.loads(r["payload"]) for r in rows])
        failures = (int(target[0]["failures"]) if target else 0) + 1
        with store.transaction():
            for index, row in enumerate(rows):
                if index in result.rejected:
                    status, error = "rejected", result.rejected[index]
                elif index in result.accepted:
                    status, error = "sent", None
                    store.run(
                        "alerts/fire_alert", {"alert_id": row["alert_id"], "now": now, "sent": True}
                    )
                else:
                    status, error = "queued", result.error
                store.run(
                    "alerts/outbox_result",
                    {"outbox_id": row["outbox_id"], "status": status, "error": error, "now": now},
                )
            ok = result.error is None
            store.run("alerts/target_result", {
                "url": url, "ok": ok, "now": now, "error": result.error,
                "next_attempt_at": None if ok else now + _backoff(settings, failures),
                "posted": len(result.accepted), "rejected": len(result.rejected),
            })  # fmt: skip
            store.run("alerts/outbox_prune", {"before": now - timedelta(days=1)})
        report.sent += len(result.accepted)
        report.rejected += len(result.rejected)
        if result.error:
            report.errors[url] = result.error
    report.queued = {r["url"]: int(r["queued"]) for r in store.query("alerts/outbox_counts")}
    return report
