"""Change detection end to end on the datagen scenarios (issue 4): two weeks of seasonal steady
state and an injection window, ticked through the real pipeline in three phases (the first day
is the sources' learning tick, then the rest of the history, then the injection window, each
ticked with the clock at the end of what it reads). Targets: recall 1.0 and exactly the expected
findings in the injection window; zero findings in steady windows with a seasonal baseline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ailert.config import Config, load_config
from ailert.diff import ChangeKind, Finding, Window, detect_changes
from ailert.pipeline import run_tick
from datagen.scenarios import ChangeScenario, change_scenario

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
Key = tuple[str, str, str]  # (kind, source, template id / level group / format_drift template)


@dataclass(frozen=True)
class Built:
    scenario: ChangeScenario
    con: duckdb.DuckDBPyConnection
    templates: dict[tuple[str, str], str]  # (source, pattern_id) -> datagen template id

    def detect(self, window: Window, baseline: Window) -> list[Finding]:
        return detect_changes(self.con, window, baseline)

    def key(self, finding: Finding) -> Key:
        if finding.kind == ChangeKind.LEVEL_DRIFT:
            detail = finding.level
        elif finding.kind == ChangeKind.FORMAT_DRIFT:
            detail = finding.template
        else:
            detail = self.templates.get((finding.source, finding.pattern_id or ""))
        return (finding.kind.value, finding.source, detail or "?")


def _config(root: Path, scenario: ChangeScenario) -> Config:
    lines = [
        "store: store.duckdb",
        "tick: {chunk_bytes: 1000000000}",
        "publish: {read_copy: false}",
        "sources:",
    ]
    for s in scenario.sources:
        path = root / "logs" / s.file
        lines.append(f"  - {{name: {s.name}, type: file, path: '{path}', format: {s.format}}}")
    (root / "ailert.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(root / "ailert.yaml")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    scenario = change_scenario()
    root = tmp_path_factory.mktemp("scenario")
    config = _config(root, scenario)
    learned = scenario.start + DAY
    phases = [  # (read from, read until, the clock during the tick)
        (scenario.start, learned, learned),
        (learned, scenario.injection_start, scenario.injection_start),
        (scenario.injection_start, scenario.injection_end, scenario.injection_start + HOUR / 2),
    ]
    with pytest.MonkeyPatch.context() as patch:
        for start, end, clock in phases:
            patch.setenv("AILERT_NOW", clock.isoformat())  # the tick's clock: ingest, retention
            scenario.write(root / "logs", start, end)
            report = run_tick(config)
            assert report.ok, [s.errors for s in report.sources]
    con = duckdb.connect(str(config.store_path()), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute("SELECT source, pattern_id, sample FROM patterns").fetchall()
    templates = {(s, p): scenario.template_id(s, sample) or "?" for s, p, sample in rows}
    try:
        yield Built(scenario, con, templates)
    finally:
        con.close()


def expected(scenario: ChangeScenario, *, seasonal: bool) -> set[Key]:
    return {(e.kind, e.source, e.key) for e in scenario.expected if seasonal or not e.seasonal_only}


def test_each_template_is_one_pattern_and_old_counts_are_rolled_up(built: Built) -> None:
    """The ground truth names templates; each must be exactly one stored pattern. Retention ran
    on the scenario clock, so the first week is read from hourly rollups."""
    by_template: dict[tuple[str, str], int] = {}
    for (source, _), template in built.templates.items():
        by_template[(source, template)] = by_template.get((source, template), 0) + 1
    assert "?" not in {t for _, t in by_template}
    assert set(by_template.values()) == {1}
    assert len(by_template) == sum(len(s.rates) for s in built.scenario.sources)
    resolutions = dict(
        built.con.execute("SELECT resolution, count(*) FROM v_counts GROUP BY 1").fetchall()
    )
    assert resolutions.get("hour", 0) > 0
    assert resolutions.get("minute", 0) > 0


@pytest.mark.parametrize("spec", ["1w-ago", "1d-ago"])
def test_injection_window_gives_exactly_the_expected_findings(built: Built, spec: str) -> None:
    sc = built.scenario
    window = Window(sc.injection_start, sc.injection_end)
    found = built.detect(window, window.baseline(spec))
    assert sorted(built.key(f) for f in found) == sorted(expected(sc, seasonal=True))


def test_previous_hour_baseline_misses_only_the_slow_drop(built: Built) -> None:
    """The slow drop happened over the 3 hours before: the previous hour is already low."""
    sc = built.scenario
    window = Window(sc.injection_start, sc.injection_end)
    found = built.detect(window, window.baseline("previous"))
    assert sorted(built.key(f) for f in found) == sorted(expected(sc, seasonal=False))


def _steady_findings(
    built: Built, length: timedelta, back: timedelta, offset: int, stride: int
) -> list[str]:
    starts = built.scenario.steady_windows(length, back)[offset::stride]
    assert len(starts) >= 7
    out = []
    for start in starts:
        window = Window(start, start + length)
        for f in built.detect(window, Window(start - back, start - back + length)):
            out.append(f"{start:%a %d %H:%M} {built.key(f)} {f.current_count}/{f.baseline_count}")
    return out


@pytest.mark.parametrize(
    ("length", "back", "offset", "stride"),
    [
        pytest.param(HOUR, WEEK, 0, 5, id="hourly-1w-ago-every-5th"),
        pytest.param(HOUR, DAY, 2, 7, id="hourly-1d-ago-every-7th"),
        pytest.param(DAY, WEEK, 0, 1, id="daily-1w-ago"),
        pytest.param(DAY, DAY, 0, 1, id="daily-1d-ago"),
    ],
)
def test_steady_windows_give_no_findings(
    built: Built, length: timedelta, back: timedelta, offset: int, stride: int
) -> None:
    """Every 5th / 7th hourly window (strides prime to 24, so every hour of the day is
    covered; all ~400 windows take ~40 s, and pass) and every daily window of the steady
    state, with a seasonal baseline: not one finding of any kind."""
    assert _steady_findings(built, length, back, offset, stride) == []


def test_scenario_timeline(built: Built) -> None:
    sc = built.scenario
    assert sc.start == datetime(2026, 11, 4, tzinfo=UTC)
    assert sc.injection_start.strftime("%A %H:%M") == "Wednesday 14:00"
    assert 100_000 < sc.lines < 300_000
    assert len(sc.steady_windows(DAY, WEEK)) == 7
