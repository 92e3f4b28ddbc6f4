"""Rule suggestions: what to suppress, what to always alert on, which steady patterns are
heartbeats, which variable fragments patterns — proposed with evidence, applied or rejected by
a person (``ailert rules …``), kept in the ``rules`` table with who, when and why.

:func:`suggest_rules` proposes from statistics alone (no LLM needed):

- **suppress** — a pattern people suppressed by hand ``manual_suppressions`` times or more;
- **alert** — a pattern that reads like a failure (``failed``, ``refused``, …) but is logged
  below warn, was found by change detection and never alerted;
- **heartbeat** — a pattern present in every hour of the look-back (at least
  ``heartbeat_hours``), regular enough (hourly counts' coefficient of variation at most
  ``heartbeat_max_cv``): alert when it is gone;
- **mask** — ``mask_min_patterns`` patterns or more of one source and level that differ in one
  token only: a mask rule for that token, anchored on its neighbours, joins them.

With the LLM judge configured (and not ``use_llm=False``) it also asks the judge about the
patterns that alerted in the look-back (cached, budgeted, never acting on its own here) and
proposes **suppress** for what it calls noise with confidence and **alert** for what it would
escalate. :func:`apply_rule` makes a rule real: a suppression (and its Alertmanager silence),
or an alert / heartbeat / mask rule that every later tick reads (:func:`with_stored_rules`,
:func:`stored_pattern_settings`). A rejected rule is never proposed again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from ailert.config import Config, MaskRule, PatternSettings
from ailert.errors import AIlertError
from ailert.notify.settings import AlertRule
from ailert.redact import redact
from ailert.store import Store
from ailert.triage.judge import JudgeReport, Target, judge_targets
from ailert.triage.suppress import suppress

__all__ = [
    "RULE_KINDS",
    "SuggestReport",
    "SuggestThresholds",
    "Suggestion",
    "apply_rule",
    "list_rules",
    "reject_rule",
    "stored_pattern_settings",
    "suggest_rules",
    "with_stored_rules",
]

RULE_KINDS = ("suppress", "alert", "heartbeat", "mask")
FAILURE_WORDS = (
    r"fail|error|exception|fatal|panic|refused|denied|timed? ?out|unreachable|corrupt|crash|"
    r"abort|lost|traceback|segfault|oom|killed"
)
_WILDCARD = "<*>"
_META = re.compile(r"([\\.+*?()|\[\]{}^$#&~-])")


@dataclass(frozen=True)
class SuggestThresholds:
    """How much evidence each kind of suggestion needs."""

    manual_suppressions: int = 3
    suppress_for: timedelta = timedelta(days=90)
    heartbeat_hours: int = 24
    heartbeat_max_cv: float = 0.5
    heartbeats_per_source: int = 5
    mask_min_patterns: int = 5
    llm_min_confidence: float = 0.7


@dataclass(frozen=True)
class Suggestion:
    kind: str
    source: str | None
    pattern_id: str | None
    template: str | None
    spec: dict[str, Any]
    evidence: str
    origin: str = "stats"
    confidence: float | None = None

    @property
    def rule_id(self) -> str:
        text = "\x1f".join(
            (
                self.kind,
                self.source or "",
                self.pattern_id or "",
                json.dumps(self.spec, sort_keys=True),
            )
        )
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:8]


@dataclass
class SuggestReport:
    since: datetime
    proposed: list[dict[str, Any]] = field(default_factory=list)
    new: int = 0
    llm: JudgeReport | None = None
    errors: list[str] = field(default_factory=list)


def suggest_rules(
    store: Store,
    config: Config,
    now: datetime,
    *,
    since: datetime,
    use_llm: bool = True,
    thresholds: SuggestThresholds | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SuggestReport:
    """Propose rules from the look-back ``[since, now)`` (see the module docstring) and record
    them; returns every rule found, new or already known, with its status."""
    limits = thresholds or SuggestThresholds()
    report = SuggestReport(since)
    found = [
        *_manual(store, since, limits),
        *_quiet_failures(store, since),
        *_heartbeats(store, since, now, limits),
        *_masks(store, since, limits),
    ]
    if use_llm and config.llm is not None:
        report.llm = _judge_recent(store, config, since, now, transport)
        report.errors += report.llm.errors
        found += _from_verdicts(store, since, now, limits)
    unique = list({s.rule_id: s for s in found}.values())
    known = {r["rule_id"] for r in store.query("rules/get", {"ids": [s.rule_id for s in unique]})}
    with store.transaction():
        for s in unique:
            params = {k: v for k, v in asdict(s).items() if k != "spec"}
            by = f"llm:{config.llm.model}" if s.origin == "llm" and config.llm else "ailert"
            store.run("rules/upsert", {
                **params, "rule_id": s.rule_id, "spec": json.dumps(s.spec, sort_keys=True),
                "proposed_by": by, "now": now,
            })  # fmt: skip
    report.new = len({s.rule_id for s in unique} - known)
    report.proposed = store.query("rules/get", {"ids": [s.rule_id for s in unique]})
    return report


def _manual(store: Store, since: datetime, limits: SuggestThresholds) -> list[Suggestion]:
    rows = store.query(
        "rules/manual_suppressions", {"since": since, "min_count": limits.manual_suppressions}
    )
    days = limits.suppress_for.days
    return [
        Suggestion(
            "suppress",
            r["source"],
            r["pattern_id"],
            r["template"],
            {"for_seconds": int(limits.suppress_for.total_seconds())},
            f"suppressed by hand {r['suppressions']} times since {since:%Y-%m-%d} "
            f"({r['alerts']} alert episodes); last reason: {redact(r['last_reason'] or '-')}; "
            f"suppress it for {days} days",
        )
        for r in rows
    ]


def _quiet_failures(store: Store, since: datetime) -> list[Suggestion]:
    rows = store.query("rules/quiet_failures", {"since": since, "words": FAILURE_WORDS})
    found = []
    for r in rows:
        rule = AlertRule(
            name=f"always-{r['pattern_id']}", patterns=[r["pattern_id"]], sources=[r["source"]],
            kinds=["new", "rate_shift"], severity="warning",
        )  # fmt: skip
        word = re.search(FAILURE_WORDS, r["template"].lower())
        found.append(Suggestion(
            "alert", r["source"], r["pattern_id"], r["template"],
            rule.model_dump(exclude_defaults=True),
            f"reads like a failure ({word.group(0) if word else '?'!r}) but is logged at "
            f"{r['level']}: found {r['findings']} times since {since:%Y-%m-%d %H:%M}, never "
            "alerted; alert on it when it is new or spikes",
        ))  # fmt: skip
    return found


def _heartbeats(
    store: Store, since: datetime, now: datetime, limits: SuggestThresholds
) -> list[Suggestion]:
    start = since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    end = now.replace(minute=0, second=0, microsecond=0)
    rows = store.query("rules/steady", {
        "since": start, "until": end, "min_hours": limits.heartbeat_hours,
        "max_cv": limits.heartbeat_max_cv, "per_source": limits.heartbeats_per_source,
    })  # fmt: skip
    found = []
    for r in rows:
        rule = AlertRule(
            name=f"heartbeat-{r['pattern_id']}", kinds=["gone"], patterns=[r["pattern_id"]],
            sources=[r["source"]], severity="warning",
        )  # fmt: skip
        found.append(Suggestion(
            "heartbeat", r["source"], r["pattern_id"], r["template"],
            rule.model_dump(exclude_defaults=True),
            f"present in every one of the last {r['hours']} hours, {r['mean']:.0f} lines an "
            f"hour on average (at least {r['low']}, variation {r['cv']:.2f}); alert when it "
            "stops",
        ))  # fmt: skip
    return found


def _escape(token: str) -> str:
    return _META.sub(r"\\\1", token)


def _value_class(values: list[str]) -> str | None:
    """One character class covering every value (letters, digits, ``_ . - : @ /``)."""
    chars = set("".join(values))
    if not chars or not chars <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:@/"
    ):
        return None
    parts = []
    if chars & set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        parts.append("A-Za-z")
    if chars & set("0123456789"):
        parts.append("0-9")
    parts += [_escape(c) for c in "_.:@/" if c in chars]
    if "-" in chars:
        parts.append("-")  # last in the class: a literal hyphen
    return "[" + "".join(parts) + "]+"


def _masks(store: Store, since: datetime, limits: SuggestThresholds) -> list[Suggestion]:
    groups: dict[tuple[str, str, int, tuple[str, ...]], list[list[str]]] = defaultdict(list)
    for row in store.query("rules/recent_patterns", {"since": since}):
        tokens = row["template"].split(" ")[:64]
        for i, token in enumerate(tokens):
            if _WILDCARD in token:
                continue
            rest = (*tokens[:i], "\x00", *tokens[i + 1 :])
            groups[(row["source"], row["level"], i, rest)].append(tokens)
    found = []
    for (source, _level, i, rest), members in sorted(groups.items(), key=lambda g: -len(g[1])):
        values = sorted({m[i] for m in members})
        if len(values) < limits.mask_min_patterns:
            continue
        suggestion = _mask_for(source, i, list(rest), values)
        if suggestion is not None and _joins(suggestion.spec, [" ".join(m) for m in members]):
            found.append(suggestion)
    return found


def _joins(spec: dict[str, Any], templates: list[str]) -> bool:
    """The mask rule, run as the engine runs it (Polars), makes the templates one."""
    import polars as pl

    replace = str(spec["replace"]).replace("$", "$$")
    masked = pl.Series(templates, dtype=pl.String).str.replace_all(spec["regex"], replace)
    return masked.n_unique() == 1


def _mask_for(source: str, i: int, tokens: list[str], values: list[str]) -> Suggestion | None:
    value = _value_class(values)
    before = tokens[i - 1] if i > 0 and _WILDCARD not in tokens[i - 1] else None
    after = tokens[i + 1] if i + 1 < len(tokens) and _WILDCARD not in tokens[i + 1] else None
    if value is None or (before is None and after is None):
        return None
    regex = "".join(
        (
            f"{_escape(before)}[ \t]+" if before else "",
            value,
            f"[ \t]+{_escape(after)}" if after else "",
        )
    )
    replace = " ".join(t for t in (before, _WILDCARD, after) if t)
    name = f"suggested-{hashlib.md5(regex.encode(), usedforsecurity=False).hexdigest()[:6]}"
    template = " ".join(_WILDCARD if t == "\x00" else t for t in tokens)
    shown = ", ".join(values[:5]) + (", …" if len(values) > 5 else "")
    return Suggestion(
        "mask", source, None, template, {"name": name, "regex": regex, "replace": replace},
        f"{len(values)} patterns of source {source} differ only in token {i + 1} "
        f"({redact(shown)}): masking it joins them into one pattern",
    )  # fmt: skip


def _judge_recent(
    store: Store, config: Config, since: datetime, now: datetime, transport: Any
) -> JudgeReport:
    targets = [
        Target(r["pattern_hash"], r["source"], r["level"], r["kind"], r["template"],
               r["sample"], {"window_lines": r["count"]})
        for r in store.query("rules/recent_alerts", {"since": since})
    ]  # fmt: skip
    return judge_targets(store, config, targets, now, act=False, transport=transport)


def _from_verdicts(
    store: Store, since: datetime, now: datetime, limits: SuggestThresholds
) -> list[Suggestion]:
    found = []
    for r in store.query("rules/verdicts", {"since": since, "now": now}):
        if r["confidence"] < limits.llm_min_confidence:
            continue
        said = (
            f"LLM judge ({r['model']}): {r['verdict']}, {r['category']}, confidence "
            f"{r['confidence']:.2f}: {r['reason']}"
        )
        if r["verdict"] == "suppress":
            spec: dict[str, Any] = {"for_seconds": int(limits.suppress_for.total_seconds())}
            kind = "suppress"
        else:
            kind = "alert"
            spec = AlertRule(
                name=f"always-{r['pattern_id']}", patterns=[r["pattern_id"]],
                sources=[r["source"]], severity="critical",
            ).model_dump(exclude_defaults=True)  # fmt: skip
        found.append(Suggestion(
            kind, r["source"], r["pattern_id"], r["template"], spec, said, "llm", r["confidence"]
        ))  # fmt: skip
    return found


def list_rules(store: Store, status: str | None = None) -> list[dict[str, Any]]:
    if status not in (None, "proposed", "applied", "rejected"):
        raise AIlertError(f"unknown status {status!r}; expected proposed, applied or rejected")
    return store.query("rules/list", {"status": status})


def _rule(store: Store, rule_id: str) -> dict[str, Any]:
    rows = store.query("rules/get", {"ids": [rule_id]})
    if not rows:
        raise AIlertError(f"no rule {rule_id!r} (list them with `ailert rules list`)")
    return rows[0]


def apply_rule(
    store: Store,
    config: Config,
    rule_id: str,
    *,
    now: datetime,
    by: str,
    reason: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Make a proposed (or rejected) rule real; returns its row and a warning (a silence that
    will be created on a later tick)."""
    rule = _rule(store, rule_id)
    if rule["status"] == "applied":
        raise AIlertError(f"rule {rule_id} is already applied (by {rule['decided_by']})")
    spec = json.loads(rule["spec"])
    warning, suppression_id = None, None
    why = reason or f"rule {rule_id}: {rule['evidence']}"
    if rule["kind"] == "suppress":
        done = suppress(
            store, config, rule["pattern_id"], now=now, by=by, source=rule["source"],
            duration=timedelta(seconds=spec["for_seconds"]), reason=why[:500],
            transport=transport,
        )  # fmt: skip
        warning, suppression_id = done.silence_error, done.suppression.suppression_id
    elif rule["kind"] == "mask":
        from ailert.patterns.masking import check_rule

        check_rule(MaskRule(**spec))
    else:
        AlertRule(**spec)
    with store.transaction():
        store.run("rules/decide", {
            "rule_id": rule_id, "status": "applied", "by": by, "reason": reason,
            "suppression_id": suppression_id, "now": now,
        })  # fmt: skip
    return _rule(store, rule_id), warning


def reject_rule(
    store: Store, rule_id: str, *, now: datetime, by: str, reason: str | None = None
) -> dict[str, Any]:
    """Reject a rule: it is not proposed again; an applied alert or mask rule stops applying."""
    rule = _rule(store, rule_id)
    if rule["status"] == "applied" and rule["kind"] == "suppress":
        raise AIlertError(
            f"rule {rule_id} is an applied suppression: end it with "
            f"`ailert unsuppress {rule['pattern_id']}`"
        )
    with store.transaction():
        store.run("rules/decide", {
            "rule_id": rule_id, "status": "rejected", "by": by, "reason": reason,
            "suppression_id": None, "now": now,
        })  # fmt: skip
    return _rule(store, rule_id)


def with_stored_rules(store: Store, config: Config) -> Config:
    """``config`` with the applied alert and heartbeat rules after its own (or the default)
    rules — first match wins, so the config's rules come first."""
    rows = store.query("rules/applied", {"kinds": ["alert", "heartbeat"]})
    if not rows:
        return config
    stored = [AlertRule(**json.loads(r["spec"])) for r in rows]
    rules = [*config.alerting.effective_rules(), *stored]
    return config.model_copy(
        update={"alerting": config.alerting.model_copy(update={"rules": rules})}
    )


def stored_pattern_settings(store: Store, settings: PatternSettings) -> PatternSettings:
    """``settings`` with the applied mask rules appended to ``patterns.masks``."""
    rows = store.query("rules/applied", {"kinds": ["mask"]})
    if not rows:
        return settings
    masks = [*settings.masks, *(MaskRule(**json.loads(r["spec"])) for r in rows)]
    return settings.model_copy(update={"masks": masks})
