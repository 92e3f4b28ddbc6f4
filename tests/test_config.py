"""Config loading: the smallest config works; every error names file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ailert.config import find_config_path, load_config, parse_config, parse_duration
from ailert.errors import ConfigError

MINIMAL = """
store: snapshots/ailert.duckdb
sources:
  - name: app
    type: file
    path: /var/log/app/*.log     # a glob
    format: json                 # or: plain (default), logfmt, syslog, regex (with pattern: ...)
"""


def test_minimal_config_from_issue(tmp_path: Path) -> None:
    path = tmp_path / "ailert.yaml"
    path.write_text(MINIMAL)
    config = load_config(path)
    assert config.sources[0].format == "json"
    assert config.sources[0].path == "/var/log/app/*.log"
    assert config.store_path() == tmp_path / "snapshots/ailert.duckdb"
    assert config.tick.bucket.total_seconds() == 60


def test_format_defaults_to_plain() -> None:
    config = parse_config("sources:\n - {name: a, type: file, path: x}\n", Path("c.yaml"))
    assert config.sources[0].format == "plain"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sources:\n - {name: a, type: file, path: x, formt: json}\n",
            "c.yaml: sources[0].formt: unknown key",
        ),
        ("storage: x\n", "c.yaml: storage: unknown key"),
        (
            "sources:\n - {name: a, type: file, path: x, format: xml}\n",
            "sources[0].format: expected 'plain'",
        ),
        ("sources:\n - {name: a, type: file}\n", "sources[0].path: required key is missing"),
        ("tick:\n  lag: 5 parsecs\n", "tick.lag: expected a duration"),
        (
            "sources:\n - {name: a, type: kafka, path: x}\n",
            "sources[0]: type: expected one of 'file'",
        ),
        ("sources: [1\n", "c.yaml: line 2, column 1: not valid YAML"),
        ("- just a list\n", "expected a mapping of keys"),
        (
            "sources:\n - {name: a, type: file, path: x}\n - {name: a, type: file, path: y}\n",
            "used twice",
        ),
    ],
)
def test_errors_name_file_key_and_expectation(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("c.yaml"))
    assert expected in str(info.value)


def test_env_interpolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_DIR", "/srv/logs")
    config = parse_config(
        "store: ${STORE:-s.duckdb}\nsources:\n - {name: a, type: file, path: '${LOG_DIR}/*.log'}\n",
        Path("c.yaml"),
    )
    assert config.sources[0].path == "/srv/logs/*.log"
    assert config.store == "s.duckdb"


def test_missing_env_names_key_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    with pytest.raises(
        ConfigError, match=r"c.yaml: sources\[0\].path: environment variable \$\{NOPE_NOT_SET\}"
    ):
        parse_config(
            "sources:\n - {name: a, type: file, path: '${NOPE_NOT_SET}'}\n", Path("c.yaml")
        )


def test_config_path_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AILERT_CONFIG", raising=False)
    assert find_config_path(None) == Path("ailert.yaml")
    monkeypatch.setenv("AILERT_CONFIG", str(tmp_path / "x.yaml"))
    assert find_config_path(None) == tmp_path / "x.yaml"
    assert find_config_path("other.yaml") == Path("other.yaml")


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90m", 5400), ("7d", 604800), ("1.5h", 5400), ("500ms", 0.5), (30, 30)]
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_bad_mask_rule_is_rejected_at_load() -> None:
    from ailert.patterns.engine import PatternEngine

    config = parse_config(
        "patterns:\n  masks:\n    - {name: digits, regex: '\\\\d+'}\n", Path("c.yaml")
    )
    with pytest.raises(ConfigError, match="digits"):
        PatternEngine.from_settings(config.patterns)
