"""Issue 3, stage 2: merging unique masked templates into patterns (TokenMerger + PatternBook).

Templates that differ only in variable positions become one pattern whose id is the id of the
template that founded it; event kinds (``started``/``paused``) never merge; grouping does not
depend on how the input was cut; the book's state is plain rows and survives a restart.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime

import polars as pl
import pytest

from ailert.config import PatternSettings
from ailert.patterns.book import PatternBook
from ailert.patterns.engine import PatternEngine
from ailert.patterns.ids import OVERFLOW_TEMPLATE, pattern_id
from ailert.patterns.masking import Masker
from ailert.patterns.merge import Candidate, ExactMerger, TokenMerger, is_event_word
from datagen.catalogue import NEAR_MISS_PAIRS, SIMPLE_VAR_TEMPLATES, TEMPLATES_BY_ID
from datagen.generate import generate, truth

START = datetime(2026, 11, 26, tzinfo=UTC)


def engine() -> PatternEngine:
    return PatternEngine(Masker.from_settings(PatternSettings()), TokenMerger())


def mine(
    lines: list[str], book: PatternBook | None = None, level: str | list[str] = "info"
) -> pl.DataFrame:
    book = book if book is not None else PatternBook("s", 20_000)
    levels = [level] * len(lines) if isinstance(level, str) else level
    mined = engine().mine(pl.DataFrame({"level": levels, "message": lines}), book)
    book.commit()
    return mined


def ids(lines: list[str], book: PatternBook | None = None) -> list[str]:
    return list(mine(lines, book)["pattern_id"])


# ---------------------------------------------------------------------------------------------
# Merging and generalising


def test_variable_words_merge_and_the_first_template_keeps_its_id() -> None:
    book = PatternBook("s", 100)
    mined = mine(["User alice logged in", "User bob logged in", "User carol logged in"], book)
    assert mined["pattern_id"].n_unique() == 1
    assert mined["pattern_id"][0] == pattern_id("info", "User alice logged in")
    assert set(mined["pattern_template"]) == {"User <*> logged in"}
    assert book.patterns == {mined["pattern_id"][0]: ("info", "User <*> logged in")}


@pytest.mark.parametrize(
    "lines",
    [
        [
            "Failed password for root from 1.2.3.4 port 22 ssh2",
            "Failed password for uucp from 1.2.3.5 port 23 ssh2",
        ],
        [
            "Invalid user admin from 1.2.3.4",
            "Invalid user test9 from 1.2.3.4",
            "Invalid user FILTER from 1.2.3.4",
        ],
        ["session opened for user cyrus by (uid=0)", "session opened for user news by (uid=0)"],
        ["Started nginx.service.", "Started ssh.service."],
        ["updateClipping isOverlap:false, x=1", "updateClipping isOverlap:true, x=2"],
        ["Loading hive: SOFTWARE, into key", "Loading hive: SYSTEM, into key"],
        ["connection from 1.2.3.4 (host.example.net) at x", "connection from 1.2.3.5 () at x"],
        [
            "Successfully assigned default/web-1 to node-1",
            "Successfully assigned kube-system/api-2 to node-2",
        ],
        [
            "Killed process 12 (java) total",
            "Killed process 13 (python3) total",
            "Killed process 14 (node) total",
        ],
        ["alice : TTY=pts/0 ; PWD=/home ; USER=root", "bob : TTY=pts/1 ; PWD=/home ; USER=root"],
        ['Cache miss for key "session:abc"', 'Cache miss for key "rate:limit"'],
        ["Proxy web_servers stopped (conns: 1)", "Proxy static stopped (conns: 2)"],
        ['"GET /login HTTP/1.1" 200', '"GET /healthz HTTP/1.1" 404'],
        # a message opening with an address: IP:port, then host:port (a compound value)
        ["10.0.0.1:80 error : Could not connect", "wpad:80 error : Could not connect"],
    ],
    ids=lambda lines: lines[0][:32],
)
def test_values_merge(lines: list[str]) -> None:
    assert len(set(ids(lines))) == 1


@pytest.mark.parametrize(
    "lines",
    [
        ["VM 1 started", "VM 2 paused", "VM 3 resumed", "VM 4 stopped"],
        ["[instance: 1] VM Started (Lifecycle Event)", "[instance: 2] VM Paused (Lifecycle Event)"],
        ["Connection to db-1 opened", "Connection to db-2 closed"],
        ["Started container nginx", "Created container nginx"],
        ['role "alice" does not exist', 'database "alice" does not exist'],
        ["Finished: SUCCESS", "Finished: FAILURE"],
        ["[UFW BLOCK] IN=eth0 SRC=1.2.3.4", "[UFW ALLOW] IN=eth0 SRC=1.2.3.4"],
        ["Caused by: java.lang.NullPointerException", "Caused by: java.lang.IllegalStateException"],
        ['1.2.3.4 "GET /a HTTP/1.1" 200', '1.2.3.4 "POST /a HTTP/1.1" 200'],
        ["eth0: Link is Up", "eth0: Link is Down"],
        ["User alice logged in", "User alice logged out"],
        ["getTasks: caller 1 does not hold X", "getRunningAppProcesses: caller 1 does not hold X"],
        ["boot (command 1)", "wait (command 2)", "halt (command 3)"],
        ["getRecentTasks: num=1,flags=2", "getRecentTasks: topActivity=x{1}"],
        ["open through proxy p:1 HTTPS", "open through proxy p:2 SOCKS5"],
        # a word after ``key:`` is no value when a key or an event word follows it
        ["en0: channel changed to 1", "en0: BSSID changed to 5c:50:15:36:bc:03"],
        ["wl0: keepalive: Remote IP: 10.0.0.1", "wl0: keepalive: Local IP: 10.0.0.2"],
        [
            "PowerSource Information: onSleep, Type: Normal",
            "PowerSource Information: onWake, Type: Normal",
        ],
    ],
    ids=lambda lines: lines[0][:32],
)
def test_event_kinds_stay_apart(lines: list[str]) -> None:
    assert len(set(ids(lines))) == len(lines)


def test_same_text_at_two_levels_is_two_patterns() -> None:
    mined = mine(
        ["disk sda full", "disk sdb full", "disk sdc full"], level=["info", "error", "info"]
    )
    first, second, third = mined["pattern_id"]
    assert first == third != second


@pytest.mark.parametrize(
    ("word", "event"),
    [("started", True), ("LOOKING", True), ("GET", True), ("up", True), ("IOException", True),
     ("authentication", True), ("alice", False), ("default", False), ("/login", False),
     ("nginx.service", False), ("root", False), ("onSleep", True), ("onResume", True),
     ("only", False), ("onion", False)],
)  # fmt: skip
def test_event_words(word: str, event: bool) -> None:
    assert is_event_word(word) is event


def test_a_slot_with_many_distinct_words_becomes_a_variable() -> None:
    """A flood of plain names without a cue is bounded: after a few distinct words the slot is
    variable (the first ones keep their own patterns and ids)."""
    names = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
    ]
    mined = ids([f"Proxy {n} stopped" for n in names])
    assert len(set(mined[:7])) == 7
    assert len(set(mined[7:])) == 1
    verbs = [
        "started",
        "paused",
        "resumed",
        "stopped",
        "killed",
        "crashed",
        "booted",
        "halted",
        "reset",
        "moved",
    ]
    assert len(set(ids([f"VM 1 {v}" for v in verbs]))) == len(verbs)


def test_merging_many_unique_templates_is_bounded() -> None:
    words = [f"{a}{b}{c}x" for a in "bcdfghjklm" for b in "aeiou" for c in "npqrstvwz"][:4000]
    start = time.perf_counter()
    book = PatternBook("s", 20_000)
    mine([f"Received {w} message from peer" for w in words], book)
    mine([f"{w} {w}y done" for w in words], book)  # two new words per line: never merged
    assert time.perf_counter() - start < 20
    assert len(book.patterns) < 4000 + 20


# ---------------------------------------------------------------------------------------------
# Incremental and persistent


def corpus() -> list[str]:
    events = generate(21, 1500, START)
    lines = [e.message.split("\n")[0] for e in events]
    return lines + [f"User {u} logged in" for u in ("alice", "bob", "u42", "carol")]


@pytest.mark.parametrize("chunk", [5, 37, 200])
def test_grouping_does_not_depend_on_chunks(chunk: int) -> None:
    lines = corpus()
    whole = ids(lines)
    book = PatternBook("s", 20_000)
    cut = [
        pid
        for start in range(0, len(lines), chunk)
        for pid in ids(lines[start : start + chunk], book)
    ]
    assert cut == whole


def test_a_restarted_book_decides_the_same() -> None:
    """State is plain rows: a book rebuilt from the template map and the patterns' current
    templates (what the store keeps) continues exactly like the book that never stopped."""
    lines = corpus()
    half = len(lines) // 2
    whole = ids(lines)
    first = PatternBook("s", 20_000)
    before = ids(lines[:half], first)
    rows_t = [(lv, t, pid) for (lv, t), pid in first.templates.items()]
    rows_p = [(pid, lv, t) for pid, (lv, t) in first.patterns.items()]
    restarted = PatternBook.from_rows("s", 20_000, reversed(rows_t), reversed(rows_p))
    assert before + ids(lines[half:], restarted) == whole


def test_generalising_a_pattern_is_pending_until_commit_and_undone_by_rollback() -> None:
    book = PatternBook("s", 100)
    first = mine(["User alice logged in"], book)["pattern_id"][0]
    engine().mine(pl.DataFrame({"level": ["info"], "message": ["User bob logged in"]}), book)
    assert book.pending_updates == [(first, "User <*> logged in")]
    assert book.pending_patterns == []
    assert book.pending_templates == [("info", "User bob logged in", first)]
    book.rollback()
    assert book.patterns[first] == ("info", "User alice logged in")
    assert ("info", "User bob logged in") not in book.templates
    assert book.pending_updates == []
    assert book.pending_templates == []
    assert book.pending_patterns == []
    mine(["User bob logged in"], book)  # decided again, committed this time
    assert book.patterns[first] == ("info", "User <*> logged in")
    assert book.pending_updates == []


def test_a_full_book_still_merges_into_known_patterns() -> None:
    book = PatternBook("s", 2)
    got = ids(["User alice logged in", "Disk 1 full", "Fan 3 failed", "User bob logged in"], book)
    assert got[3] == got[0]
    assert got[2] == pattern_id("info", OVERFLOW_TEMPLATE)
    assert ids(["Fan 4 failed"], book)[0] == got[2]  # nothing merges into the overflow


def test_exact_merger_never_merges() -> None:
    merger = ExactMerger()
    assert merger.merge("a <*>", [Candidate("x", "a <*>")]) is None
    assert merger.min_shared("a b") == 1


def test_candidate_order_does_not_matter() -> None:
    merger = TokenMerger()
    cands = [Candidate("b", "User <*> logged in"), Candidate("a", "User alice logged in")]
    assert merger.merge("User bob logged in", cands) == merger.merge(
        "User bob logged in", cands[::-1]
    )
    assert merger.merge("User bob logged in", cands) == ("b", "User <*> logged in")


# ---------------------------------------------------------------------------------------------
# datagen: the catalogue's ground truth through the merging engine


def _groups(pids: list[str], tids: list[str]) -> dict[str, set[str]]:
    patterns_of: dict[str, set[str]] = defaultdict(set)
    for pid, tid in zip(pids, tids, strict=True):
        patterns_of[tid].add(pid)
    return patterns_of


def test_datagen_simple_templates_are_one_pattern_and_near_misses_apart() -> None:
    events = [e for e in generate(5, 8000, START) if not TEMPLATES_BY_ID[e.template_id].multiline]
    mined = mine([e.message for e in events], level=[e.level for e in events])
    patterns_of = _groups(list(mined["pattern_id"]), truth(events))
    split = {t: len(p) for t, p in patterns_of.items() if t in SIMPLE_VAR_TEMPLATES and len(p) > 1}
    assert split == {}
    for left, right in NEAR_MISS_PAIRS:
        assert patterns_of[left].isdisjoint(patterns_of[right]), (left, right)
    assert len(patterns_of["auth.ssh_failed"]) == 1  # "Failed password for {user} from …"
    templates_of: dict[str, set[str]] = defaultdict(set)
    for pid, tid in zip(mined["pattern_id"], truth(events), strict=True):
        templates_of[pid].add(tid)
    assert [t for t in templates_of.values() if len(t) > 1] == []  # nothing merged wrongly
