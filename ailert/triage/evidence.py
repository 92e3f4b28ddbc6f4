"""What the LLM judge is shown about a pattern, read from the store and redacted.

:class:`Target` is one pattern of one source with what change detection saw;
:func:`pattern_inputs` adds its kept samples, its totals and first/last seen, and its lines per
hour over the last day; :func:`suppression_examples` lists suppressions people made (never the
judge's own) as examples. Every piece of log text passes :func:`ailert.redact.redact` here and
is cut to ``llm.max_sample_chars``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ailert.notify.llm_settings import LlmSettings
from ailert.redact import redact
from ailert.store import Store
from ailert.triage.llm import PatternInput

__all__ = ["SEP", "Target", "pattern_inputs", "suppression_examples"]

SEP = "\x1f"


@dataclass(frozen=True)
class Target:
    """One pattern of one source to judge, with what change detection saw."""

    pattern_id: str
    source: str
    level: str
    kind: str
    template: str
    sample: str = ""
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.pattern_id}{SEP}{self.source}"


def _key(row: dict[str, Any]) -> str:
    return f"{row['pattern_id']}{SEP}{row['source']}"


def pattern_inputs(
    store: Store, settings: LlmSettings, targets: Sequence[Target], now: datetime
) -> dict[str, PatternInput]:
    """The redacted input of each target, by :attr:`Target.key`."""
    keys = [t.key for t in targets]
    cap = settings.max_sample_chars
    samples: dict[str, list[str]] = {}
    for row in store.query("llm/samples", {"keys": keys, "per_pattern": settings.samples}):
        samples.setdefault(_key(row), []).append(redact(row["message"])[:cap])
    hourly: dict[str, list[int]] = {}
    for row in store.query("llm/hourly", {"keys": keys, "now": now}):
        age = int(row["age"])
        if 0 <= age < 24:
            hourly.setdefault(_key(row), [0] * 24)[23 - age] = int(row["n"])
    known = {_key(r): r for r in store.query("llm/patterns", {"keys": keys})}
    inputs: dict[str, PatternInput] = {}
    for t in targets:
        row = known.get(t.key, {})
        counts = {**t.counts, "total_lines": row.get("total")}
        for name in ("first_seen", "last_seen"):
            if row.get(name) is not None:
                counts[name] = row[name].isoformat()
        own = samples.get(t.key) or ([redact(t.sample)[:cap]] if t.sample else [])
        inputs[t.key] = PatternInput(
            t.pattern_id, t.source, t.level, t.kind, redact(t.template)[: cap * 2],
            tuple(own[: settings.samples]), counts, tuple(hourly.get(t.key, [])),
        )  # fmt: skip
    return inputs


def suppression_examples(store: Store, settings: LlmSettings) -> list[dict[str, Any]]:
    """Up to ``llm.examples`` suppressions people made, newest first."""
    if not settings.examples:
        return []
    rows = store.query("llm/examples", {"limit": settings.examples})
    return [
        {"template": redact(r["template"])[:300], "source": r["source"] or "*",
         "reason": redact(r["reason"] or "")[:200]}
        for r in rows
    ]  # fmt: skip
