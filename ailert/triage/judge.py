"""The LLM judge in a tick: which findings are judged, the cache, the budget, the policy.

:func:`judge_decisions` runs between rule evaluation and the alert updates of
:func:`ailert.notify.alerts.process_findings`, only with ``llm:`` in the config:

1. **What.** Findings about to alert whose kind is in ``llm.policy.kinds`` (new patterns and
   rate shifts), one per (pattern, source); not escalated ones, not already suppressed ones.
2. **Cache.** A verdict is kept per (pattern, source, prompt version, model) in
   ``llm_verdicts``: a pattern is judged once, not every tick.
3. **Calls.** The others go in batches of ``llm.batch_size`` (:class:`ailert.triage.llm.LlmClient`)
   within the tick's deadline (``llm.timeout``) and budget (``llm.budget``: calls and tokens
   per tick and per UTC day, counted in ``llm_calls``). The first failed call ends the calls of
   the tick, and later ticks wait ``llm.backoff`` before calling again.
4. **Policy.** A ``suppress`` verdict with enough confidence, on a pattern below ``max_level``
   that never had a suppression, becomes a suppression by ``llm:<model>`` (and an Alertmanager
   silence, like any other) — but only from a request that held no other pattern's log text: a
   batched verdict is first confirmed by asking about the pattern alone (``confirm_alone``).
5. **Fail open.** Whatever goes wrong, the alert goes out; its ``llm_verdict`` annotation says
   ``not judged`` and ``llm_reason`` why. Nothing here raises.

:func:`annotate_alerts` then writes each verdict onto the open alerts of its pattern, and
:func:`llm_annotations` turns an alert row into the ``llm_*`` annotations Alertmanager gets.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ailert.config import Config
from ailert.errors import AIlertError
from ailert.notify.llm_settings import LlmSettings
from ailert.redact import redact
from ailert.store import Store
from ailert.triage.evidence import SEP, Target, pattern_inputs, suppression_examples
from ailert.triage.llm import (
    PROMPT_VERSION,
    LlmClient,
    LlmError,
    PatternInput,
    Usage,
    Verdict,
    build_messages,
)
from ailert.triage.rules import Decision, level_rank
from ailert.triage.suppress import active_suppressions, find_suppression, suppress

__all__ = [
    "NOT_JUDGED",
    "JudgeReport",
    "Note",
    "Target",
    "annotate_alerts",
    "judge_decisions",
    "judge_targets",
    "llm_annotations",
]

NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Note:
    """The judge's word on one pattern, as shown in the alert."""

    pattern_id: str
    source: str
    verdict: str  # suppress | notify | escalate | not judged
    confidence: float | None
    category: str | None
    reason: str
    cached: bool = False
    auto_suppressed: bool = False


@dataclass
class JudgeReport:
    """What the judge did in one tick."""

    model: str
    calls: int = 0
    tokens: int = 0
    judged: int = 0
    confirmed: int = 0
    cached: int = 0
    not_judged: int = 0
    ignored: int = 0
    response_format: str | None = None
    suppressed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


@dataclass
class _Judged:
    verdict: Verdict
    alone: bool
    applied: bool = False
    cached: bool = False


def judge_decisions(
    store: Store,
    config: Config,
    decided: Sequence[tuple[Decision, bool]],
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
) -> JudgeReport:
    """Judge the findings about to alert and apply the policy (see the module docstring)."""
    assert config.llm is not None
    kinds = set(config.llm.policy.kinds)
    suppressions = active_suppressions(store, now)
    targets: dict[str, Target] = {}
    for decision, escalated in decided:
        f = decision.finding
        if escalated or decision.kind not in kinds or not f.pattern_id:
            continue
        if find_suppression(suppressions, decision.pattern_hash, decision.source) is not None:
            continue
        counts = {
            "window_lines": f.current_count, "baseline_lines": f.baseline_count,
            "window_rate_per_min": f.current_rate, "baseline_rate_per_min": f.baseline_rate,
        }  # fmt: skip
        target = Target(
            f.pattern_id, decision.source, decision.level, decision.kind,
            f.template or "", f.sample or "", counts,
        )  # fmt: skip
        targets.setdefault(target.key, target)
    return judge_targets(store, config, list(targets.values()), now, transport=transport)


def judge_targets(
    store: Store,
    config: Config,
    targets: Sequence[Target],
    now: datetime,
    *,
    act: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> JudgeReport:
    """Verdicts on ``targets`` (cached or asked for); with ``act``, apply the policy. Never
    raises: a failure leaves the targets "not judged"."""
    assert config.llm is not None
    report = JudgeReport(config.llm.model)
    if not targets:
        return report
    judge = _Judge(store, config, config.llm, now, report, transport)
    try:
        judge.run(targets, act)
    except Exception as exc:  # fail open, whatever happened
        judge.stop = f"the judge failed: {type(exc).__name__}: {exc}"
        report.errors.append(judge.stop)
    finally:
        judge.close()
    report.notes = [judge.note(t) for t in targets]
    report.not_judged = sum(n.verdict == NOT_JUDGED for n in report.notes)
    return report


class _Judge:
    def __init__(
        self,
        store: Store,
        config: Config,
        settings: LlmSettings,
        now: datetime,
        report: JudgeReport,
        transport: httpx.BaseTransport | None,
    ) -> None:
        self.store, self.config, self.settings, self.now = store, config, settings, now
        self.report, self.transport = report, transport
        self.deadline = time.monotonic() + settings.timeout.total_seconds()
        self.judged: dict[str, _Judged] = {}
        self.why: dict[str, str] = {}
        self.stop: str | None = None
        self.client: LlmClient | None = None
        self.day_calls = self.day_tokens = 0

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def note(self, target: Target) -> Note:
        judged = self.judged.get(target.key)
        if judged is None:
            why = self.why.get(target.key) or self.stop or "no verdict"
            return Note(target.pattern_id, target.source, NOT_JUDGED, None, None, why)
        v = judged.verdict
        return Note(
            target.pattern_id, target.source, v.verdict, v.confidence, v.category, v.reason,
            cached=judged.cached, auto_suppressed=target.pattern_id in self.report.suppressed,
        )  # fmt: skip

    def run(self, targets: Sequence[Target], act: bool) -> None:
        keys = [t.key for t in targets]
        params = {"keys": keys, "prompt_version": PROMPT_VERSION, "model": self.settings.model}
        for row in self.store.query("llm/verdicts_cached", params):
            verdict = Verdict.model_validate(row)
            key = f"{row['pattern_id']}{SEP}{row['source']}"
            self.judged[key] = _Judged(verdict, row["alone"], row["applied_at"] is not None, True)
        self.report.cached = len(self.judged)
        missing = [t for t in targets if t.key not in self.judged]
        self._check_backoff()
        if missing:
            inputs = pattern_inputs(self.store, self.settings, missing, self.now)
            examples = suppression_examples(self.store, self.settings)
            size = self.settings.batch_size
            for start in range(0, len(missing), size):
                batch = missing[start : start + size]
                self._ask("judge", batch, [inputs[t.key] for t in batch], examples)
        if act and self.settings.policy.auto_suppress:
            self._apply_policy(targets)

    def _check_backoff(self) -> None:
        day = self.now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        usage = self.store.query("llm/usage", {"since": day})[0]
        self.day_calls, self.day_tokens = int(usage["calls"]), int(usage["tokens"])
        failed, ok = usage["last_failure_at"], usage["last_ok_at"]
        if failed is None or (ok is not None and ok > failed):
            return
        if self.now - failed < self.settings.backoff:
            self.stop = (
                f"backing off after a failed LLM call at {failed:%H:%M:%S} UTC "
                f"({usage['last_error']}); next try after llm.backoff"
            )

    def _over_budget(self, estimate: int) -> str | None:
        b, r = self.settings.budget, self.report
        checks = {
            "calls_per_tick": r.calls + 1 > b.calls_per_tick,
            "calls_per_day": self.day_calls + r.calls + 1 > b.calls_per_day,
            "tokens_per_tick": r.tokens + estimate > b.tokens_per_tick,
            "tokens_per_day": self.day_tokens + r.tokens + estimate > b.tokens_per_day,
        }
        over = [name for name, hit in checks.items() if hit]
        return f"LLM budget reached (llm.budget.{over[0]})" if over else None

    def _client(self) -> LlmClient:
        if self.client is None:
            key = os.environ.get(self.settings.api_key_env)
            self.client = LlmClient(self.settings, key)
        return self.client

    def _ask(
        self,
        purpose: str,
        targets: Sequence[Target],
        inputs: Sequence[PatternInput],
        examples: Sequence[dict[str, Any]],
    ) -> bool:
        """One request; stores its verdicts. False when it was not made or failed."""
        if self.stop is not None:
            return False
        messages = build_messages(inputs, examples, nonce="0" * 16)
        estimate = len(str(messages)) // 3 + self.settings.max_tokens
        over = self._over_budget(estimate)
        if over is not None:
            for t in targets:
                self.why.setdefault(t.key, over)
            return False
        started, clock = self.now, time.monotonic()
        fmt: str | None = None
        try:
            answer = self._client().ask(inputs, examples, self.deadline)
        except LlmError as exc:
            usage = exc.usage or Usage()
            self._record(purpose, started, clock, None, len(inputs), str(exc), usage)
            self.stop = f"LLM call failed ({exc.kind}): {exc}"
            self.report.errors.append(self.stop)
            return False
        fmt = self.report.response_format = answer.response_format
        call_id = self._record(purpose, started, clock, fmt, len(inputs), None, answer.usage)
        self.report.ignored += answer.ignored
        alone = len(inputs) == 1 and not examples
        with self.store.transaction():
            for t in targets:
                verdict = answer.verdicts.get(t.pattern_id)
                if verdict is None:
                    self.why[t.key] = answer.invalid.get(t.pattern_id, "no verdict")
                    continue
                self.judged[t.key] = _Judged(verdict, alone)
                if purpose == "confirm":
                    self.report.confirmed += 1
                else:
                    self.report.judged += 1
                self.store.run("llm/verdict_upsert", {
                    **verdict.model_dump(), "source": t.source, "model": self.settings.model,
                    "prompt_version": PROMPT_VERSION, "alone": alone, "call_id": call_id,
                    "now": self.now,
                })  # fmt: skip
        return True

    def _record(
        self,
        purpose: str,
        started: datetime,
        clock: float,
        fmt: str | None,
        patterns: int,
        error: str | None,
        usage: Usage,
    ) -> int:
        self.report.calls += 1
        self.report.tokens += usage.total_tokens
        with self.store.transaction():
            row = self.store.run("llm/call_insert", {
                "started_at": started, "seconds": time.monotonic() - clock, "purpose": purpose,
                "model": self.settings.model, "base_url": self.settings.base_url,
                "response_format": fmt, "patterns": patterns, "ok": error is None,
                "error": error, "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens, "total_tokens": usage.total_tokens,
            }).fetchall()  # fmt: skip
        return int(row[0][0])

    def _eligible(self, target: Target, judged: _Judged) -> bool:
        policy, v = self.settings.policy, judged.verdict
        return (
            not judged.applied
            and v.verdict == "suppress"
            and v.confidence >= policy.min_confidence
            and level_rank(target.level) <= level_rank(policy.max_level)
            and target.kind in policy.kinds
        )

    def _apply_policy(self, targets: Sequence[Target]) -> None:
        candidates = [t for t in targets if t.key in self.judged]
        candidates = [t for t in candidates if self._eligible(t, self.judged[t.key])]
        if not candidates:
            return
        keys = [t.key for t in candidates]
        before = {r["key"] for r in self.store.query("llm/suppressed_before", {"keys": keys})}
        for t in candidates:
            if t.key in before:
                continue
            if not self.judged[t.key].alone and self.settings.policy.confirm_alone:
                # a batched verdict: ask about this pattern alone, with no other log text
                inputs = pattern_inputs(self.store, self.settings, [t], self.now)
                self._ask("confirm", [t], [inputs[t.key]], [])
                if not self.judged[t.key].alone or not self._eligible(t, self.judged[t.key]):
                    continue
            self._suppress(t, self.judged[t.key])

    def _suppress(self, target: Target, judged: _Judged) -> None:
        v, policy = judged.verdict, self.settings.policy
        reason = f"LLM judge ({v.category}, confidence {v.confidence:.2f}): {v.reason}"
        try:
            result = suppress(
                self.store, self.config, target.pattern_id, now=self.now,
                by=f"llm:{self.settings.model}", source=target.source,
                duration=policy.suppress_for, reason=reason, transport=self.transport,
            )  # fmt: skip
        except AIlertError as exc:
            self.report.errors.append(f"cannot suppress {target.pattern_id}: {exc}")
            return
        if result.silence_error:
            self.report.errors.append(result.silence_error)
        with self.store.transaction():
            self.store.run("llm/verdict_applied", {
                "pattern_id": target.pattern_id, "source": target.source,
                "prompt_version": PROMPT_VERSION, "model": self.settings.model,
                "suppression_id": result.suppression.suppression_id, "now": self.now,
            })  # fmt: skip
        judged.applied = True
        self.report.suppressed.append(target.pattern_id)


def annotate_alerts(store: Store, report: JudgeReport, now: datetime) -> None:
    """Write each verdict (or "not judged") onto the open alerts of its pattern."""
    for n in report.notes:
        store.run("llm/annotate_alert", {
            "pattern_id": n.pattern_id, "source": n.source, "verdict": n.verdict,
            "confidence": n.confidence, "category": n.category, "reason": n.reason, "now": now,
        })  # fmt: skip


def llm_annotations(alert: dict[str, Any]) -> dict[str, str]:
    """The ``llm_*`` annotations of an alert row (none when the judge never looked at it)."""
    verdict = alert.get("llm_verdict")
    if not verdict:
        return {}
    shown = {"llm_verdict": str(verdict), "llm_reason": redact(str(alert.get("llm_reason") or ""))}
    if alert.get("llm_confidence") is not None:
        shown["llm_confidence"] = f"{float(alert['llm_confidence']):.2f}"
    if alert.get("llm_category"):
        shown["llm_category"] = redact(str(alert["llm_category"]))
    return shown
