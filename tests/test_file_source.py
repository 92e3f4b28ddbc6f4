"""The file tail: offsets, partial lines, rotation (rename, copytruncate, gone), start_at,
multiline hold-back, .gz backfill, binary and unreadable files. Cursors are kept in a dict
here, exactly as the pipeline keeps them in the store."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from ailert.config import FileSource
from ailert.sources.file import FileCursor, plan_reads, read_chunks


class Tail:
    """Drive plan_reads/read_chunks like ticks, keeping cursors by file key."""

    def __init__(self, path: Path, **keys: object) -> None:
        self.source = FileSource(name="app", type="file", path=str(path), **keys)  # type: ignore[arg-type]
        self.cursors: dict[str, FileCursor] = {}
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def tick(self, chunk_bytes: int = 1 << 20, now: float | None = None) -> bytes:
        plan = plan_reads(self.source, list(self.cursors.values()))
        self.errors, self.warnings = plan.errors, plan.warnings
        for cursor in plan.retired:
            self.cursors[cursor.file_key] = cursor
        out = b""
        for file_plan in plan.plans:
            for chunk in read_chunks(file_plan, self.source, chunk_bytes, now=now):
                out += chunk.data
                self.cursors[chunk.cursor.file_key] = chunk.cursor
        return out


def write(path: Path, text: str, mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as handle:
        handle.write(text)


def test_reads_only_new_complete_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "one\ntwo\nthr")
    tail = Tail(tmp_path / "*.log")
    assert tail.tick() == b"one\ntwo\n"
    assert tail.tick() == b""
    write(log, "ee\nfour\n")
    assert tail.tick() == b"three\nfour\n"


def test_small_chunks_split_on_line_boundaries(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    lines = "".join(f"line number {i}\n" for i in range(200))
    write(log, lines)
    tail = Tail(log)
    assert tail.tick(chunk_bytes=64) == lines.encode()


def test_line_longer_than_a_chunk(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    text = "short\n" + "x" * 5000 + "\nend\n"
    write(log, text)
    assert Tail(log).tick(chunk_bytes=100) == text.encode()


def test_rotation_by_rename_reads_the_remainder(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "a\nb\n")
    tail = Tail(tmp_path / "*.log")
    assert tail.tick() == b"a\nb\n"
    write(log, "c\n")  # written after the last tick, before rotation
    os.rename(log, tmp_path / "app.log.1")
    write(log, "d\n", mode="w")
    got = tail.tick()
    assert sorted(got.splitlines()) == [b"c", b"d"]
    assert tail.tick() == b""


def test_copytruncate_drains_the_copy_then_restarts(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "x" * 200 + "\n")  # long enough for a content fingerprint
    tail = Tail(tmp_path / "*.log")
    tail.tick()
    write(log, "late line\n")
    shutil.copy(log, tmp_path / "app.log.1")
    with open(log, "r+") as handle:
        handle.truncate(0)
    write(log, "new\n")
    assert tail.tick() == b"late line\nnew\n"
    assert tail.tick() == b""


def test_truncated_and_regrown_file_is_reread_from_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "first content line\n")
    tail = Tail(log)
    tail.tick()
    write(log, "completely different and longer content\n", mode="w")
    assert tail.tick() == b"completely different and longer content\n"


def test_file_that_disappears_is_retired(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "a\n")
    other = tmp_path / "b.log"
    write(other, "b\n")
    tail = Tail(tmp_path / "*.log")
    tail.tick()
    log.unlink()
    assert tail.tick() == b""
    assert any(c.done for c in tail.cursors.values())
    write(other, "b2\n")
    assert tail.tick() == b"b2\n"


def test_start_at_end_skips_history_but_not_later_files(tmp_path: Path) -> None:
    write(tmp_path / "a.log", "old\nold2\n")
    tail = Tail(tmp_path / "*.log", start_at="end")
    assert tail.tick() == b""
    write(tmp_path / "a.log", "new\n")
    write(tmp_path / "b.log", "fresh file\n")
    assert sorted(tail.tick().splitlines()) == [b"fresh file", b"new"]


def test_multiline_record_is_held_until_complete(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "2026-01-01 one\n2026-01-01 boom\n\tat a\n")
    tail = Tail(log, multiline={"start": "^2026", "flush_after": "60s"})
    now = log.stat().st_mtime + 1  # file still "hot"
    assert tail.tick(now=now) == b"2026-01-01 one\n"
    write(log, "\tat b\n2026-01-01 next\n")
    assert tail.tick(now=now) == b"2026-01-01 boom\n\tat a\n\tat b\n"
    assert tail.tick(now=log.stat().st_mtime + 120) == b"2026-01-01 next\n"  # quiet: flushed


def test_multiline_never_splits_a_record_across_chunks(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    record = "2026 start\n" + "".join(f"\tat frame {i}\n" for i in range(5))
    write(log, record * 20)
    tail = Tail(log, multiline={"start": "^2026", "flush_after": "0s"})
    plan = plan_reads(tail.source, [])
    chunks = [c.data for c in read_chunks(plan.plans[0], tail.source, 100, now=1e12)]
    assert b"".join(chunks) == (record * 20).encode()
    assert all(c.startswith(b"2026 start") for c in chunks if c)


def test_gz_rotated_files_are_read_for_backfill(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "app.log.2.gz", "wt") as handle:
        handle.write("old one\nold two")  # final line without newline still counts
    write(tmp_path / "app.log", "current\n")
    tail = Tail(tmp_path / "app.log*")
    assert sorted(tail.tick().splitlines()) == [b"current", b"old one", b"old two"]
    assert tail.tick() == b""


def test_gz_of_an_already_read_file_is_not_counted_twice(tmp_path: Path) -> None:
    log = tmp_path / "app.log.1"
    body = "".join(f"line {i} of the rotated file\n" for i in range(20))
    write(log, body)
    tail = Tail(tmp_path / "app.log*")
    assert tail.tick() == body.encode()
    with open(log, "rb") as src, gzip.open(tmp_path / "app.log.1.gz", "wb") as dst:
        dst.write(src.read())
    log.unlink()
    assert tail.tick() == b""


def test_binary_file_in_glob_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "core.log").write_bytes(bytes(range(256)) * 40)
    write(tmp_path / "app.log", "text\n")
    tail = Tail(tmp_path / "*.log")
    assert tail.tick() == b"text\n"
    assert any("core.log" in w and "binary" in w for w in tail.warnings)
    assert tail.tick() == b""


def test_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    tail = Tail(tmp_path / "absent.log")
    assert tail.tick() == b""
    assert tail.errors == [f"file not found: {tmp_path / 'absent.log'} (source 'app')"]


def test_unreadable_file_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the suite runs as root, who reads every file: make the OS refuse this one
    import ailert.sources.file as file_module

    real_open = open

    def refusing_open(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith("secret.log"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    write(tmp_path / "secret.log", "x\n")
    write(tmp_path / "ok.log", "fine\n")
    monkeypatch.setattr(file_module, "open", refusing_open, raising=False)
    tail = Tail(tmp_path / "*.log")
    assert tail.tick() == b"fine\n"
    assert tail.errors == [f"cannot read {tmp_path / 'secret.log'}: permission denied"]


def test_broken_link_is_an_error_and_others_go_on(tmp_path: Path) -> None:
    (tmp_path / "dir.log").mkdir()
    (tmp_path / "broken.log").symlink_to(tmp_path / "nowhere")
    write(tmp_path / "ok.log", "fine\n")
    tail = Tail(tmp_path / "*.log")
    assert tail.tick() == b"fine\n"
    assert tail.errors == [f"cannot read {tmp_path / 'broken.log'}: broken symbolic link"]
