"""`ailert parse`: batch mode groups the lines of one datagen template under one pattern."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ailert.config import MappingConfig
from ailert.parse import parse_stream
from datagen.catalogue import NEAR_MISS_PAIRS, SIMPLE_VAR_TEMPLATES
from datagen.generate import generate, render, truth

START = datetime(2026, 11, 26, tzinfo=UTC)


def _parse(lines: list[str], **kwargs: object) -> pl.DataFrame:
    out = io.StringIO()
    parse_stream(io.BytesIO(("\n".join(lines) + "\n").encode()), out, **kwargs)  # type: ignore[arg-type]
    return pl.read_csv(io.StringIO(out.getvalue()), schema_overrides={"pattern_id": pl.String})


def _groups(ids: list[str], truth_ids: list[str]) -> dict[str, set[str]]:
    patterns_of: dict[str, set[str]] = defaultdict(set)
    for pid, tid in zip(ids, truth_ids, strict=True):
        patterns_of[tid].add(pid)
    return patterns_of


@pytest.mark.parametrize("form", ["plain", "json"])
def test_lines_of_a_simple_template_share_one_pattern(form: str) -> None:
    events = [e for e in generate(5, 6000, START) if e.template_id in SIMPLE_VAR_TEMPLATES]
    lines = render(events, form)  # type: ignore[arg-type]
    mapping = MappingConfig(format="json") if form == "json" else None
    parsed = _parse(lines, mapping=mapping)
    assert parsed.height == len(events)
    assert parsed["line"].to_list() == list(range(1, len(events) + 1))
    patterns_of = _groups(parsed["pattern_id"].to_list(), truth(events))
    assert len(patterns_of) >= 25  # the test covers many templates
    split = {tid: len(p) for tid, p in patterns_of.items() if len(p) != 1}
    assert split == {}


def test_near_miss_templates_stay_apart() -> None:
    events = generate(6, 8000, START)
    parsed = _parse(render(events, "json"), mapping=MappingConfig(format="json"))
    patterns_of = _groups(parsed["pattern_id"].to_list(), truth(events))
    for left, right in NEAR_MISS_PAIRS:
        assert patterns_of[left].isdisjoint(patterns_of[right]), (left, right)


def test_output_is_in_input_order_with_physical_line_numbers() -> None:
    parsed = _parse(["first 1", "", "second 2", "first 3"])
    assert parsed["line"].to_list() == [1, 3, 4]
    ids = parsed["pattern_id"].to_list()
    assert ids[0] == ids[2] != ids[1]
    assert parsed["template"].to_list() == ["first <*>", "second <*>", "first <*>"]


def test_chunked_input_gives_the_same_patterns() -> None:
    lines = render(generate(8, 3000, START), "plain")
    whole = _parse(lines)
    chunked = _parse(lines, chunk_lines=200)
    assert whole["pattern_id"].to_list() == chunked["pattern_id"].to_list()


def test_cli_parse_file_and_stdin(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("user 1 in\nuser 2 in\nboom\n")
    from_file = subprocess.run(
        [sys.executable, "-m", "ailert", "parse", str(log)],
        capture_output=True,
        text=True,
        check=True,
    )
    from_stdin = subprocess.run(
        [sys.executable, "-m", "ailert", "parse", "-", "--format", "json"],
        input=log.read_text(),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = from_file.stdout.splitlines()
    assert rows[0] == "line,pattern_id,template"
    assert rows[1].split(",")[1] == rows[2].split(",")[1] != rows[3].split(",")[1]
    assert '"template": "user <*> in"' in from_stdin.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "ailert", "parse", str(tmp_path / "nope.log")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert "Error: cannot read" in missing.stderr
    assert "nope.log" in missing.stderr


@pytest.mark.parametrize("seekable", [True, False])
def test_blocks_hold_complete_lines(monkeypatch: pytest.MonkeyPatch, seekable: bool) -> None:
    import ailert.parse as parse_module

    monkeypatch.setattr(parse_module, "BLOCK_BYTES", 7)
    text = b"ab\ncdefghijklmnop\nq\n\nrs"

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return seekable

    blocks = list(parse_module.iter_blocks(Pipe(text), None))
    assert all(b.endswith(b"\n") for b in blocks)
    assert b"".join(blocks) == text + b"\n"


def test_lines_seen_in_earlier_blocks_get_the_same_pattern_and_its_current_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Blocks of ~40 bytes: every line after the first block is answered by the line memo; a
    pattern that generalises later shows its new template on the lines that follow."""
    import ailert.parse as parse_module

    users = ["bob", "carol", "dave", "erin"]
    lines = ["Session opened for user alice by sshd", "disk 1 ok", "", "  \t "]
    lines += [f"Session opened for user {u} by sshd" for u in users]
    lines += ["Session opened for user alice by sshd", "disk 2 ok", "  \t ", "disk 1 ok"]
    whole = _parse(lines)
    monkeypatch.setattr(parse_module, "BLOCK_BYTES", 40)
    small = _parse(lines)
    assert small["line"].to_list() == whole["line"].to_list() == [1, 2, 5, 6, 7, 8, 9, 10, 12]
    assert small["pattern_id"].to_list() == whole["pattern_id"].to_list()
    assert small["template"][0] == "Session opened for user alice by sshd"  # not yet general
    assert small["template"][6] == "Session opened for user <*> by sshd"  # alice, remembered
    assert len(set(small["pattern_id"])) == 2


def test_the_line_memo_stays_bounded_and_correct() -> None:
    from datetime import UTC, datetime

    from ailert.config import PatternSettings
    from ailert.patterns.engine import PatternBook, PatternEngine
    from ailert.patterns.memo import LineMemo
    from ailert.pipeline import key_bytes, mine_lines

    engine = PatternEngine.from_settings(PatternSettings())
    book = PatternBook("memo", 10_000)
    memo = LineMemo(max_entries=50)
    answers: dict[str, str] = {}
    for block in range(6):
        text = "".join(
            f"job {i} finished in {i % 7} ms\nnode-{i} up\n"
            for i in range(block * 30, block * 30 + 60)
        )
        keyed, _ = key_bytes(text.encode())
        mined = mine_lines(
            keyed, source="memo", mapping=MappingConfig(), engine=engine, book=book,
            ingest_ts=datetime.now(UTC), memo=memo,
        )  # fmt: skip
        book.commit()
        rows = mined.per_line("pattern_id").join(keyed.lines.select("seq", "line"), on="seq")
        for line, pid in rows.select("line", pl.col("pattern_id").cast(pl.String)).iter_rows():
            assert answers.setdefault(line, pid) == pid  # a line's pattern never changes
        assert len(memo) <= 120  # trimmed to the last block's lines once past 50
    assert len(set(answers.values())) == 2


def test_parse_restores_the_garbage_collector() -> None:
    import gc

    assert gc.isenabled()
    _parse(["a 1", "b 2"])
    assert gc.isenabled()
    gc.disable()
    try:
        _parse(["a 1"])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_cli_parse_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``ailert parse big.log | head -1``: the reader goes away, AIlert stops without a trace."""
    log = tmp_path / "big.log"
    log.write_text("".join(f"user {i} logged in from host-{i % 50}\n" for i in range(300_000)))
    with subprocess.Popen(
        [sys.executable, "-m", "ailert", "parse", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.readline() == b"line,pattern_id,template\n"
        proc.stdout.close()  # the reader is gone; ~15 MB of output remain
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141
    assert stderr == ""
