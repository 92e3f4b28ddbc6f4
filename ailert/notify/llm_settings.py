"""Config model of the LLM judge: the ``llm:`` section of ``ailert.yaml``.

``llm:`` absent means "no judge": findings alert by the rules alone and ``ailert rules suggest``
uses statistics only. Any OpenAI-compatible Chat Completions endpoint works (OpenAI,
OpenRouter, Ollama, vLLM, llama.cpp); the API key is read from the environment variable named
by ``api_key_env``, never from the file. Like :mod:`ailert.notify.settings`, this module must
not import :mod:`ailert.config` at import time.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ailert.notify.settings import FindingKind, Level

__all__ = ["LlmBudget", "LlmPolicy", "LlmSettings", "ResponseFormatMode"]

#: How the answer's JSON shape is requested (``auto``: json_schema, then json_object with a
#: schema, then plain JSON in the text, remembering per process what the server accepted).
ResponseFormatMode = Literal["auto", "json_schema", "json_object", "text"]
_JUDGED_KINDS: tuple[FindingKind, ...] = ("new", "rate_shift")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> timedelta:
    from ailert.config import parse_duration  # lazy: ailert.config imports this module

    return parse_duration(value)


class LlmBudget(_Model):
    """Caps on LLM use. A call that would pass a cap is not made (its patterns are "not
    judged" and alert as usual). Day = UTC calendar day, counted from ``llm_calls``."""

    calls_per_tick: int = Field(default=4, ge=0)
    calls_per_day: int = Field(default=500, ge=0)
    tokens_per_tick: int = Field(default=40_000, ge=0)
    tokens_per_day: int = Field(default=1_000_000, ge=0)


class LlmPolicy(_Model):
    """What the judge may do on its own.

    A pattern is suppressed automatically only when ``auto_suppress`` is on, the verdict is
    ``suppress`` with ``confidence >= min_confidence``, its level ranks at or below
    ``max_level`` (default ``warn``: errors are only ever suppressed by a person), and the
    verdict was given in a request holding no other pattern's log text (``confirm_alone``: a
    batched ``suppress`` is confirmed by asking about the pattern alone, so one hostile log
    line cannot talk the model into suppressing its neighbours). Every other verdict only
    rides along in the alert's annotations.
    """

    auto_suppress: bool = True
    min_confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    max_level: Level = "warn"
    confirm_alone: bool = True
    suppress_for: timedelta | None = None  # default: alerting.suppress_for
    kinds: list[FindingKind] = Field(default_factory=lambda: list(_JUDGED_KINDS))

    @field_validator("suppress_for", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> timedelta | None:
        return None if value is None else _duration(value)


class LlmSettings(_Model):
    """``llm:`` — the endpoint, the model, and how much the judge may spend and do."""

    base_url: str | None = None  # None: the OpenAI API
    model: str = Field(min_length=1)
    api_key_env: str = Field(default="OPENAI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout: timedelta = timedelta(seconds=20)
    max_retries: int = Field(default=0, ge=0, le=5)
    backoff: timedelta = timedelta(minutes=5)
    batch_size: int = Field(default=8, ge=1, le=50)
    samples: int = Field(default=3, ge=0, le=10)
    max_sample_chars: int = Field(default=400, ge=40)
    examples: int = Field(default=10, ge=0, le=50)
    max_tokens: int = Field(default=1200, ge=64)
    token_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"  # noqa: S105
    temperature: float | None = Field(default=0.0, ge=0.0, le=2.0)
    response_format: ResponseFormatMode = "auto"
    budget: LlmBudget = Field(default_factory=LlmBudget)
    policy: LlmPolicy = Field(default_factory=LlmPolicy)

    @field_validator("timeout", "backoff", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() <= 0:
            raise ValueError("timeout must be positive (the most the judge may add to a tick)")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(f"expected an http(s) URL (http://127.0.0.1:11434/v1), got {url!r}")
        return url.rstrip("/") if url else url
