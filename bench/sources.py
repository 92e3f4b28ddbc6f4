"""Pull-source benchmark: lines per second through each source, read alone and ticked whole.

    python bench/sources.py [--sql-rows 1000000] [--mariadb-rows 200000] [--loki-lines 100000]
                            [--http-records 100000] [--series 20000] [--only sql,loki,...]

For each source a fresh store and one source in the config, the clock frozen (``AILERT_NOW``):

* ``fetch`` — the reader alone (``reader.read(window)``): network, decoding, Arrow/Polars;
* ``tick``  — ``ailert tick`` end to end: read, map, template, commit counts and cursor.

Data: a PostgreSQL and a MariaDB table on this machine (created, then dropped), the tests'
Loki-API server (100k logfmt lines paged 5,000 at a time, three sharing each timestamp), the
tests' JSON API (pages of 5,000 records, followed by body links) and a ``/metrics`` page of
``--series`` series scraped once — each test server in a child process. Every message is
distinct (numbers in it), the worst case for the pattern engine. Prints a Markdown table and
writes ``bench/out/sources.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as `python bench/sources.py`
    sys.path.insert(0, str(ROOT))

from ailert.config import load_config  # noqa: E402
from ailert.pipeline import run_tick  # noqa: E402
from ailert.sources.base import Window, open_reader, to_ns  # noqa: E402
from tests.servers import FakeLoki, JsonApi, MetricsEndpoint  # noqa: E402

OUT_JSON = ROOT / "bench" / "out" / "sources.json"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEVELS = ("info", "info", "info", "warn", "error")
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def message(i: int) -> str:
    return (
        f"user {i % 5000} fetched /api/items/{i} in {i % 300} ms status "
        f"{500 if i % 50 == 0 else 200}"
        if i % 3
        else f"cache miss for key session:{i:08x} on node-{i % 7}"
    )


def _serve(kind: str, size: int, conn: Connection) -> None:
    """In a child process: build one test server with its data, send its URL, serve until
    told to stop (so its JSON encoding does not share the reader's CPU and GIL)."""
    if kind == "loki":
        server: Any = FakeLoki()
        start = to_ns(NOW - timedelta(hours=1))
        step = 3_600_000_000_000 // size * 3  # three lines share each timestamp
        for i in range(size):
            labels = {"app": "api", "pod": f"api-{i % 4}"}
            server.push(
                labels, start + (i // 3) * step, f'level={LEVELS[i % 5]} msg="{message(i)}"'
            )
    elif kind == "http":
        begin = NOW - timedelta(hours=1)
        records = [
            {"time": f"{begin + timedelta(microseconds=i * 3_600_000_000 // size):{ISO}}",
             "severity": LEVELS[i % 5], "msg": message(i), "host": f"api-{i % 4}"}
            for i in range(size)
        ]  # fmt: skip
        server = JsonApi(records, mode="link", page_size=5000)
    else:
        server = MetricsEndpoint(
            "# TYPE http_requests_total counter\n"
            + "".join(
                f'http_requests_total{{path="/api/{i}",code="{200 if i % 9 else 500}"}} {i * 3}\n'
                for i in range(size)
            )
        )
    with server:
        conn.send(server.url)
        conn.recv()


@contextmanager
def served(kind: str, size: int) -> Iterator[str]:
    """A test server in a child process; yields its URL."""
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    child = context.Process(target=_serve, args=(kind, size, there), daemon=True)
    child.start()
    try:
        if not here.poll(120):
            raise RuntimeError(f"the {kind} test server did not start")
        yield str(here.recv())
    finally:
        here.send("stop")
        child.join(10)
        here.close()
        there.close()


def run(cmd: Sequence[str]) -> None:
    subprocess.run(list(cmd), check=True, capture_output=True, timeout=600)


def measure(name: str, workdir: Path, source_yaml: str, expected: int) -> dict[str, Any]:
    """Time the reader alone and a whole tick for one source."""
    folder = workdir / name
    folder.mkdir()
    path = folder / "ailert.yaml"
    path.write_text(f"store: store.duckdb\nsources:\n{source_yaml}", encoding="utf-8")
    config = load_config(path)
    source = config.sources[0]
    window = Window(to_ns(NOW - timedelta(hours=1)), to_ns(NOW))
    started = time.perf_counter()
    reader = open_reader(source)  # type: ignore[arg-type]
    try:
        fetched = sum(b.lines.height for b in reader.read(window))
    finally:
        reader.close()
    fetch_s = time.perf_counter() - started
    started = time.perf_counter()
    report = run_tick(config)
    tick_s = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"{name}: {report.sources[0].errors}")
    records = report.sources[0].records
    if fetched != expected or records != expected:
        raise RuntimeError(
            f"{name}: expected {expected} lines, fetched {fetched}, ticked {records}"
        )
    row = {
        "source": name,
        "lines": records,
        "fetch_s": round(fetch_s, 3),
        "fetch_lines_per_s": round(records / fetch_s),
        "tick_s": round(tick_s, 3),
        "tick_lines_per_s": round(records / tick_s),
        "patterns": report.sources[0].patterns_seen,
    }
    print(f"  {name}: {row}", file=sys.stderr, flush=True)
    return row


def bench_postgres(workdir: Path, rows: int) -> dict[str, Any]:
    table = f"ailert_bench_{secrets.token_hex(4)}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-v",
            "ON_ERROR_STOP=1", "-c"]  # fmt: skip
    run([
        *psql,
        f"CREATE TABLE {table} (ts timestamptz, level text, msg text, host text);"
        f"INSERT INTO {table} SELECT timestamptz '2026-11-26 08:00:00+00' + "
        f"(i * 3600.0 / {rows}) * interval '1 second', "
        "(ARRAY['info','info','info','warn','error'])[1 + i % 5], "
        "CASE WHEN i % 3 = 0 THEN 'cache miss for key session:' || lpad(to_hex(i), 8, '0') "
        "|| ' on node-' || (i % 7) ELSE 'user ' || (i % 5000) || ' fetched /api/items/' || i || "
        "' in ' || (i % 300) || ' ms status ' || CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END "
        f"END, 'web-' || (i % 4) FROM generate_series(0, {rows - 1}) AS i",
    ])  # fmt: skip
    try:
        return measure(
            "sql (PostgreSQL)", workdir,
            "  - name: db\n    type: sql\n    url: postgresql://postgres@127.0.0.1:5432/test\n"
            f"    query: select ts, level, msg, host from {table} where ts >= {{start}} "
            "and ts < {end}\n    labels: [host]\n", rows,
        )  # fmt: skip
    finally:
        run([*psql, f"DROP TABLE IF EXISTS {table}"])


def bench_mariadb(workdir: Path, rows: int) -> dict[str, Any]:
    table = f"ailert_bench_{secrets.token_hex(4)}"
    maria = ["mariadb", "-h", "127.0.0.1", "-uroot", "test", "-e"]
    run([
        *maria,
        f"CREATE TABLE {table} (ts DATETIME(6), level VARCHAR(8), msg TEXT);"
        f"INSERT INTO {table} SELECT TIMESTAMP'2026-11-26 08:00:00' + "
        f"INTERVAL (seq * 3600000000 DIV {rows}) MICROSECOND, "
        "ELT(1 + seq % 5, 'info', 'info', 'info', 'warn', 'error'), "
        "CONCAT('user ', seq % 5000, ' fetched /api/items/', seq, ' in ', seq % 300, ' ms') "
        f"FROM seq_0_to_{rows - 1}",
    ])  # fmt: skip
    try:
        return measure(
            "sql (MariaDB)", workdir,
            "  - name: db\n    type: sql\n    url: mysql://root@127.0.0.1:3306/test\n"
            f"    query: select ts, level, msg from {table} where ts >= {{start}} "
            "and ts < {end}\n", rows,
        )  # fmt: skip
    finally:
        run([*maria, f"DROP TABLE IF EXISTS {table}"])


def bench_loki(workdir: Path, lines: int) -> dict[str, Any]:
    with served("loki", lines) as url:
        return measure(
            "loki", workdir,
            f"  - name: loki\n    type: loki\n    url: {url}\n    query: '{{app=\"api\"}}'\n"
            "    format: logfmt\n", lines,
        )  # fmt: skip


def bench_http(workdir: Path, count: int) -> dict[str, Any]:
    with served("http", count) as url:
        return measure(
            "http", workdir,
            f"  - name: api\n    type: http\n    url: '{url}/logs?start={{start}}&end={{end}}'\n"
            "    records: data.items\n    pagination: {type: link, path: links.next}\n"
            "    fields: {ts: time, level: severity}\n    labels: [host]\n", count,
        )  # fmt: skip


def bench_scrape(workdir: Path, series: int) -> dict[str, Any]:
    with served("scrape", series) as url:
        return measure(
            "prometheus (scrape)", workdir,
            f"  - name: metrics\n    type: prometheus\n    scrape: {url}/metrics\n", series,
        )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sql-rows", type=int, default=1_000_000)
    parser.add_argument("--mariadb-rows", type=int, default=200_000)
    parser.add_argument("--loki-lines", type=int, default=100_000)
    parser.add_argument("--http-records", type=int, default=100_000)
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--only", default="sql,mariadb,loki,http,scrape")
    args, _ = parser.parse_known_args(argv)  # bench/run.py passes every benchmark's options
    os.environ["AILERT_NOW"] = NOW.isoformat()
    benches: dict[str, Callable[[Path], dict[str, Any]]] = {
        "sql": lambda d: bench_postgres(d, args.sql_rows),
        "mariadb": lambda d: bench_mariadb(d, args.mariadb_rows),
        "loki": lambda d: bench_loki(d, args.loki_lines),
        "http": lambda d: bench_http(d, args.http_records),
        "scrape": lambda d: bench_scrape(d, args.series),
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="ailert-bench-sources-") as tmp:
        for name in args.only.split(","):
            rows.append(benches[name.strip()](Path(tmp)))
    print("| source | lines | fetch lines/s | tick lines/s | tick s |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['source']} | {r['lines']:,} | {r['fetch_lines_per_s']:,} | "
            f"{r['tick_lines_per_s']:,} | {r['tick_s']} |"
        )
    result = {
        "machine": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "polars": version("polars"),
            "connectorx": version("connectorx"),
        },
        "sources": rows,
    }
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
