"""Level normalisation and detection from text (ailert.patterns.levels)."""

from __future__ import annotations

import polars as pl
import pytest

from ailert.errors import MappingError
from ailert.patterns.levels import LEVELS, detect_level, normalize_level


def _detect(texts: list[str], extra: dict[str, str] | None = None) -> list[str]:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(detect_level(pl.col("text"), extra)).to_series().to_list()


def _normalize(values: list[str | None], extra: dict[str, str] | None = None) -> list[str]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(normalize_level(pl.col("v"), extra)).to_series().to_list()


def test_levels_constant() -> None:
    assert LEVELS == ("fatal", "error", "warn", "info", "debug", "trace", "unknown")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02 03:04:05 ERROR disk full", "error"),
        ("ERROR: disk full", "error"),
        ("x WARNING y", "warn"),
        ("x WARN y", "warn"),
        ("INFO started", "info"),
        ("DEBUG cache miss", "debug"),
        ("TRACE enter foo()", "trace"),
        ("FATAL out of memory", "fatal"),
        ("CRITICAL db down", "fatal"),
        ("NOTICE reload", "info"),
        ("SEVERE boom", "error"),
        ("E ERR: x", "error"),
        ("[error] upstream timed out", "error"),
        ("[Warn] slow", "warn"),
        ("[ info ] padded", "info"),
        ("<warn> angle", "warn"),
        ("level=warn msg=hi", "warn"),
        ("lvl=DEBUG x", "debug"),
        ('{"level": "Info", "msg": "json in plain"}', "info"),
        ("severity: crit", "fatal"),
        ("request served", "unknown"),
        ("0 errors found", "unknown"),
        ("error in prose is not a level", "unknown"),
        ("warning: lower-case prose", "unknown"),
        ("ERRORS plural is another word", "unknown"),
        ("MY_ERROR_CODE is a longer word", "unknown"),
        ("XINFO glued", "unknown"),
        ("", "unknown"),
    ],
)
def test_detect_level(text: str, expected: str) -> None:
    assert _detect([text]) == [expected]


def test_first_mention_wins() -> None:
    assert _detect(["INFO retrying after ERROR", "[debug] then WARN", "WARN then [error]"]) == [
        "info",
        "debug",
        "warn",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Traceback (most recent call last):",
        "java.lang.NullPointerException: null",
        "panic: runtime error: index out of range",
        "\tat com.example.Foo.bar(Foo.java:12)",
    ],
)
def test_stack_traces_are_errors(text: str) -> None:
    assert _detect([text]) == ["error"]


def test_explicit_level_beats_exception_hint() -> None:
    assert _detect(["INFO handled IOException gracefully"]) == ["info"]


def test_stack_frame_must_start_the_text() -> None:
    assert _detect(["we sat at the table"]) == ["unknown"]


def test_detect_null_is_unknown() -> None:
    frame = pl.DataFrame({"text": [None, "ERROR x"]}, schema={"text": pl.String})
    assert frame.select(detect_level(pl.col("text"))).to_series().to_list() == ["unknown", "error"]


def test_detect_with_level_map_words_in_brackets() -> None:
    assert _detect(["[W] low disk", "W alone is prose"], {"W": "warn"}) == ["warn", "unknown"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WARNING", "warn"),
        (" err ", "error"),
        ("Information", "info"),
        ("notice", "info"),
        ("emerg", "fatal"),
        ("panic", "fatal"),
        ("alert", "fatal"),
        ("severe", "error"),
        ("dbg", "debug"),
        ("fine", "debug"),
        ("finest", "trace"),
        ("verbose", "trace"),
        ("10", "trace"),
        ("20", "debug"),
        ("30", "info"),
        ("40", "warn"),
        ("50", "error"),
        ("60", "fatal"),
        ("35", "unknown"),
        ("bogus", "unknown"),
        (None, "unknown"),
    ],
)
def test_normalize_level(raw: str | None, expected: str) -> None:
    assert _normalize([raw]) == [expected]


def test_level_map_is_case_insensitive_and_overrides() -> None:
    extra = {"crit": "error", "W": "warn", "Noisy": "DEBUG"}
    assert _normalize(["CRIT", "w", "noisy", "critical"], extra) == [
        "error",
        "warn",
        "debug",
        "fatal",
    ]


def test_level_map_rejects_non_levels() -> None:
    with pytest.raises(MappingError, match="loud"):
        normalize_level(pl.col("v"), {"x": "loud"})


def test_detect_many_rows_keeps_order() -> None:
    texts = [f"line {i} {'ERROR' if i % 3 == 0 else 'INFO'}" for i in range(3000)]
    expected = ["error" if i % 3 == 0 else "info" for i in range(3000)]
    assert _detect(texts) == expected
