"""The file source: a glob of log files read as a tail, with the cursor kept in the store.

A file's identity is ``device:inode`` checked against a fingerprint of its first bytes (so a
reused inode is a new file), and the fingerprint alone finds the same content again after
rotation (a renamed file, a ``copytruncate`` copy, a ``.gz`` of a rotated file). This module
only *plans and reads*: it yields :class:`FileChunk` objects holding complete lines and the
cursor they advance to; the pipeline commits a chunk's counts and its cursor in one
transaction, so a crash at any point re-reads exactly the uncommitted bytes.

Rules:
- never consume a partial last line (the remainder waits for its newline), except from a
  file that was rotated away, whose remainder is final;
- a file seen for the first time is read from its beginning (``start_at: end`` skips the
  history of the files present at the source's very first tick);
- multiline records: with ``multiline.start`` set, a trailing record is held back until the
  file has been quiet for ``flush_after`` (it may still be growing);
- binary files in the glob are skipped (recorded, reported), never templated.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import regex

from ailert.config import FileSource
from ailert.errors import SourceError

__all__ = ["FileChunk", "FileCursor", "FilePlan", "ReadPlan", "plan_reads", "read_chunks"]

FINGERPRINT_BYTES = 1024
MIN_TWIN_BYTES = 128  # content match alone identifies a file only past this many bytes
_BINARY_PROBE = 8192


@dataclass(frozen=True)
class FileCursor:
    """Where reading of one file stands (a row of ``file_cursors``)."""

    file_key: str
    path: str
    fp_len: int
    fp_hash: str
    byte_offset: int
    done: bool = False
    skipped: str | None = None


@dataclass(frozen=True)
class FilePlan:
    """One file to read this tick, from ``cursor.byte_offset``; ``final`` = rotated away."""

    path: str
    cursor: FileCursor
    final: bool = False
    is_new: bool = False


@dataclass(frozen=True)
class ReadPlan:
    """What a tick reads from one file source, and what it found wrong on the way."""

    plans: list[FilePlan]
    errors: list[str]
    warnings: list[str]
    retired: list[FileCursor]


@dataclass(frozen=True)
class FileChunk:
    """Complete lines of one file and the cursor that committing them leads to."""

    path: str
    data: bytes
    cursor: FileCursor


@dataclass(frozen=True)
class _Seen:
    path: str
    key: str
    size: int
    head: bytes
    compressed: bool


def _fingerprint(head: bytes) -> tuple[int, str]:
    part = head[:FINGERPRINT_BYTES]
    return len(part), hashlib.sha1(part, usedforsecurity=False).hexdigest()


def _matches(cursor: FileCursor, head: bytes) -> bool:
    return len(head) >= cursor.fp_len and _fingerprint(head[: cursor.fp_len])[1] == cursor.fp_hash


def _is_gz(path: str) -> bool:
    return path.endswith(".gz")


def _read_head(path: str, compressed: bool) -> bytes:
    with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
        return handle.read(max(FINGERPRINT_BYTES, _BINARY_PROBE))


def _is_binary(head: bytes) -> bool:
    """Binary when over 10% of the first 8 KiB are NULs or control characters."""
    if not head:
        return False
    probe = head[:_BINARY_PROBE]
    controls = sum(1 for b in probe if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(probe) > 0.10


def _stat(path: str) -> _Seen:
    """Look at one file; raises SourceError naming it when it cannot be read."""
    compressed = _is_gz(path)
    try:
        info = os.stat(path)
        head = _read_head(path, compressed)
    except PermissionError:
        raise SourceError(f"cannot read {path}: permission denied") from None
    except (OSError, EOFError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from None
    return _Seen(path, f"{info.st_dev}:{info.st_ino}", info.st_size, head, compressed)


def _find_rotated(cursor: FileCursor, exclude: set[str]) -> _Seen | None:
    """A file in the cursor's directory holding its content (renamed, or a copytruncate copy)."""
    folder = Path(cursor.path).parent
    try:
        candidates = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return None
    for candidate in candidates:
        name = str(candidate)
        if name in exclude or not candidate.is_file():
            continue
        try:
            seen = _stat(name)
        except SourceError:
            continue
        same_inode = seen.key == cursor.file_key
        if (same_inode or cursor.fp_len >= MIN_TWIN_BYTES) and _matches(cursor, seen.head):
            return seen
    return None


def _drain(cursor: FileCursor, rotated: _Seen) -> FilePlan:
    """Read the rest of a rotated-away file; its row is keyed by the rotated file itself."""
    return FilePlan(
        rotated.path, replace(cursor, file_key=rotated.key, path=rotated.path), final=True
    )


def plan_reads(source: FileSource, cursors: list[FileCursor]) -> ReadPlan:
    """Decide what to read this tick: files in order (remainders of rotated files first),
    errors about single files that do not stop the others (unreadable, none matching),
    warnings (binary files skipped), and cursors of files gone for good (to mark done).
    """
    pattern = os.path.expanduser(source.path)
    paths = sorted(glob.glob(pattern), key=_mtime)
    problems: list[str] = []
    warnings: list[str] = []
    if not paths:
        kind = "no file matches" if glob.has_magic(pattern) else "file not found:"
        problems.append(f"{kind} {pattern} (source {source.name!r})")
    seen: list[_Seen] = []
    for path in paths:
        if os.path.islink(path) and not os.path.exists(path):
            problems.append(f"cannot read {path}: broken symbolic link")
            continue
        if not os.path.isfile(path):
            continue
        try:
            seen.append(_stat(path))
        except SourceError as exc:
            problems.append(str(exc))
    first_tick = not cursors
    by_key = {c.file_key: c for c in cursors}
    drains: list[FilePlan] = []
    plans: list[FilePlan] = []
    used: set[str] = set()

    for file in seen:
        cursor = by_key.get(file.key)
        if cursor is not None and not _matches(cursor, file.head):
            cursor = None  # inode reused, or truncated and rewritten: new content
        if cursor is None and file.compressed:
            # a compressed copy of a file already read (app.log.1 -> app.log.1.gz)
            twin = next(
                (c for c in cursors if c.fp_len >= MIN_TWIN_BYTES and _matches(c, file.head)), None
            )
            if twin is not None:
                cursor = replace(twin, file_key=file.key, path=file.path, done=False)
        if cursor is not None:
            used.add(cursor.file_key)
            if cursor.done or cursor.skipped:
                continue
            if not file.compressed and file.size < cursor.byte_offset:
                # copytruncate: drain the copy first, then start again at 0
                copy = _find_rotated(cursor, exclude={file.path})
                if copy:
                    drains.append(_drain(cursor, copy))
                cursor = replace(cursor, byte_offset=0, fp_len=0, fp_hash=_fingerprint(b"")[1])
            plans.append(
                FilePlan(file.path, replace(cursor, path=file.path), final=file.compressed)
            )
            continue
        fp_len, fp_hash = _fingerprint(file.head)
        if _is_binary(file.head):
            warnings.append(f"skipped {file.path}: looks binary, not a text log")
            skip = FileCursor(file.key, file.path, fp_len, fp_hash, file.size, True, "binary")
            plans.append(FilePlan(file.path, skip, final=True, is_new=True))
            continue
        start = file.size if (first_tick and source.start_at == "end") else 0
        if start and not file.compressed:
            start = _last_newline_before(file.path, start)
        cursor = FileCursor(file.key, file.path, fp_len, fp_hash, start)
        plans.append(FilePlan(file.path, cursor, final=file.compressed, is_new=True))

    planned = {p.cursor.file_key for p in plans}
    globbed = {s.path for s in seen}
    retired: list[FileCursor] = []
    for cursor in cursors:
        if cursor.done or cursor.file_key in used:
            continue
        moved = _find_rotated(cursor, exclude=globbed)
        if moved:
            drains.append(_drain(cursor, moved))
        elif cursor.file_key not in planned:
            retired.append(replace(cursor, done=True))
    return ReadPlan(drains + plans, problems, warnings, retired)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _last_newline_before(path: str, size: int) -> int:
    """Offset just past the last newline in the file, so ``start_at: end`` starts on a line."""
    with open(path, "rb") as handle:
        pos = size
        while pos > 0:
            step = min(65536, pos)
            handle.seek(pos - step)
            block = handle.read(step)
            index = block.rfind(b"\n")
            if index >= 0:
                return pos - step + index + 1
            pos -= step
    return 0


def _open_at(plan: FilePlan) -> tuple[object, bool]:
    compressed = _is_gz(plan.path)
    try:
        handle = gzip.open(plan.path, "rb") if compressed else open(plan.path, "rb")  # noqa: SIM115
        if compressed:
            remaining = plan.cursor.byte_offset
            while remaining > 0:
                skipped = handle.read(min(remaining, 1 << 20))
                if not skipped:
                    break
                remaining -= len(skipped)
        else:
            handle.seek(plan.cursor.byte_offset)
    except PermissionError:
        raise SourceError(f"cannot read {plan.path}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"cannot read {plan.path}: {exc}") from None
    return handle, compressed


def _hold_back_multiline(data: bytes, start: regex.Pattern[str], max_lines: int) -> int:
    """Length of ``data`` up to the start of its last record (which may still be growing)."""
    body = data[:-1] if data.endswith(b"\n") else data
    pos = len(body)
    for _ in range(max_lines):
        cut = body.rfind(b"\n", 0, pos)
        line = body[cut + 1 : pos]
        if start.search(line.decode("utf-8", "replace")):
            return cut + 1
        if cut < 0:
            return 0
        pos = cut
    return len(data)


def read_chunks(
    plan: FilePlan,
    source: FileSource,
    chunk_bytes: int,
    now: float | None = None,
) -> Iterator[FileChunk]:
    """Read a planned file from its cursor in chunks of complete lines."""
    cursor = plan.cursor
    if cursor.skipped:
        yield FileChunk(plan.path, b"", replace(cursor, done=True))
        return
    handle, compressed = _open_at(plan)
    multiline = source.multiline
    start_rx = regex.compile(multiline.start) if multiline else None
    quiet = False
    if multiline:
        age = (now or time.time()) - _mtime(plan.path)
        quiet = age >= multiline.flush_after.total_seconds()
    offset = cursor.byte_offset
    carry = b""
    try:
        with handle:  # type: ignore[attr-defined]
            while True:
                block = handle.read(chunk_bytes)  # type: ignore[attr-defined]
                eof = len(block) < chunk_bytes
                data = carry + block
                end = data.rfind(b"\n") + 1
                last = eof
                if last and (plan.final or compressed) and end < len(data):
                    end = len(data)  # a rotated file will not grow: its remainder is final
                if (
                    start_rx is not None
                    and multiline
                    and end
                    and not (last and (plan.final or quiet))
                ):
                    # the trailing record may continue in the next block or the next write
                    end = _hold_back_multiline(data[:end], start_rx, multiline.max_lines)
                complete, carry = data[:end], data[end:]
                if not last and not complete:
                    continue  # a line longer than a chunk: keep reading
                if complete or last:
                    offset += len(complete)
                    fp_len, fp_hash = cursor.fp_len, cursor.fp_hash
                    if fp_len < FINGERPRINT_BYTES:
                        fp_len, fp_hash = _fingerprint(_read_head(plan.path, compressed))
                    cursor = replace(
                        cursor,
                        byte_offset=offset,
                        fp_len=fp_len,
                        fp_hash=fp_hash,
                        done=plan.final and last,
                    )
                    if complete and not complete.endswith(b"\n"):
                        complete += b"\n"  # the final line of a rotated file
                    yield FileChunk(plan.path, complete, cursor)
                if last:
                    return
    except OSError as exc:
        raise SourceError(f"cannot read {plan.path}: {exc}") from None
