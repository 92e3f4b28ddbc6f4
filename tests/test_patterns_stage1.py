"""Stage 1: masking rules, stable ids, the pattern book's commit/rollback and caps."""

from __future__ import annotations

import hashlib

import duckdb
import polars as pl
import pytest

from ailert.config import MaskRule, PatternSettings
from ailert.errors import ConfigError
from ailert.patterns.engine import PatternBook, PatternEngine
from ailert.patterns.ids import OVERFLOW_TEMPLATE, pattern_id
from ailert.patterns.masking import Masker, check_rule


def template(message: str, settings: PatternSettings | None = None) -> str:
    masker = Masker.from_settings(settings or PatternSettings())
    return str(pl.select(masker.template(pl.lit(message))).item())


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("took 12 ms", "took <*> ms"),
        ("user 42 from 10.0.0.1:8080", "user <*> from <*>"),
        ("addr fe80::1ff:fe23:4567:890a up", "addr <*> up"),
        ("req 3f2c1a9e-9b1d-4c3e-8f00-123456789abc done", "req <*> done"),
        ("ptr 0xDEADBEEF freed", "ptr <*> freed"),
        ("open /var/lib/app/data.db failed", "open <*> failed"),
        ("see https://example.com/a?b=1 now", "see <*> now"),
        ("mail bob@example.org bounced", "mail <*> bounced"),
        ("at 2026-11-26T13:00:00.123Z start", "at <*> start"),
        ("at 12:30:45 start", "at <*> start"),
        ("blk_-1608999687919862906 served", "<*> served"),
        ("node-12 joined", "<*> joined"),
        ("mac 00:1a:2b:3c:4d:5e seen", "mac <*> seen"),
        ("a   b\tc", "a b c"),
        ("VM started", "VM started"),
    ],
)
def test_builtin_masks(message: str, expected: str) -> None:
    assert template(message) == expected


def test_templating_uses_a_capped_prefix() -> None:
    settings = PatternSettings(max_line_length=32)
    assert template("x" * 1_000_000, settings) == "x" * 32


def test_user_rules_run_first_and_in_order() -> None:
    settings = PatternSettings(
        masks=[MaskRule(name="tenant", regex="tenant=[a-z]+", replace="tenant=<tenant>")]
    )
    assert template("tenant=acme logged 5", settings) == "tenant=<tenant> logged <*>"


@pytest.mark.parametrize(
    "regex",
    [r"\d+", r"(?=x)y", r"(a)\1", "a*", "[unclosed"],
)
def test_rules_outside_the_portable_subset_are_rejected(regex: str) -> None:
    with pytest.raises(ConfigError, match="rule 'r'"):
        check_rule(MaskRule(name="r", regex=regex))


def test_pattern_id_is_md5_prefix_in_python_and_sql() -> None:
    pid = pattern_id("error", "user <*> failed")
    assert pid == hashlib.md5(b"error\x1fuser <*> failed").hexdigest()[:16]
    sql = "SELECT substr(md5($level || chr(31) || $template), 1, 16)"
    row = duckdb.execute(sql, {"level": "error", "template": "user <*> failed"}).fetchall()
    assert row == [(pid,)]
    assert pid == "305303c1d25d08df"  # pinned forever: silences match on it


def test_same_text_at_two_levels_is_two_patterns() -> None:
    engine = PatternEngine.from_settings(PatternSettings())
    book = PatternBook("s", 100)
    records = pl.DataFrame(
        {
            "level": ["info", "error", "info"],
            "message": ["disk 1 full", "disk 2 full", "disk 3 full"],
        }
    )
    mined = engine.mine(records, book)
    ids = mined["pattern_id"].to_list()
    assert ids[0] == ids[2] != ids[1]


def test_book_rollback_forgets_uncommitted_patterns() -> None:
    engine = PatternEngine.from_settings(PatternSettings())
    book = PatternBook("s", 100)
    engine.mine(pl.DataFrame({"level": ["info"], "message": ["a 1"]}), book)
    book.commit()
    engine.mine(pl.DataFrame({"level": ["info"], "message": ["b 2"]}), book)
    assert len(book.pending_patterns) == 1
    book.rollback()
    assert len(book.patterns) == 1
    assert not book.pending_patterns
    engine.mine(pl.DataFrame({"level": ["info"], "message": ["b 3"]}), book)
    assert len(book.pending_patterns) == 1  # founded again, to be committed this time


def test_patterns_per_source_are_capped_with_an_overflow_pattern() -> None:
    engine = PatternEngine.from_settings(PatternSettings(max_patterns_per_source=3))
    book = PatternBook("s", 3)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    mined = engine.mine(pl.DataFrame({"level": ["info"] * 6, "message": words}), book)
    assert len(book.patterns) == 4  # three real patterns + the overflow pattern
    overflow = pattern_id("info", OVERFLOW_TEMPLATE)
    assert mined["pattern_id"].to_list()[3:] == [overflow] * 3
