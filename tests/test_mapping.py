"""Raw lines → records (ailert.mapping.map_lines) for every format, and the record schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandera.errors
import polars as pl
import pytest

from ailert.config import MappingConfig
from ailert.errors import MappingError
from ailert.mapping import map_lines
from ailert.schemas import LABELS, validate_records

INGEST = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def _map(lines: list[str], **mapping: Any) -> pl.DataFrame:
    frame = pl.DataFrame({"seq": list(range(len(lines))), "line": lines})
    return map_lines(frame, "app", MappingConfig(**mapping), INGEST)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _labels(records: pl.DataFrame) -> list[dict[str, str]]:
    return [{item["key"]: item["value"] for item in row} for row in records["labels"].to_list()]


# --- output shape ----------------------------------------------------------------------------


def test_output_schema_and_extra_columns_carried() -> None:
    frame = pl.DataFrame(
        {"seq": [7, 3], "file": ["a.log", "b.log"], "line": ["INFO one", "two"]},
        schema={"seq": pl.Int64, "file": pl.String, "line": pl.String},
    )
    out = map_lines(frame, "web", MappingConfig(), INGEST)
    assert out.columns == [
        "seq",
        "file",
        "line",
        "ts",
        "source",
        "level",
        "message",
        "labels",
        "mapping_failed",
    ]
    assert out.schema["ts"] == pl.Datetime("ns", "UTC")
    assert out.schema["labels"] == LABELS
    assert out.schema["mapping_failed"] == pl.Boolean
    assert out["seq"].to_list() == [7, 3]
    assert out["file"].to_list() == ["a.log", "b.log"]
    assert out["line"].to_list() == ["INFO one", "two"]
    assert out["source"].to_list() == ["web", "web"]


@pytest.mark.parametrize("fmt", ["plain", "json", "logfmt", "syslog"])
def test_row_order_preserved_with_failures_mixed_in(fmt: str) -> None:
    good = {
        "plain": "INFO request {i}",
        "json": '{{"msg": "request {i}", "level": "info"}}',
        "logfmt": "level=info msg=request{i}",
        "syslog": "<14>Feb 20 10:00:00 host app[1]: request {i}",
    }[fmt]
    lines = [f"garbage {i}" if i % 7 == 0 else good.format(i=i) for i in range(5000)]
    out = _map(lines, format=fmt)
    assert out.height == 5000
    assert out["seq"].to_list() == list(range(5000))
    assert out["line"].to_list() == lines
    if fmt != "plain":
        assert out["mapping_failed"].to_list() == [i % 7 == 0 for i in range(5000)]
    assert out.filter(~pl.col("mapping_failed"))["message"].str.ends_with("request").sum() == 0


def test_empty_input() -> None:
    out = map_lines(
        pl.DataFrame({"line": []}, schema={"line": pl.String}),
        "app",
        MappingConfig(format="json", labels=["host"]),
        INGEST,
    )
    assert out.height == 0
    assert out.schema["labels"] == LABELS


def test_input_without_line_column_is_rejected() -> None:
    with pytest.raises(ValueError, match="line"):
        map_lines(pl.DataFrame({"text": ["x"]}), "app", MappingConfig(), INGEST)


def test_input_column_clashing_with_records_is_rejected() -> None:
    with pytest.raises(ValueError, match="message"):
        map_lines(pl.DataFrame({"line": ["x"], "message": ["y"]}), "app", MappingConfig(), INGEST)


def test_naive_ingest_ts_is_utc() -> None:
    frame = pl.DataFrame({"line": ["no timestamp"]})
    out = map_lines(frame, "app", MappingConfig(), datetime(2024, 5, 6, 7, 8, 9))
    assert out["ts"].to_list() == [_utc(2024, 5, 6, 7, 8, 9)]


# --- plain -----------------------------------------------------------------------------------


def test_plain_leading_timestamps() -> None:
    lines = [
        "2024-01-02T03:04:05Z ERROR boom",
        "2024-01-02 03:04:05,250 WARN python logging style",
        "2024-01-02T03:04:05.123456789+02:00 INFO nanos and offset",
        "[2024-01-02 03:04:05] [error] bracketed",
        "2024-01-02T03:04:05-0130 compact offset",
        "no timestamp here",
        "see 2024-01-02T03:04:05Z later in the line",
        "2024-13-45T03:04:05Z impossible date",
    ]
    out = _map(lines)
    ts = out["ts"].to_list()
    assert ts[0] == _utc(2024, 1, 2, 3, 4, 5)
    assert ts[1] == _utc(2024, 1, 2, 3, 4, 5) + timedelta(milliseconds=250)
    assert ts[3] == _utc(2024, 1, 2, 3, 4, 5)
    assert ts[4] == _utc(2024, 1, 2, 4, 34, 5)
    assert ts[5:] == [INGEST, INGEST, INGEST]
    nanos = out.select(pl.col("ts").dt.epoch("ns"))["ts"][2]
    expected = int(_utc(2024, 1, 2, 1, 4, 5).timestamp()) * 10**9 + 123456789
    assert nanos == expected
    assert out["message"].to_list() == lines
    assert out["level"].to_list()[:6] == ["error", "warn", "info", "error", "unknown", "unknown"]
    assert not out["mapping_failed"].any()
    assert out["labels"].to_list() == [[]] * len(lines)


def test_plain_timezone_applies_to_naive_only() -> None:
    out = _map(
        ["2024-01-15 10:00:00 winter", "2024-07-15 10:00:00 summer", "2024-07-15T10:00:00Z utc"],
        timezone="Europe/Berlin",
    )
    assert out["ts"].to_list() == [
        _utc(2024, 1, 15, 9, 0),
        _utc(2024, 7, 15, 8, 0),
        _utc(2024, 7, 15, 10, 0),
    ]


def test_plain_user_ts_format_tried_first() -> None:
    out = _map(
        ["15/01/2024 10:00:00 custom", "2024-01-15T11:00:00Z builtin"],
        ts_format="%d/%m/%Y %H:%M:%S",
        timezone="America/New_York",
    )
    assert out["ts"].to_list() == [_utc(2024, 1, 15, 15, 0), _utc(2024, 1, 15, 11, 0)]


def test_plain_rejects_labels() -> None:
    with pytest.raises(MappingError, match="labels"):
        _map(["x"], labels=["host"])


def test_unknown_timezone_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="Mars/Olympus"):
        _map(["x"], timezone="Mars/Olympus")


def test_bad_level_map_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="level_map"):
        _map(["x"], level_map={"x": "loud"})


# --- json ------------------------------------------------------------------------------------


def test_json_default_field_discovery() -> None:
    lines = [
        '{"ts": "2024-01-02T03:04:05Z", "level": "warn", "msg": "a"}',
        '{"time": "2024-01-02T03:04:06Z", "severity": "ERROR", "message": "b"}',
        '{"timestamp": "2024-01-02T03:04:07Z", "lvl": "debug", "log": "c"}',
        '{"@timestamp": "2024-01-02T03:04:08Z", "msg": "d INFO in text"}',
        '{"ts": "2024-01-02T03:04:09Z", "time": "1999-01-01T00:00:00Z", "msg": "e", "log": "x"}',
    ]
    out = _map(lines, format="json")
    assert out["message"].to_list() == ["a", "b", "c", "d INFO in text", "e"]
    assert out["level"].to_list() == ["warn", "error", "debug", "info", "unknown"]
    assert out["ts"].to_list() == [_utc(2024, 1, 2, 3, 4, s) for s in range(5, 10)]
    assert not out["mapping_failed"].any()


def test_json_failures_are_kept_and_flagged() -> None:
    lines = [
        "not json at all",
        '{"msg": "broken"',
        '{"level": "error", "text": "no message field"}',
        "[1, 2, 3]",
        '"just a string"',
        '{"msg": null}',
        '{"msg": "trailing"} junk',
        '  {"msg": "leading blanks are fine"}',
    ]
    out = _map(lines, format="json", labels=["level"])
    assert out["mapping_failed"].to_list() == [True] * 7 + [False]
    failed = out.filter(pl.col("mapping_failed"))
    assert failed["message"].to_list() == lines[:7]
    assert set(failed["level"]) == {"unknown"}
    assert set(failed["ts"]) == {INGEST}
    assert failed["labels"].to_list() == [[]] * 7
    assert out["message"][7] == "leading blanks are fine"


def test_json_nested_override_and_literal_dotted_key() -> None:
    lines = [
        '{"log": {"level": "warn"}, "event": {"text": "nested"}, "t": {"at": 1700000000}}',
        '{"log.level": "error", "event.text": "flat dotted key", "t.at": "2024-01-02T03:04:05Z"}',
    ]
    out = _map(
        lines,
        format="json",
        fields={"level": "log.level", "message": "event.text", "ts": "t.at"},
    )
    assert out["message"].to_list() == ["nested", "flat dotted key"]
    assert out["level"].to_list() == ["warn", "error"]
    assert out["ts"].to_list() == [_utc(2023, 11, 14, 22, 13, 20), _utc(2024, 1, 2, 3, 4, 5)]


def test_json_override_replaces_defaults() -> None:
    out = _map(
        ['{"msg": "default", "body": "chosen"}', '{"msg": "only"}'],
        format="json",
        fields={"message": "body"},
    )
    assert out["message"].to_list() == ["chosen", '{"msg": "only"}']
    assert out["mapping_failed"].to_list() == [False, True]


def test_json_epoch_timestamps_by_magnitude() -> None:
    lines = [
        '{"ts": 1700000000, "msg": "s"}',
        '{"ts": 1700000000123, "msg": "ms"}',
        '{"ts": 1700000000123456, "msg": "us"}',
        '{"ts": 1700000000123456789, "msg": "ns"}',
        '{"ts": 1700000000.25, "msg": "fractional s"}',
        '{"ts": "1700000000", "msg": "string s"}',
        '{"ts": -5, "msg": "negative"}',
        '{"ts": "yesterday", "msg": "words"}',
    ]
    out = _map(lines, format="json")
    nanos = out.select(pl.col("ts").dt.epoch("ns"))["ts"].to_list()
    base = 1_700_000_000 * 10**9
    assert nanos[:6] == [
        base,
        base + 123_000_000,
        base + 123_456_000,
        base + 123_456_789,
        base + 250_000_000,
        base,
    ]
    assert out["ts"].to_list()[6:] == [INGEST, INGEST]
    assert not out["mapping_failed"].any()


def test_json_pino_levels_and_level_map() -> None:
    lines = [f'{{"level": {n}, "msg": "m"}}' for n in (10, 20, 30, 40, 50, 60)]
    lines.append('{"level": "W", "msg": "custom"}')
    out = _map(lines, format="json", level_map={"w": "warn"})
    assert out["level"].to_list() == ["trace", "debug", "info", "warn", "error", "fatal", "warn"]


def test_json_string_values_are_unescaped() -> None:
    out = _map([r'{"msg": "say \"hi\"\n\u00e9"}'], format="json")
    assert out["message"].to_list() == ['say "hi"\né']


def test_json_labels_only_when_present() -> None:
    lines = [
        '{"msg": "a", "host": "web-1", "k8s": {"pod": "p1"}}',
        '{"msg": "b", "host": null}',
        '{"msg": "c", "k8s": {"pod": "p2"}, "port": 8080}',
    ]
    out = _map(lines, format="json", labels=["host", "k8s.pod", "port"])
    assert _labels(out) == [
        {"host": "web-1", "k8s.pod": "p1"},
        {},
        {"k8s.pod": "p2", "port": "8080"},
    ]
    assert [item["key"] for item in out["labels"][0]] == [
        "host",
        "k8s.pod",
    ]


def test_json_timezone_and_ts_format() -> None:
    lines = [
        '{"ts": "2024-01-15 10:00:00", "msg": "naive iso"}',
        '{"ts": "2024-01-15T10:00:00+00:00", "msg": "aware iso"}',
        '{"ts": "15.01.2024 10:00", "msg": "custom format"}',
        '{"ts": "10/Oct/2000:13:55:36 -0700", "msg": "common log format"}',
    ]
    out = _map(lines, format="json", timezone="Asia/Tokyo", ts_format=["%d.%m.%Y %H:%M"])
    assert out["ts"].to_list() == [
        _utc(2024, 1, 15, 1, 0),
        _utc(2024, 1, 15, 10, 0),
        _utc(2024, 1, 15, 1, 0),
        _utc(2000, 10, 10, 20, 55, 36),
    ]


def test_json_rejects_pattern() -> None:
    with pytest.raises(MappingError, match="pattern"):
        _map(["{}"], format="json", pattern="(?P<message>.*)")


# --- logfmt ----------------------------------------------------------------------------------


def test_logfmt_fields_quotes_and_failures() -> None:
    lines = [
        'ts=2024-01-02T03:04:05Z level=warn msg="disk \\"sda\\" almost full" host=db1',
        "time=2024-01-02T03:04:06Z severity=error message=plain_value",
        'msg="quoted ts=5 level=debug inside" ts=2024-01-02T03:04:07Z',
        "level=info component=api",
        "no pairs in this line at all",
        "=novalue",
    ]
    out = _map(lines, format="logfmt", labels=["host", "component"])
    assert out["message"].to_list() == [
        'disk "sda" almost full',
        "plain_value",
        "quoted ts=5 level=debug inside",
        "level=info component=api",
        "no pairs in this line at all",
        "=novalue",
    ]
    # no level key on line 3, so its message text is searched, where level=debug is found
    assert out["level"].to_list() == ["warn", "error", "debug", "info", "unknown", "unknown"]
    assert out["ts"].to_list() == [
        _utc(2024, 1, 2, 3, 4, 5),
        _utc(2024, 1, 2, 3, 4, 6),
        _utc(2024, 1, 2, 3, 4, 7),
        INGEST,
        INGEST,
        INGEST,
    ]
    assert out["mapping_failed"].to_list() == [False, False, False, False, True, True]
    assert _labels(out) == [{"host": "db1"}, {}, {}, {"component": "api"}, {}, {}]


def test_logfmt_key_must_start_a_token() -> None:
    out = _map(["xlevel=error mylevel=warn level=debug msg=hi"], format="logfmt")
    assert out["level"].to_list() == ["debug"]


def test_logfmt_field_override() -> None:
    out = _map(
        ["at=2024-01-02T03:04:05Z sev=W text=hello msg=ignored"],
        format="logfmt",
        fields={"ts": "at", "level": "sev", "message": "text"},
        level_map={"W": "warn"},
    )
    assert out.row(0, named=True)["message"] == "hello"
    assert out.row(0, named=True)["level"] == "warn"
    assert out.row(0, named=True)["ts"] == _utc(2024, 1, 2, 3, 4, 5)


# --- syslog ----------------------------------------------------------------------------------


def test_syslog_rfc5424() -> None:
    lines = [
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed",
        '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [ex@32473 iut="3" '
        'note="a \\] b"] An application event',
        "<13>1 - - - - - -",
    ]
    out = _map(lines, format="syslog", labels=["host", "app", "procid", "msgid"])
    assert out["message"].to_list() == ["'su root' failed", "An application event", ""]
    assert out["level"].to_list() == ["fatal", "info", "info"]
    assert out["ts"].to_list() == [
        _utc(2003, 10, 11, 22, 14, 15) + timedelta(milliseconds=3),
        _utc(2003, 8, 24, 12, 14, 15) + timedelta(microseconds=3),
        INGEST,
    ]
    assert _labels(out) == [
        {"host": "mymachine.example.com", "app": "su", "msgid": "ID47"},
        {"host": "192.0.2.1", "app": "myproc", "procid": "8710"},
        {},
    ]
    assert not out["mapping_failed"].any()


def test_syslog_rfc3164_with_and_without_pri() -> None:
    lines = [
        "<34>Feb 28 22:14:15 mymachine su: 'su root' failed for lonvick",
        "<11>Feb 29 23:00:00 host app: level from PRI, not INFO in text",
        "Mar  1 11:04:05 host CRON[123]: (root) CMD ERROR in text",
        "Mar  1 11:04:05 host sshd[9]: Accepted publickey",
        "Dec 31 23:59:59 host kernel: [12.5] last year",
        "Mar  3 00:00:00 host kernel: more than a day ahead, so last year",
        "Mar  2 11:00:00 host app: less than a day ahead, so this year",
        "Mar  1 11:04:05 host -- MARK --",
        "2024-03-01T10:00:00.5+00:00 host app[1]: rsyslog RFC 3339 stamp",
    ]
    out = _map(lines, format="syslog", labels=["host", "app", "procid"])
    assert out["message"].to_list() == [
        "'su root' failed for lonvick",
        "level from PRI, not INFO in text",
        "(root) CMD ERROR in text",
        "Accepted publickey",
        "[12.5] last year",
        "more than a day ahead, so last year",
        "less than a day ahead, so this year",
        "-- MARK --",
        "rsyslog RFC 3339 stamp",
    ]
    assert out["level"].to_list() == [
        "fatal",
        "error",
        "error",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
    ]
    assert out["ts"].to_list() == [
        _utc(2024, 2, 28, 22, 14, 15),
        _utc(2024, 2, 29, 23, 0, 0),
        _utc(2024, 3, 1, 11, 4, 5),
        _utc(2024, 3, 1, 11, 4, 5),
        _utc(2023, 12, 31, 23, 59, 59),
        _utc(2023, 3, 3, 0, 0, 0),
        _utc(2024, 3, 2, 11, 0, 0),
        _utc(2024, 3, 1, 11, 4, 5),
        _utc(2024, 3, 1, 10, 0, 0, 500000),
    ]
    assert _labels(out)[:3] == [
        {"host": "mymachine", "app": "su"},
        {"host": "host", "app": "app"},
        {"host": "host", "app": "CRON", "procid": "123"},
    ]
    assert _labels(out)[7] == {"host": "host"}
    assert not out["mapping_failed"].any()


def test_syslog_local_timezone_and_failures() -> None:
    lines = ["Jan 15 10:00:00 host app: local time", "not syslog", "<34>garbage after pri"]
    out = _map(lines, format="syslog", timezone="Europe/Berlin")
    assert out["ts"].to_list() == [_utc(2024, 1, 15, 9, 0), INGEST, INGEST]
    assert out["mapping_failed"].to_list() == [False, True, True]
    assert out["message"].to_list()[1:] == lines[1:]


def test_syslog_rejects_unknown_labels() -> None:
    with pytest.raises(MappingError, match="facility"):
        _map(["x"], format="syslog", labels=["facility"])


# --- regex -----------------------------------------------------------------------------------

ACCESS = (
    r"^(?P<ts>[0-9-]+ [0-9:]+) \[(?P<level>[A-Za-z]+)\] (?P<svc>[a-z]+)"
    r"(?: user=(?P<user>[a-z]+))? (?P<message>.*)$"
)


def test_regex_groups_and_labels() -> None:
    lines = [
        "2024-01-02 03:04:05 [W] api user=bob slow request",
        "2024-01-02 03:04:06 [error] db connection lost",
        "this line does not match",
    ]
    out = _map(
        lines, format="regex", pattern=ACCESS, labels=["svc", "user"], level_map={"W": "warn"}
    )
    assert out["message"].to_list() == ["slow request", "connection lost", lines[2]]
    assert out["level"].to_list() == ["warn", "error", "unknown"]
    assert out["ts"].to_list() == [_utc(2024, 1, 2, 3, 4, 5), _utc(2024, 1, 2, 3, 4, 6), INGEST]
    assert _labels(out) == [{"svc": "api", "user": "bob"}, {"svc": "db"}, {}]
    assert out["mapping_failed"].to_list() == [False, False, True]


def test_regex_fields_rename_groups() -> None:
    out = _map(
        ["01.02.2024 12:00:01 E: boom"],
        format="regex",
        pattern=r"^(?P<when>[0-9.]+ [0-9:]+) (?P<sev>[A-Z]): (?P<text>.*)$",
        fields={"ts": "when", "level": "sev", "message": "text"},
        ts_format="%d.%m.%Y %H:%M:%S",
        level_map={"E": "error"},
    )
    row = out.row(0, named=True)
    assert (row["message"], row["level"], row["mapping_failed"]) == ("boom", "error", False)
    assert row["ts"] == _utc(2024, 2, 1, 12, 0, 1)


def test_ts_format_without_year_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="no year"):
        _map(["12:00:01 x"], ts_format="%H:%M:%S")


def test_regex_without_message_group_keeps_line() -> None:
    out = _map(["WARN code=7"], format="regex", pattern=r"code=(?P<code>[0-9]+)", labels=["code"])
    assert out.row(0, named=True)["message"] == "WARN code=7"
    assert out.row(0, named=True)["level"] == "warn"
    assert _labels(out) == [{"code": "7"}]


def test_invalid_regex_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match=r"\(\?P<message>\.\*") as info:
        _map(["x"], format="regex", pattern="(?P<message>.*")
    assert "not a valid regex" in str(info.value)


@pytest.mark.parametrize(
    ("mapping", "needle"),
    [
        ({"format": "regex"}, "needs a pattern"),
        ({"format": "regex", "pattern": "(?P<message>.*)", "labels": ["host"]}, "host"),
        ({"format": "regex", "pattern": "(?P<message>.*)", "fields": {"ts": "when"}}, "when"),
        ({"format": "plain", "pattern": "(?P<message>.*)"}, "pattern"),
    ],
)
def test_regex_mapping_errors(mapping: dict[str, Any], needle: str) -> None:
    with pytest.raises(MappingError, match=needle):
        _map(["x"], **mapping)


# --- schema ----------------------------------------------------------------------------------


def test_validate_records_rejects_bad_level_and_dtype() -> None:
    good = _map(["INFO fine"])
    assert validate_records(good).equals(good)
    with pytest.raises(pandera.errors.SchemaError):
        validate_records(good.with_columns(level=pl.lit("loud")))
    with pytest.raises(pandera.errors.SchemaError):
        validate_records(good.with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC"))))
    with pytest.raises(pandera.errors.SchemaError):
        validate_records(good.drop("labels"))


# --- engine choice -----------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["plain", "json", "syslog"])
def test_streaming_and_in_memory_engines_map_and_template_alike(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big frames run on Polars' streaming engine, small ones in memory: same rows, same order."""
    import ailert.frames
    from ailert.config import PatternSettings
    from ailert.patterns.engine import PatternBook, PatternEngine
    from datagen.generate import generate, render

    lines = render(generate(11, 3000, INGEST), form)  # type: ignore[arg-type]
    lines += ["", "not json {", '{"msg": 1}', "\u00e9t\u00e9 \ufffd 3"]
    frame = pl.DataFrame({"seq": list(range(len(lines))), "line": lines})
    mapping = MappingConfig(format=form)  # type: ignore[arg-type]
    results = []
    for threshold in (0, 10**9):
        monkeypatch.setattr(ailert.frames, "STREAMING_FROM_ROWS", threshold)
        records = map_lines(frame, "app", mapping, INGEST)
        engine = PatternEngine.from_settings(PatternSettings())
        results.append(engine.mine(records, PatternBook("app", 10_000)))
    assert results[0]["seq"].to_list() == list(range(len(lines)))
    assert results[0].equals(results[1])
