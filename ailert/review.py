"""``ailert review``: the periodic job (hourly, ``jobs/ailert-review.timer``) that looks back.

1. **Train** the recent window ``[now - since, now)`` for each source ticks have not read yet
   (a cold start, as ``ailert train``); a source the ticks already read is skipped — the ticks
   learn from it.
2. **Detect** changes over the same window against the window before it (reported here; the
   ticks alert).
3. **Suggest** rules over the look-back (:func:`ailert.triage.suggest.suggest_rules`).
4. **Apply** the proposed rules whose kind the policy (``apply``: the ``--apply`` option)
   allows; every other rule waits for a person (``ailert rules apply ID``).

It returns a :class:`ReviewReport` of what it did; nothing here alerts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from ailert.changes import diff_thresholds
from ailert.config import Config, FileSource
from ailert.diff import Window, detect_changes
from ailert.errors import AIlertError
from ailert.store import Store, open_store, snapshot
from ailert.triage.suggest import RULE_KINDS, SuggestReport, apply_rule, suggest_rules

__all__ = ["ReviewReport", "run_review"]


@dataclass
class ReviewReport:
    """What one review did."""

    window: Window
    lookback_since: datetime
    trained: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    suggestions: SuggestReport | None = None
    applied: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _open(config: Config) -> Store:
    return open_store(config.store_path(), lock_wait=config.tick.store_lock_wait)


def _untouched(store: Store, config: Config, window: Window) -> dict[str, str | datetime]:
    """Per source: the start of its training range, or why it is skipped."""
    from ailert.sources.pull import load_cursor

    plan: dict[str, str | datetime] = {}
    for source in config.sources:
        if isinstance(source, FileSource):
            read = any(c.byte_offset > 0 for c in snapshot.load_file_cursors(store, source.name))
        else:
            read = load_cursor(store, source.name) is not None
        trained = snapshot.load_state(store, source.name).trained_until
        if read:
            plan[source.name] = "read by ticks: they learn from it"
        elif trained is not None and trained >= window.end:
            plan[source.name] = f"trained up to {trained:%Y-%m-%d %H:%M} UTC"
        else:
            plan[source.name] = max(window.start, trained or window.start)
    return plan


def _train(config: Config, window: Window, report: ReviewReport) -> None:
    from ailert.pipeline import run_train

    with _open(config) as store:
        plan = _untouched(store, config, window)
    for name, start in plan.items():
        if isinstance(start, str):
            report.skipped[name] = start
            continue
        try:
            trained = run_train(config, start, window.end, [name])
        except AIlertError as exc:
            report.errors.append(f"train {name}: {exc}")
            continue
        for s in trained.sources:
            report.trained.append({
                "source": s.source, "since": start, "lines": s.lines_read, "records": s.records,
                "patterns": s.patterns_seen, "errors": s.errors,
            })  # fmt: skip
            report.errors += [f"train {s.source}: {e}" for e in s.errors]


def run_review(
    config: Config,
    now: datetime,
    *,
    since: timedelta = timedelta(hours=1),
    lookback: timedelta = timedelta(days=7),
    apply: Collection[str] = (),
    use_llm: bool = True,
    by: str = "ailert-review",
    transport: httpx.BaseTransport | None = None,
) -> ReviewReport:
    """Train, detect, suggest, apply (see the module docstring)."""
    unknown = sorted(set(apply) - set(RULE_KINDS))
    if unknown:
        raise AIlertError(f"--apply: unknown rule kinds {unknown}; expected {list(RULE_KINDS)}")
    window = Window(now - since, now)
    report = ReviewReport(window, now - lookback)
    _train(config, window, report)
    with _open(config) as store:
        baseline = Window(window.start - since, window.start)
        thresholds = diff_thresholds(config.detect)
        found = detect_changes(store.con, window, baseline, thresholds=thresholds)
        report.findings = [
            {"kind": str(f.kind), "source": f.source, "pattern_id": f.pattern_id,
             "level": f.level, "template": f.template, "score": round(f.score, 2)}
            for f in found
        ]  # fmt: skip
        suggestions = suggest_rules(
            store, config, now, since=now - lookback, use_llm=use_llm, transport=transport
        )
        report.suggestions = suggestions
        report.errors += suggestions.errors
        for rule in suggestions.proposed:
            if rule["status"] != "proposed" or rule["kind"] not in apply:
                continue
            try:
                row, warning = apply_rule(
                    store, config, rule["rule_id"], now=now, by=by,
                    reason=f"applied by policy (--apply {rule['kind']})", transport=transport,
                )  # fmt: skip
            except AIlertError as exc:
                report.errors.append(f"apply {rule['rule_id']}: {exc}")
                continue
            report.applied.append(row)
            if warning:
                report.errors.append(warning)
    return report
