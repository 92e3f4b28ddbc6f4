"""Alert rules: which findings alert, under which alertname and with which severity.

Rules come from ``alerting.rules`` in ``ailert.yaml`` and are tried in order; the first rule
that matches a finding decides (``action: alert`` or ``ignore``). Put source-specific rules
first to override general ones. With no rules, the defaults alert on ``new`` patterns at
level warn or above and on upward ``rate_shift``.

Findings come from change detection (``ailert.diff``); anything with the attributes of
:class:`FindingLike` is accepted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Protocol

from ailert.notify.settings import AlertingSettings, AlertRule

__all__ = [
    "ALERTNAMES",
    "Decision",
    "FindingLike",
    "evaluate",
    "finding_kind",
    "level_rank",
    "pattern_hash_of",
]

ALERTNAMES = {
    "new": "AIlertNewPattern",
    "rate_shift": "AIlertPatternSpike",
    "gone": "AIlertPatternGone",
    "level_drift": "AIlertLevelDrift",
    "format_drift": "AIlertFormatDrift",
}
_LEVEL_RANK = {
    "trace": 0,
    "debug": 1,
    "info": 2,
    "unknown": 2,
    "warn": 3,
    "error": 4,
    "fatal": 5,
}


class FindingLike(Protocol):
    """What change detection reports (``ailert.diff.Finding`` has these attributes)."""

    @property
    def kind(self) -> str | Enum: ...
    @property
    def pattern_id(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def level(self) -> str | None: ...
    @property
    def template(self) -> str | None: ...
    @property
    def sample(self) -> str | None: ...
    @property
    def current_count(self) -> float | None: ...
    @property
    def baseline_count(self) -> float | None: ...
    @property
    def current_rate(self) -> float | None: ...
    @property
    def baseline_rate(self) -> float | None: ...
    @property
    def score(self) -> float | None: ...
    @property
    def first_seen(self) -> datetime | None: ...
    @property
    def last_seen(self) -> datetime | None: ...


@dataclass(frozen=True)
class Decision:
    """A finding that alerts: the rule that matched and the alert's identity."""

    finding: FindingLike
    kind: str
    rule: AlertRule
    alertname: str
    pattern_hash: str
    source: str
    level: str
    severity: str


def finding_kind(finding: FindingLike) -> str:
    kind = finding.kind
    return str(kind.value) if isinstance(kind, Enum) else str(kind)


def level_rank(level: str | None) -> int:
    return _LEVEL_RANK.get((level or "unknown").lower(), 2)


def pattern_hash_of(finding: FindingLike) -> str:
    """The ``pattern_hash`` label: the pattern id, or for a source-wide finding (level or
    format drift) a stable 16-hex id of (kind, source)."""
    if finding.pattern_id:
        return finding.pattern_id
    key = f"{finding_kind(finding)}\x1f{finding.source or ''}"
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()[:16]


@cache
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def _direction(finding: FindingLike) -> str:
    current = finding.current_rate or 0.0
    baseline = finding.baseline_rate or 0.0
    return "up" if current >= baseline else "down"


def matches(rule: AlertRule, finding: FindingLike) -> bool:
    kind = finding_kind(finding)
    if rule.kinds and kind not in rule.kinds:
        return False
    if rule.sources and (finding.source or "") not in rule.sources:
        return False
    if rule.patterns and (finding.pattern_id or "") not in rule.patterns:
        return False
    if rule.template is not None and not _compiled(rule.template).search(finding.template or ""):
        return False
    if rule.min_level is not None and level_rank(finding.level) < level_rank(rule.min_level):
        return False
    if rule.min_score is not None and (finding.score or 0.0) < rule.min_score:
        return False
    return rule.direction == "any" or _direction(finding) == rule.direction


def _severity(settings: AlertingSettings, rule: AlertRule, kind: str, level: str) -> str:
    if rule.severity is not None:
        return rule.severity
    by_kind = settings.severity_by_kind.get(kind)  # type: ignore[call-overload]
    if by_kind is not None:
        return str(by_kind)
    return settings.severity_by_level.get(level, "warning")


def evaluate(settings: AlertingSettings, finding: FindingLike) -> Decision | None:
    """The first matching rule's decision, or None when no rule alerts on the finding."""
    for rule in settings.effective_rules():
        if not matches(rule, finding):
            continue
        if rule.action == "ignore":
            return None
        kind = finding_kind(finding)
        level = (finding.level or "unknown").lower()
        return Decision(
            finding=finding,
            kind=kind,
            rule=rule,
            alertname=ALERTNAMES.get(kind, "AIlertFinding"),
            pattern_hash=pattern_hash_of(finding),
            source=finding.source or "",
            level=level,
            severity=_severity(settings, rule, kind, level),
        )
    return None
