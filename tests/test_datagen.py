"""Tests of datagen: determinism, catalogue coverage, rendering forms, ground truth, demo set."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from datagen import __main__ as cli
from datagen.catalogue import (
    CATALOGUE,
    LEVELS,
    NEAR_MISS_PAIRS,
    SERVICES,
    SIMPLE_VAR_TEMPLATES,
    SIMPLE_VARS,
    TEMPLATES_BY_ID,
    Template,
    Var,
    render_message,
)
from datagen.demo import (
    DEMO_FILES,
    INCIDENT_NEW_TEMPLATE,
    INCIDENT_SPIKE_TEMPLATE,
    append_incident,
    write_demo_logs,
)
from datagen.generate import (
    FORMS,
    NOISE_ID,
    SYSLOG_SEVERITY,
    Event,
    Form,
    generate,
    generate_between,
    physical_truth,
    render,
    truth,
    write_lines,
)

START = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
PLAIN_RE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (FATAL|ERROR|WARN|INFO|DEBUG) \[[a-z]+\] .*$"
)
SYSLOG_RE = re.compile(
    r"^<(?P<pri>\d{1,3})>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d "
    r"\d\d:\d\d:\d\d (?P<host>[\w.-]+) (?P<tag>[\w.-]+)\[(?P<pid>\d+)\]: (?P<msg>.*)$"
)


def _crude_mask(message: str) -> str:
    """What any sane miner does at least: tokens holding a digit or a slash are variables."""
    return " ".join(
        "<*>" if any(c.isdigit() for c in tok) or "/" in tok else tok for tok in message.split(" ")
    )


# ---- catalogue ---------------------------------------------------------------------------


def test_every_var_kind_appears_in_catalogue() -> None:
    used = {v for t in CATALOGUE for v in t.vars}
    assert used == set(Var)


def test_catalogue_shape() -> None:
    assert 40 <= len(CATALOGUE) <= 70
    assert len(TEMPLATES_BY_ID) == len(CATALOGUE)
    assert {t.service for t in CATALOGUE} == set(SERVICES)
    assert {t.level for t in CATALOGUE} == set(LEVELS)
    assert any(t.text.startswith("{") and t.vars for t in CATALOGUE)  # leading variable
    assert any("=" in t.text and Var.DURATION_MS in t.vars for t in CATALOGUE)  # key=value
    assert sum(t.multiline for t in CATALOGUE) >= 1


def test_json_ish_template_parses_only_known_placeholders() -> None:
    t = TEMPLATES_BY_ID["api.payload"]
    assert t.vars == (Var.USER, Var.FLOAT)
    msg = render_message(t, random.Random(3))
    payload = json.loads(msg.removeprefix("payload "))
    assert set(payload) == {"user", "amount"}
    assert isinstance(payload["amount"], float)


def test_template_validation() -> None:
    with pytest.raises(ValueError, match="unknown placeholder"):
        Template("x.bad", "api", "info", "hello {usr}")
    with pytest.raises(ValueError, match="level"):
        Template("x.bad", "api", "notice", "hello")
    t = Template("x.ok", "api", "info", '{"k": {int}} {int}')
    assert t.vars == (Var.INT, Var.INT)


def test_near_miss_pairs_are_distinct_templates() -> None:
    for a, b in NEAR_MISS_PAIRS:
        ta, tb = TEMPLATES_BY_ID[a], TEMPLATES_BY_ID[b]
        assert ta.id != tb.id
        assert ta.text != tb.text or ta.level != tb.level
    same_text = [
        p for p in NEAR_MISS_PAIRS if TEMPLATES_BY_ID[p[0]].text == TEMPLATES_BY_ID[p[1]].text
    ]
    assert same_text, "need a same-text, different-level pair"


def test_simple_var_templates_definition() -> None:
    assert len(SIMPLE_VAR_TEMPLATES) >= 15
    for tid in SIMPLE_VAR_TEMPLATES:
        t = TEMPLATES_BY_ID[tid]
        assert not t.multiline
        assert set(t.vars) <= SIMPLE_VARS
    rest = [t for t in CATALOGUE if t.id not in SIMPLE_VAR_TEMPLATES]
    assert all(t.multiline or not set(t.vars) <= SIMPLE_VARS for t in rest)


def test_simple_var_templates_are_separable_by_crude_masking() -> None:
    """Each simple template masks to one form, and no two templates share a form."""
    rng = random.Random(11)
    forms: dict[str, set[str]] = {}
    for tid in SIMPLE_VAR_TEMPLATES:
        t = TEMPLATES_BY_ID[tid]
        forms[tid] = {_crude_mask(render_message(t, rng)) for _ in range(300)}
        assert len(forms[tid]) == 1, (tid, forms[tid])
    owners = Counter(next(iter(f)) for f in forms.values())
    assert all(n == 1 for n in owners.values()), owners


def test_stack_trace_message_shape() -> None:
    t = TEMPLATES_BY_ID["worker.unhandled_exception"]
    rng = random.Random(5)
    for _ in range(50):
        first, *rest = render_message(t, rng).split("\n")
        assert first.startswith("Unhandled exception in /")
        frames, cause = rest[:-1], rest[-1]
        assert 3 <= len(frames) <= 8
        assert all(re.fullmatch(r"\tat [\w.$/]+\([\w$]+\.java:\d+\)", f) for f in frames)
        assert cause.startswith("Caused by: ")


# ---- generation --------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_same_seed_same_lines_different_seed_different(form: Form) -> None:
    a = render(generate(42, 2000, START, noise=0.05), form)
    b = render(generate(42, 2000, START, noise=0.05), form)
    c = render(generate(43, 2000, START, noise=0.05), form)
    assert a == b
    assert a != c


def test_shorter_run_is_prefix_of_longer() -> None:
    short = generate(9, 100, START)
    long = generate(9, 5000, START)
    assert long[:100] == short


def test_timestamps_increase_at_rate() -> None:
    events = generate(1, 20_000, START, rate_per_s=50.0)
    ts = [e.ts for e in events]
    assert all(t.tzinfo is UTC for t in ts)
    assert ts == sorted(ts)
    assert ts[0] >= START
    span = (ts[-1] - START).total_seconds()
    assert 20_000 / 50.0 * 0.9 < span < 20_000 / 50.0 * 1.1


def test_generate_between_respects_bounds() -> None:
    end = START + timedelta(minutes=5)
    events = generate_between(3, START, end, rate_per_s=4.0)
    assert all(START <= e.ts < end for e in events)
    assert 4.0 * 300 * 0.8 < len(events) < 4.0 * 300 * 1.2


def test_naive_start_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        generate(1, 10, datetime(2026, 11, 26))


def test_level_mix_and_services() -> None:
    events = generate(5, 5000, START, level_mix={"error": 0.5, "warn": 0.5}, services=["db", "api"])
    assert {e.level for e in events} == {"error", "warn"}
    assert {e.service for e in events} <= {"db", "api"}
    share = sum(e.level == "error" for e in events) / len(events)
    assert 0.45 < share < 0.55
    with pytest.raises(ValueError, match="unknown levels"):
        generate(5, 10, START, level_mix={"notice": 1.0})
    with pytest.raises(ValueError, match="no templates"):
        generate(5, 10, START, services=["nope"])


def test_templates_argument_and_truth() -> None:
    tpl = [TEMPLATES_BY_ID["worker.vm_started"], TEMPLATES_BY_ID["worker.vm_paused"]]
    events = generate(2, 500, START, templates=tpl)
    ids = truth(events)
    assert set(ids) == {"worker.vm_started", "worker.vm_paused"}
    for e, tid in zip(events, ids, strict=True):
        word = "started" if tid == "worker.vm_started" else "paused"
        assert e.message.startswith("VM ")
        assert e.message.endswith(word)


@pytest.mark.parametrize("noise", [0.0, 0.1, 0.3])
def test_noise_fraction_roughly_honoured(noise: float) -> None:
    events = generate(8, 20_000, START, noise=noise)
    frac = sum(e.template_id == NOISE_ID for e in events) / len(events)
    assert abs(frac - noise) < 0.02
    assert all("\n" not in e.message for e in events if e.template_id == NOISE_ID)


# ---- rendering and truth -----------------------------------------------------------------


def _with_stack_traces() -> list[Event]:
    events = generate(4, 3000, START, services=["worker"], noise=0.02)
    assert any("\n" in e.message for e in events), "expected some stack traces"
    return events


@pytest.mark.parametrize("form", FORMS)
def test_physical_truth_aligns_with_lines(form: Form) -> None:
    events = _with_stack_traces()
    lines = render(events, form)
    ids = physical_truth(events, form)
    assert len(lines) == len(ids)
    assert all("\n" not in line for line in lines)
    if form == "plain":
        assert len(lines) > len(events)
        for line, tid in zip(lines, ids, strict=True):
            if line.startswith(("\tat ", "Caused by: ")):
                assert tid == "worker.unhandled_exception"
            else:
                assert PLAIN_RE.match(line), line
    else:
        assert len(lines) == len(events)
        assert ids == truth(events)


def test_plain_format() -> None:
    e = Event(START.replace(microsecond=123_456), "worker", "error", "x", "boom")
    assert render([e], "plain") == ["2026-11-26T13:00:00.123Z ERROR [worker] boom"]


def test_json_lines_parse() -> None:
    events = _with_stack_traces()
    lines = render(events, "json")
    for line, e in zip(lines, events, strict=True):
        obj = json.loads(line)
        assert set(obj) == {"ts", "level", "service", "msg"}
        assert obj["msg"] == e.message
        assert obj["level"] == e.level
        assert obj["service"] == e.service
        assert datetime.fromisoformat(obj["ts"]) == e.ts.replace(
            microsecond=e.ts.microsecond // 1000 * 1000
        )


def test_syslog_lines_match_rfc3164() -> None:
    events = _with_stack_traces() + generate(6, 2000, START + timedelta(days=10))
    lines = render(events, "syslog", hostname="host-1")
    for line, e in zip(lines, events, strict=True):
        m = SYSLOG_RE.match(line)
        assert m, line
        pri = int(m["pri"])
        assert pri // 8 == 1
        assert pri % 8 == SYSLOG_SEVERITY[e.level]
        assert m["host"] == "host-1"
        assert m["tag"] == e.service
        assert m["msg"] == e.message.replace("\n", "#012").replace("\t", "#011")
    assert any(">Dec  6 " in line for line in lines)  # space-padded day


def test_write_lines_utf8_lf(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    write_lines(path, ["a", "é"])
    write_lines(path, ["b"], append=True)
    assert path.read_bytes() == "a\né\nb\n".encode()


# ---- command line ------------------------------------------------------------------------


def test_cli_writes_lines_and_truth(tmp_path: Path) -> None:
    out, tr = tmp_path / "x.log", tmp_path / "x.truth"
    argv = ["--seed", "1", "--lines", "300", "--form", "plain", "--services", "worker"]
    argv += ["--start", "2026-11-26T00:00:00Z", "--out", str(out), "--truth", str(tr)]
    assert cli.main(argv) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    ids = tr.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(ids) >= 300
    assert lines[0].startswith("2026-11-26T00:00:")
    assert set(ids) <= set(TEMPLATES_BY_ID)
    first = out.read_bytes()
    assert cli.main(argv) == 0
    assert out.read_bytes() == first


# ---- demo --------------------------------------------------------------------------------


def test_demo_two_phases(tmp_path: Path) -> None:
    now = datetime(2026, 11, 26, 13, 0, 30, 500_000, tzinfo=UTC)
    logs = write_demo_logs(tmp_path, now, seed=7)
    assert {p.name for p in logs.files} == set(DEMO_FILES)
    for p in logs.files:
        assert len(p.read_text(encoding="utf-8").splitlines()) == logs.lines[p.name]
    assert 5000 <= sum(logs.lines.values()) <= 10_000
    assert INCIDENT_NEW_TEMPLATE not in logs.counts
    assert logs.counts["worker.unhandled_exception"] >= 1
    assert logs.incident_start == logs.now - timedelta(minutes=10)
    phase_one = {p.name: p.read_bytes() for p in logs.files}

    # formats: plain / syslog / json lines, and all before the incident
    api_lines = logs.api_log.read_text(encoding="utf-8").splitlines()
    assert all(PLAIN_RE.match(line) for line in api_lines)
    last_ts = datetime.fromisoformat(api_lines[-1].split(" ", 1)[0])
    assert logs.start <= last_ts < logs.incident_start
    assert all(
        SYSLOG_RE.match(line) for line in logs.auth_log.read_text(encoding="utf-8").splitlines()
    )
    worker = [json.loads(x) for x in logs.worker_log.read_text(encoding="utf-8").splitlines()]
    assert sum("\n\tat " in obj["msg"] for obj in worker) >= 1

    incident = logs.append_incident()
    assert incident.new_template_ids == (INCIDENT_NEW_TEMPLATE,)
    assert TEMPLATES_BY_ID[INCIDENT_NEW_TEMPLATE].level == "error"
    assert incident.counts[INCIDENT_NEW_TEMPLATE] >= 50
    assert set(incident.counts) - set(logs.counts) == {INCIDENT_NEW_TEMPLATE}
    baseline_per_window = logs.counts[INCIDENT_SPIKE_TEMPLATE] / 11  # 110 min of history
    assert incident.counts[INCIDENT_SPIKE_TEMPLATE] >= 5 * baseline_per_window
    assert TEMPLATES_BY_ID[INCIDENT_SPIKE_TEMPLATE].level == "warn"
    for p in logs.files:
        data = p.read_bytes()
        assert data.startswith(phase_one[p.name])  # appended, not rewritten
        assert data.count(b"\n") == logs.lines[p.name] + incident.lines[p.name]
    new_text = logs.api_log.read_bytes()[len(phase_one["api.log"]) :].decode()
    assert "Payment provider " in new_text
    assert "Payment provider " not in phase_one["api.log"].decode()


def test_demo_is_deterministic(tmp_path: Path) -> None:
    now = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    a, b = tmp_path / "a", tmp_path / "b"
    write_demo_logs(a, now)
    append_incident(a, now)
    write_demo_logs(b, now)
    append_incident(b, now)
    for name in DEMO_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes()
