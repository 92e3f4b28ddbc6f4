"""Change-detection benchmark (issue 4): how fast ``ailert diff --since 7d`` answers on a store
holding 30 days of 5,000 active patterns, and how the store grows with lines ingested.

python bench/diff.py [--patterns 5000] [--days 30] [--lines 1000000] [--repeat 3]

1. Builds a store the way ticks and retention leave it after 30 days: the last 7 days in minute
   buckets, the 23 before in hourly buckets (drawn as such), and — as every tick adds each batch
   to every resolution — hourly buckets of the last 7 days and daily buckets of all 30 (sums of
   the finer ones). 5,000 patterns over 5 sources, each with a seeded rate (log-uniform, 0.01
   to 30 lines/minute) and a daily cycle; counts are drawn inside DuckDB from a hash of
   (pattern, bucket), so the store is the same on every run.
2. Times ``detect_changes`` (every kind) for the window ``now - 7d .. now`` against the
   ``previous`` and ``1w-ago`` baselines, ``--repeat`` times each, and reports the median.
3. Ticks ``--lines`` datagen lines (JSON) into a fresh store and reports its size in MB per
   million lines, beside the count of rows it holds (the store grows with patterns x buckets).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ailert.config import load_config
from ailert.diff import Window, detect_changes, resolve_baseline
from ailert.pipeline import run_tick
from ailert.store import open_store
from datagen.generate import generate, render, write_lines

OUT = Path(__file__).resolve().parent / "out"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

BUILD_SQL = """
CREATE TEMP TABLE rates AS
SELECT i AS p, 'src' || (i % 5) AS source,
       substr(md5('pattern' || i), 1, 16) AS pattern_id,
       exp(ln(0.01) + (hash(i, 'rate') % 10000) / 10000.0 * (ln(30) - ln(0.01))) AS rate
FROM range($patterns) AS t(i);

INSERT INTO patterns
SELECT source, pattern_id, 'template ' || p || ' <*>',
       CASE WHEN p % 10 = 0 THEN 'error' ELSE 'info' END, $start, $now, 0, 'sample ' || p
FROM rates;

INSERT INTO source_state
SELECT DISTINCT source, $start, NULL, NULL, now() FROM rates;

-- hourly buckets: days 30..8 ago
INSERT INTO pattern_counts_hourly
SELECT source, pattern_id, bucket, n FROM (
    SELECT r.source, r.pattern_id, h.bucket,
           CAST(floor(r.rate * 60 * (1 + 0.5 * sin(2 * pi() * hour(h.bucket) / 24))
                      * (0.8 + (hash(r.p, h.bucket) % 1000) / 2500.0)) AS BIGINT) AS n
    FROM rates AS r,
         (SELECT unnest(generate_series($start, $minute_start - INTERVAL 1 HOUR,
                                        INTERVAL 1 HOUR)) AS bucket) AS h
) WHERE n > 0
ORDER BY bucket, source, pattern_id;

-- minute buckets: the last 7 days
INSERT INTO pattern_counts
SELECT source, pattern_id, bucket, n FROM (
    SELECT r.source, r.pattern_id, m.bucket,
           CAST(floor(r.rate * (1 + 0.5 * sin(2 * pi() * hour(m.bucket) / 24))
                      + (hash(r.p, m.bucket) % 1000) / 1000.0) AS BIGINT) AS n
    FROM rates AS r,
         (SELECT unnest(generate_series($minute_start, $now - INTERVAL 1 MINUTE,
                                        INTERVAL 1 MINUTE)) AS bucket) AS m
) WHERE n > 0
ORDER BY bucket, source, pattern_id;

-- what the ticks added to the coarser tables: the hours of the last 7 days, every day
INSERT INTO pattern_counts_hourly
SELECT source, pattern_id, date_trunc('hour', bucket) AS hour, sum(n)::BIGINT
FROM pattern_counts GROUP BY ALL ORDER BY hour, source, pattern_id;

INSERT INTO pattern_counts_daily
SELECT source, pattern_id, date_trunc('day', bucket) AS day, sum(n)::BIGINT
FROM pattern_counts_hourly GROUP BY ALL ORDER BY day, source, pattern_id;

-- retention: minutes are complete from 7 days ago, hours for all 30 days
UPDATE count_coverage SET complete_from = $minute_start WHERE resolution = 'minute';

UPDATE patterns SET total = t.n
FROM (SELECT source, pattern_id, sum(n) AS n FROM v_counts GROUP BY ALL) AS t
WHERE patterns.source = t.source AND patterns.pattern_id = t.pattern_id;
"""


def build_store(path: Path, patterns: int, days: int) -> dict[str, float]:
    started = time.perf_counter()
    start = NOW - timedelta(days=days)
    with open_store(path) as store:
        params = {
            "patterns": patterns,
            "start": start,
            "minute_start": NOW - timedelta(days=7),
            "now": NOW,
        }
        for statement in BUILD_SQL.split(";"):
            if statement.strip():
                used = {k: v for k, v in params.items() if f"${k}" in statement}
                store.con.execute(statement, used)
        store.con.execute("CHECKPOINT")
        rows = store.con.execute(
            "SELECT (SELECT count(*) FROM pattern_counts), "
            "(SELECT count(*) FROM pattern_counts_hourly), "
            "(SELECT count(*) FROM pattern_counts_daily), (SELECT sum(total) FROM patterns)"
        ).fetchall()[0]
    return {
        "build_seconds": time.perf_counter() - started,
        "minute_rows": rows[0],
        "hour_rows": rows[1],
        "day_rows": rows[2],
        "lines_represented": float(rows[3]),
        "store_mb": path.stat().st_size / 1e6,
    }


def time_diff(path: Path, baseline: str, repeat: int) -> tuple[float, int]:
    window = Window(NOW - timedelta(days=7), NOW)
    base = Window(*resolve_baseline(baseline, window.start, window.end))
    seconds: list[float] = []
    found = 0
    with open_store(path, read_only=True) as store:
        for _ in range(repeat):
            started = time.perf_counter()
            found = len(detect_changes(store.con, window, base))
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), found


def _store_state(path: Path) -> tuple[float, list[int]]:
    """Size (MB, after a checkpoint) and row counts: patterns, minute, hourly, daily counts."""
    with open_store(path) as store:
        store.con.execute("CHECKPOINT")
        rows = store.con.execute(
            "SELECT (SELECT count(*) FROM patterns), (SELECT count(*) FROM pattern_counts), "
            "(SELECT count(*) FROM pattern_counts_hourly), "
            "(SELECT count(*) FROM pattern_counts_daily)"
        ).fetchall()[0]
    return path.stat().st_size / 1e6, [int(r) for r in rows]


def store_growth(lines: int, workdir: Path) -> dict[str, float]:
    log = workdir / "app.jsonl"
    write_lines(log, render(generate(5, lines, NOW - timedelta(days=2), rate_per_s=6.0), "json"))
    config_path = workdir / "ailert.yaml"
    config_path.write_text(
        "store: growth.duckdb\npublish: {read_copy: false}\n"
        f"sources:\n  - {{name: app, type: file, path: '{log}', format: json}}\n"
    )
    config = load_config(config_path)
    started = time.perf_counter()
    report = run_tick(config)
    seconds = time.perf_counter() - started
    with open_store(config.store_path()) as store:
        store.con.execute("CHECKPOINT")
        rows = store.con.execute(
            "SELECT (SELECT count(*) FROM patterns), (SELECT count(*) FROM pattern_counts), "
            "(SELECT count(*) FROM pattern_counts_hourly), "
            "(SELECT count(*) FROM pattern_counts_daily)"
        ).fetchall()[0]
    size = config.store_path().stat().st_size / 1e6
    records = report.sources[0].records
    return {
        "lines": records,
        "tick_seconds": seconds,
        "lines_per_second": records / seconds,
        "store_mb": size,
        "mb_per_million_lines": size / (records / 1e6),
        "patterns": rows[0],
        "count_rows": rows[1],
        "hour_rows": rows[2],
        "day_rows": rows[3],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patterns", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args, _ = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="ailert-bench-diff-") as tmp:
        folder = Path(tmp)
        store = folder / "store.duckdb"
        built = build_store(store, args.patterns, args.days)
        previous, found_previous = time_diff(store, "previous", args.repeat)
        weekly, found_weekly = time_diff(store, "1w-ago", args.repeat)
        growth = store_growth(args.lines, folder)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "store": built,
        "diff_7d_previous_seconds": previous,
        "diff_7d_1w_ago_seconds": weekly,
        "findings_previous": found_previous,
        "findings_1w_ago": found_weekly,
        "growth": growth,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "diff.json").write_text(json.dumps(results, indent=2))
    print(f"Change detection benchmark — {results['date']}")
    print()
    print("| measure | value |")
    print("|---|--:|")
    print(f"| patterns x days | {args.patterns:,} x {args.days} |")
    print(
        f"| minute / hourly / daily rows | {built['minute_rows']:,} / {built['hour_rows']:,}"
        f" / {built['day_rows']:,} |"
    )
    print(f"| lines represented | {built['lines_represented']:,.0f} |")
    count_rows = built["minute_rows"] + built["hour_rows"] + built["day_rows"]
    print(
        f"| store size | {built['store_mb']:.1f} MB = "
        f"{built['store_mb'] * 1e6 / count_rows:.1f} bytes per count row "
        f"(built in {built['build_seconds']:.1f} s) |"
    )
    print(f"| `diff --since 7d` (previous), median of {args.repeat} | {previous:.3f} s |")
    print(f"| `diff --since 7d --baseline 1w-ago`, median | {weekly:.3f} s |")
    print(
        f"| tick of {growth['lines']:,.0f} JSON lines | {growth['tick_seconds']:.1f} s "
        f"({growth['lines_per_second']:,.0f} lines/s) |"
    )
    print(
        f"| store after it | {growth['store_mb']:.1f} MB = "
        f"{growth['mb_per_million_lines']:.1f} MB per million lines "
        f"({growth['patterns']:,} patterns; {growth['count_rows']:,} minute, "
        f"{growth['hour_rows']:,} hourly, {growth['day_rows']:,} daily count rows) |"
    )


if __name__ == "__main__":
    main()
