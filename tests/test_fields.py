"""Field names of JSON / logfmt lines and ``source_fields`` (issue 4, format drift: new fields):
``ailert.fields.field_names`` and ``sql/snapshot/upsert_fields.sql`` run directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ailert.diff import Window, detect_changes
from ailert.fields import field_names
from ailert.store import Store, open_store

T1 = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=2)


def lines(*texts: str | None) -> pl.DataFrame:
    return pl.DataFrame({"line": list(texts)}, schema={"line": pl.String})


def as_dict(frame: pl.DataFrame) -> dict[str, int]:
    assert frame.schema == pl.Schema({"field": pl.String, "n": pl.Int64})
    return dict(zip(frame["field"].to_list(), frame["n"].to_list(), strict=True))


def test_json_top_level_keys_counted_per_line() -> None:
    frame = lines(
        '{"ts": "2026-11-04T12:00:00Z", "msg": "a", "ctx": {"user": 1}}',
        '  {"ts": "2026-11-04T12:00:01Z", "msg": "b", "trace_id": "x"}',
        "not json at all",
        "[1, 2, 3]",
        '{"truncated": ',
        None,
        "",
    )
    assert as_dict(field_names(frame, "json")) == {"ctx": 1, "msg": 2, "trace_id": 1, "ts": 2}


def test_logfmt_keys_skip_quoted_values_and_repeats() -> None:
    frame = lines(
        'ts=2026-11-04T12:00:00Z level=info msg="user a=b logged in" user=alice',
        "ts=2026-11-04T12:00:01Z level=warn retry=1 retry=2",
        "no pairs here",
        None,
    )
    assert as_dict(field_names(frame, "logfmt")) == {
        "level": 2,
        "msg": 1,
        "retry": 1,
        "ts": 2,
        "user": 1,
    }


@pytest.mark.parametrize("fmt", ["plain", "syslog", "regex", "json", "logfmt"])
def test_formats_without_fields_or_lines_give_an_empty_frame(fmt: str) -> None:
    text = "2026-11-04T12:00:00Z INFO started" if fmt not in {"json", "logfmt"} else None
    frame = lines(text) if text else lines()
    assert field_names(frame, fmt).height == 0


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        field_names(lines("<a/>"), "xml")
    with pytest.raises(ValueError, match="String column 'line'"):
        field_names(pl.DataFrame({"text": ["a=1"]}), "logfmt")


def upsert(store: Store, source: str, batch: pl.DataFrame, ts: datetime) -> None:
    store.con.register("batch_fields", batch)
    try:
        store.run("snapshot/upsert_fields", {"source": source, "ts": ts})
    finally:
        store.con.unregister("batch_fields")


def test_upsert_fields_keeps_first_and_last_seen_and_adds_counts() -> None:
    old = lines('{"ts": "t", "msg": "a"}', '{"ts": "t", "msg": "b"}')
    grown = lines('{"ts": "t", "msg": "c", "trace_id": "x"}')
    with open_store(None) as store:
        upsert(store, "pay", field_names(old, "json"), T1)
        upsert(store, "pay", field_names(grown, "json"), T2)
        upsert(store, "pay", field_names(old, "json"), T1 - timedelta(hours=1))  # a backfill
        rows = store.con.execute(
            "SELECT field, first_seen, last_seen, n FROM source_fields ORDER BY field"
        ).fetchall()
        assert rows == [
            ("msg", T1 - timedelta(hours=1), T2, 5),
            ("trace_id", T2, T2, 1),
            ("ts", T1 - timedelta(hours=1), T2, 5),
        ]
        window = Window(T2, T2 + timedelta(hours=1))
        (finding,) = detect_changes(store.con, window, window.baseline("previous"))
        assert (finding.kind, finding.source, finding.sample) == ("format_drift", "pay", "trace_id")
        assert finding.template == "new field trace_id"
