"""Stage 1: masking rules, stable ids, the pattern book's commit/rollback and caps."""

from __future__ import annotations

import hashlib
import re

import duckdb
import polars as pl
import pytest

from ailert.config import MaskRule, PatternSettings
from ailert.errors import ConfigError
from ailert.patterns.engine import PatternBook, PatternEngine
from ailert.patterns.ids import OVERFLOW_TEMPLATE, pattern_id
from ailert.patterns.masking import PASSES, Masker, check_rule


def template(message: str, settings: PatternSettings | None = None) -> str:
    masker = Masker.from_settings(settings or PatternSettings())
    return str(pl.select(masker.template(pl.lit(message))).item())


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # Issue 3: a number and its unit are one value (was "took <*> ms").
        ("took 12 ms", "took <*>"),
        ("size 93.0 B, free 317.1 KB", "size <*>, free <*>"),
        ("close, 1190 bytes (1.16 KB) sent", "close, <*> sent"),
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
        # Issue 3: token-aware masks.
        ("at Sun Jul  3 10:05:25 2005 up", "at <*> up"),
        ("Thu Aug 04 15:29:45 PDT 2005 status", "<*> status"),
        ("Jul  3 10:05:25 sshd started", "<*> sshd started"),
        (
            '1.2.3.4 - - [03/Jul/2005:10:05:25 +0000] "GET /a/b HTTP/1.1" 200',
            '<*> - - [<*>] "GET <*> HTTP/<*>" <*>',
        ),
        ("uid=0 tty=NODEVssh ruser= rhost=zummit.com", "uid=<*> tty=<*> ruser= rhost=<*>"),
        ('tag="View Lock", ws=WorkSource{10113}', "tag=<*>, ws=<*>"),
        (
            'msg="Container 3f failed to exit within 10 seconds"',
            'msg="Container <*> failed to exit within <*>"',
        ),
        ('payload {"user":"alice","amount":12.5}', 'payload {"user":<*>,"amount":<*>}'),
        ("Job 7 failed: 'disk quota exceeded'", "Job <*> failed: <*>"),
        ('key "a_b" missing', "key <*> missing"),
        ("lookup zummit.com and a.b.edu.pl failed", "lookup <*> and <*> failed"),
        ("see Worker.java line", "see Worker.java line"),
        ("pkg Package_for_KB3121255~31bf3856ad364e35~amd64~~6.1.1.0, ok", "pkg <*>, ok"),
        ("delete blk_1 blk_2 blk_3 done", "delete <*> done"),
        ("customer cust_42 12.50 USD", "customer <*> <*> USD"),
        ("GET 200 OK", "GET <*> OK"),
        ("VM Started (Lifecycle Event)", "VM Started (Lifecycle Event)"),
    ],
)
def test_builtin_masks(message: str, expected: str) -> None:
    assert template(message) == expected


def test_templating_uses_a_capped_prefix() -> None:
    settings = PatternSettings(max_line_length=32)
    assert template("x" * 1_000_000, settings) == "x" * 32


def test_templates_keep_their_first_max_tokens_tokens() -> None:
    settings = PatternSettings(max_tokens=3)
    assert template("a b c d e", settings) == "a b c"
    assert template("a b", settings) == "a b"


def test_builtin_passes_agree_with_re2() -> None:
    """The built-in passes give the same templates in DuckDB (RE2) as in Polars (Rust regex),
    so stage 1 can run as SQL where the logs live."""
    lines = [
        'acquire lock=166121161, flags=0x1, tag="RILJ_ACK_WL", name=com.android.phone, ws=null',
        "connection from 203.101.45.59 (dsl-059.45.101.203.x.net) at Sun Jul  3 10:05:25 2005",
        "Failed password for invalid user admin from 5.188.10.180 port 60682 ssh2",
        "Loading hive: SOFTWARE, into key '{bf1a281b}' from '\\\\?\\GLOBALROOT\\Device\\x'.",
        'payload {"user":"alice","amount":12.5} "" \'x:1\' took 12 ms (3 s) on a.b.edu.pl',
        "BLOCK* ask 10.250.18.114:50010 to delete  blk_-5140 blk_-9016 blk_-8695\tend",
    ]
    frame = pl.DataFrame({"m": lines})
    expr, sql = pl.col("m"), "m"
    for regex, replace in PASSES:
        expr = expr.str.replace_all(regex, replace)
        group = re.sub(r"\$\{(\d+)\}", r"\\\1", replace)
        sql = f"regexp_replace({sql}, $${regex}$$, $${group}$$, 'g')"
    expected = frame.select(expr)["m"].to_list()
    got = [row[0] for row in duckdb.execute(f"SELECT {sql} FROM frame").fetchall()]
    assert got == expected


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
