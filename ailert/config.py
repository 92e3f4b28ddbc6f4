"""Configuration: one YAML file (``ailert.yaml``) loaded, interpolated and validated.

Owns the config models (pydantic, ``extra="forbid"`` so unknown keys are errors), the
``${ENV}`` / ``${ENV:-default}`` interpolation of string values, duration parsing, and the
rule for finding the file (``--config`` > ``$AILERT_CONFIG`` > ``./ailert.yaml``).
Every validation error names the file, the key path and what was expected.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ailert.errors import ConfigError
from ailert.notify.llm_settings import LlmSettings
from ailert.notify.settings import AlertingSettings, AlertmanagerSettings, ServeSettings

__all__ = [
    "Config",
    "DetectSettings",
    "FileSource",
    "MappingConfig",
    "MaskRule",
    "MultilineConfig",
    "PatternSettings",
    "PublishSettings",
    "RetentionSettings",
    "TickSettings",
    "find_config_path",
    "load_config",
    "parse_duration",
]

DEFAULT_CONFIG_NAME = "ailert.yaml"
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse ``90m``, ``7d``, ``1.5h``, ``500ms`` or a number of seconds into a timedelta."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration such as 30s, 5m, 2h, 7d or 1w, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


Duration = Annotated[timedelta, Field(json_schema_extra={"format": "duration"})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration_validator(*names: str) -> Any:
    def check(cls: type, value: Any) -> timedelta:
        return parse_duration(value)

    return field_validator(*names, mode="before")(classmethod(check))  # type: ignore[arg-type]


class TickSettings(_Model):
    """How a tick windows and buckets data."""

    lag: Duration = timedelta(0)
    bucket: Duration = timedelta(minutes=1)
    chunk_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    store_lock_wait: Duration = timedelta(seconds=10)

    _durations = _duration_validator("lag", "bucket", "store_lock_wait")

    @field_validator("bucket")
    @classmethod
    def _bucket_positive(cls, value: timedelta) -> timedelta:
        if value.total_seconds() < 1:
            raise ValueError("bucket must be at least 1s")
        return value


class RetentionSettings(_Model):
    """How long counts stay at each resolution; older ones are rolled up (totals unchanged)."""

    minute: Duration = timedelta(days=7)
    hour: Duration = timedelta(days=90)

    _durations = _duration_validator("minute", "hour")


class PublishSettings(_Model):
    """After each tick, a read-only copy of the store for analysts and dashboards."""

    read_copy: bool = True
    path: str | None = None  # default: <store>.read.duckdb beside the store


CHANGE_KINDS = ("new", "gone", "rate_shift", "level_drift", "format_drift")


class DetectSettings(_Model):
    """``detect:`` — what each tick's change detection compares (see ``ailert diff``)."""

    window: Duration = timedelta(minutes=15)
    baseline: str = "previous"
    kinds: list[Literal["new", "gone", "rate_shift", "level_drift", "format_drift"]] = Field(
        default_factory=lambda: list(CHANGE_KINDS)  # type: ignore[arg-type]
    )
    thresholds: dict[str, float] = Field(default_factory=dict)

    _durations = _duration_validator("window")


class MaskRule(_Model):
    """A user-defined mask rule: every match of ``regex`` becomes ``replace``."""

    name: str
    regex: str
    replace: str = "<*>"


class PatternSettings(_Model):
    """Caps and user rules of the pattern engine."""

    max_line_length: int = Field(default=2048, gt=16)
    max_tokens: int = Field(default=256, gt=1)
    max_patterns_per_source: int = Field(default=20_000, gt=0)
    masks: list[MaskRule] = Field(default_factory=list)


class FieldNames(_Model):
    """Overrides of the field (JSON key, logfmt key or regex group) holding each record part."""

    ts: str | None = None
    level: str | None = None
    message: str | None = None


class MappingConfig(_Model):
    """How raw lines of one source become records (``ts, source, level, message, labels``)."""

    format: Literal["plain", "json", "logfmt", "syslog", "regex"] = "plain"
    pattern: str | None = None
    fields: FieldNames = Field(default_factory=FieldNames)
    ts_format: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    labels: list[str] = Field(default_factory=list)
    level_map: dict[str, str] = Field(default_factory=dict)

    @field_validator("ts_format", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class MultilineConfig(_Model):
    """Join continuation lines (stack traces) to the record they belong to."""

    start: str
    flush_after: Duration = timedelta(seconds=5)
    max_lines: int = Field(default=500, gt=0)

    _durations = _duration_validator("flush_after")


class FileSource(MappingConfig):
    """A glob of log files read as a tail; the cursor lives in the store."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: Literal["file"]
    path: str
    start_at: Literal["beginning", "end"] = "beginning"
    multiline: MultilineConfig | None = None
    encoding: str = "utf-8"

    def mapping(self) -> MappingConfig:
        return MappingConfig(**{k: getattr(self, k) for k in MappingConfig.model_fields})


# The pull sources' models inherit MappingConfig, so they are imported once it exists.
from ailert.sources.models import (  # noqa: E402
    PULL_SOURCE_TYPES,
    HttpSource,
    LokiSource,
    PrometheusSource,
    SqlSource,
)

#: Any one configured source (``type`` picks the model).
SourceModel: TypeAlias = FileSource | LokiSource | PrometheusSource | SqlSource | HttpSource
SourceConfig = Annotated[SourceModel, Field(discriminator="type")]


class Config(_Model):
    """The whole ``ailert.yaml``."""

    store: str = "snapshots/ailert.duckdb"
    tick: TickSettings = Field(default_factory=TickSettings)
    patterns: PatternSettings = Field(default_factory=PatternSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    sources: list[SourceConfig] = Field(default_factory=list)
    alertmanager: AlertmanagerSettings | None = None
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    llm: LlmSettings | None = None
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceModel]) -> list[SourceModel]:
        seen: set[str] = set()
        for source in sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice")
            seen.add(source.name)
        return sources

    def store_path(self) -> Path:
        """The store path; relative paths are taken from the config file's directory."""
        store = Path(self.store).expanduser()
        if store.is_absolute() or self.path is None or str(self.store) == ":memory:":
            return store
        return self.path.parent / store

    def read_copy_path(self) -> Path | None:
        """Where the analysts' read-only copy is published (None: not published)."""
        store = self.store_path()
        if not self.publish.read_copy or str(store) == ":memory:":
            return None
        if self.publish.path:
            target = Path(self.publish.path).expanduser()
            if target.is_absolute() or self.path is None:
                return target
            return self.path.parent / target
        return store.with_name(store.stem + ".read" + store.suffix)

    def source(self, name: str) -> SourceModel:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} in {self.path} (known: {known})")


def find_config_path(explicit: str | Path | None = None) -> Path:
    """``--config`` wins, then ``$AILERT_CONFIG``, then ``./ailert.yaml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("AILERT_CONFIG")
    return Path(env) if env else Path(DEFAULT_CONFIG_NAME)


def _interpolate(value: Any, path: str, file: Path) -> Any:
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else str(k), file) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", file) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{file}: {path}: environment variable ${{{name}}} is not set "
            f"(set it, or write ${{{name}:-default}})"
        )

    return _ENV_REF.sub(substitute, value)


def _format_location(loc: tuple[int | str, ...], data: Any) -> str:
    """Turn pydantic's loc into a key path such as ``sources[0].format``."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and item < len(node) else None
        elif isinstance(node, list | type(None)) or (isinstance(node, dict) and item not in node):
            # discriminator tags (e.g. 'file') are not keys of the document
            if isinstance(node, dict) and item not in node and item in {"file", *PULL_SOURCE_TYPES}:
                continue
            parts.append(f".{item}" if parts else str(item))
            node = None
        else:
            parts.append(f".{item}" if parts else str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the README's config reference)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"type: expected one of {error['ctx'].get('expected_tags')}"
    if kind == "literal_error":
        return f"expected {error['ctx'].get('expected')}, got {error.get('input')!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return message
    return f"{message} (got {error.get('input')!r})"


def load_config(path: str | Path | None = None) -> Config:
    """Load, interpolate and validate a config file. Raises ConfigError naming file and key."""
    file = find_config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {file} not found (pass --config, set AILERT_CONFIG, "
            f"or create {DEFAULT_CONFIG_NAME})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc}") from None
    return parse_config(text, file)


def parse_config(text: str, file: Path) -> Config:
    """Validate config text that came from ``file`` (used for messages and relative paths)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}:{where}: not valid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{file}: (top level): expected a mapping of keys, got {type(data).__name__}"
        )
    data = _interpolate(data, "", file)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{file}: {_format_location(err['loc'], data)}: {_describe(err)}"
            for err in exc.errors()
        ]
        raise ConfigError("invalid config\n  " + "\n  ".join(lines)) from None
    return config.model_copy(update={"path": file.resolve()})
