"""Pattern benchmark: AIlert's batch engine against Drain3 on the Loghub-2k sample.

    python bench/patterns.py [--data ../shared/loghub2k] [--lines 2000000] [--drain-lines N]
                             [--rss-lines 10000000] [--skip-rss] [--chunk 200] [--runs 5]

1. Accuracy per system (input: the ``Content`` column of ``<Sys>_2k.log_structured_corrected.csv``,
   or of ``<Sys>_2k.log_structured.csv`` where there is no corrected file; truth: its
   ``EventTemplate``): GA, FGA and pattern counts for AIlert (``parse_stream``, exactly
   what ``ailert parse --format csv`` runs) and Drain3 (default ``TemplateMinerConfig``), plus
   AIlert's GA when fed ``--chunk`` lines at a time (must stay within 0.01 of whole-file GA).
2. Throughput on one file of ``--lines`` lines (all systems' Content lines repeated, shuffled with
   a fixed seed): read it, give every line a pattern, write ``line,pattern_id,template``. Drain3
   runs once over the whole file (or its first ``--drain-lines``); AIlert's time is the median of
   ``--runs`` (5) runs before Drain3's and as many after, each with a fresh engine (one run takes
   well under a second, so alone it is at the mercy of whatever else the machine does in that
   second, and the machine's speed drifts over Drain3's minute). Each engine is timed in a
   fresh interpreter of its own, start-up excluded, writing to a file that did not exist.
3. AIlert's peak RSS on ``--rss-lines`` lines, streamed from a file in a child process.

Prints Markdown tables (for the README) and writes ``bench/out/patterns.json``. The data stays
outside the repository; every generated file goes to a temporary directory and is deleted.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl
from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as `python bench/patterns.py`
    sys.path.insert(0, str(ROOT))

from ailert.parse import parse_stream  # noqa: E402
from bench.metrics import f1_group_accuracy, grouping_accuracy  # noqa: E402

OUT_JSON = ROOT / "bench" / "out" / "patterns.json"
SEED = 20_260_101
CHUNK_TOLERANCE = 0.01

# The child process of the memory run: stream a file through parse_stream to /dev/null, then
# print its own peak RSS. VmHWM, not ru_maxrss: Linux carries the peak of the address space a
# process had *before* exec into ru_maxrss, so a child forked from this big benchmark process
# would report the parent's size. VmHWM belongs to the child's own address space.
RSS_CHILD = """
import os, resource, sys, time
from ailert.parse import parse_stream
start = time.perf_counter()
with open(sys.argv[1], "rb") as fin, open(os.devnull, "w") as fout:
    stats = parse_stream(fin, fout)
seconds = time.perf_counter() - start
try:
    with open("/proc/self/status") as status:
        kib = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(stats.lines, seconds, kib)
"""


# ---------------------------------------------------------------------------------------------
# Data


def load_systems(data: Path) -> dict[str, pl.DataFrame]:
    """``{system: frame(content, truth)}`` from each ``<Sys>/*_2k.log_structured_corrected.csv``
    (or, for a system without corrected labels, its ``*_2k.log_structured.csv``).

    Content is the message part of a line (Loghub split the header off); truth is its template.
    """
    systems: dict[str, pl.DataFrame] = {}
    for folder in sorted(p for p in data.iterdir() if p.is_dir()) if data.is_dir() else []:
        found = sorted(folder.glob("*_2k.log_structured_corrected.csv")) or sorted(
            folder.glob("*_2k.log_structured.csv")
        )
        if not found:
            continue
        frame = pl.read_csv(found[0], infer_schema=False, columns=["Content", "EventTemplate"])
        systems[folder.name] = frame.select(
            content=pl.col("Content").fill_null(""), truth=pl.col("EventTemplate").fill_null("")
        )
    if not systems:
        raise SystemExit(f"no <System>/*_2k.log_structured[_corrected].csv under {data}")
    return systems


def lines_bytes(lines: Sequence[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


# ---------------------------------------------------------------------------------------------
# The two parsers


def ailert_groups(lines: Sequence[str], chunk_lines: int | None = None) -> list[str]:
    """AIlert's pattern id for every line (``missing:<n>`` where no row came back)."""
    out = io.StringIO()
    parse_stream(io.BytesIO(lines_bytes(lines)), out, chunk_lines=chunk_lines)
    out.seek(0)
    rows = pl.read_csv(
        out, schema={"line": pl.Int64, "pattern_id": pl.String, "template": pl.String}
    )
    by_line = dict(zip(rows["line"].to_list(), rows["pattern_id"].to_list(), strict=True))
    return [by_line.get(n) or f"missing:{n}" for n in range(1, len(lines) + 1)]


def new_drain() -> TemplateMiner:
    return TemplateMiner(config=TemplateMinerConfig())


def drain_groups(lines: Sequence[str]) -> list[str]:
    miner = new_drain()
    return [str(miner.add_log_message(line)["cluster_id"]) for line in lines]


# ---------------------------------------------------------------------------------------------
# 1. Accuracy


def accuracy(systems: dict[str, pl.DataFrame], chunk: int) -> list[dict[str, Any]]:
    rows = []
    for name, frame in systems.items():
        lines, truth = frame["content"].to_list(), frame["truth"].to_list()
        ours, drain = ailert_groups(lines), drain_groups(lines)
        chunked = ailert_groups(lines, chunk)
        row = {
            "system": name,
            "lines": len(lines),
            "templates": len(set(truth)),
            "ailert_ga": grouping_accuracy(ours, truth),
            "ailert_fga": f1_group_accuracy(ours, truth),
            "ailert_patterns": len(set(ours)),
            "ailert_missing": sum(p.startswith("missing:") for p in ours),
            "ailert_ga_chunked": grouping_accuracy(chunked, truth),
            "drain3_ga": grouping_accuracy(drain, truth),
            "drain3_fga": f1_group_accuracy(drain, truth),
            "drain3_clusters": len(set(drain)),
        }
        rows.append(row)
        print(
            f"  {name:<8} AIlert GA {row['ailert_ga']:.3f} FGA {row['ailert_fga']:.3f} "
            f"({row['ailert_patterns']} patterns, chunked GA {row['ailert_ga_chunked']:.3f})  "
            f"Drain3 GA {row['drain3_ga']:.3f} FGA {row['drain3_fga']:.3f} "
            f"({row['drain3_clusters']} clusters)  truth {row['templates']}",
            file=sys.stderr,
        )
    return rows


# ---------------------------------------------------------------------------------------------
# 2. Throughput


def write_mixed(systems: dict[str, pl.DataFrame], n_lines: int, path: Path) -> int:
    """All systems' Content lines repeated to ``n_lines``, shuffled; returns #distinct lines."""
    pool = pl.concat([frame["content"] for frame in systems.values()])
    reps = -(-n_lines // pool.len())
    mixed = pl.concat([pool] * reps).head(n_lines).shuffle(seed=SEED)
    path.write_bytes(lines_bytes(mixed.to_list()))
    return mixed.n_unique()


def _fresh(dst: Path) -> None:
    """Before the clock starts: remove an earlier run's output (overwriting a big file makes the
    file system free, and mounted with ``discard`` trim, its blocks inside the timed run) and
    flush dirty pages (else the kernel writes back the input and earlier outputs meanwhile)."""
    dst.unlink(missing_ok=True)
    os.sync()
    time.sleep(0.5)


def time_ailert(src: Path, dst: Path, runs: int) -> tuple[float, int, list[float]]:
    """Median seconds of ``runs`` runs (each a fresh engine), records, and every run's seconds."""
    times, records = [], 0
    for _ in range(runs):
        _fresh(dst)
        start = time.perf_counter()
        with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
            records = parse_stream(fin, fout).records
        times.append(time.perf_counter() - start)
    return statistics.median(times), records, times


def time_drain(src: Path, dst: Path, n_lines: int) -> tuple[float, int]:
    miner = new_drain()
    count = 0
    _fresh(dst)
    start = time.perf_counter()
    with src.open(encoding="utf-8") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        writer = csv.writer(fout, lineterminator="\n")
        writer.writerow(("line", "pattern_id", "template"))
        for i, raw in enumerate(islice(fin, n_lines), 1):
            line = raw.rstrip("\n")
            if not line:
                continue
            result = miner.add_log_message(line)
            writer.writerow((i, result["cluster_id"], result["template_mined"]))
            count += 1
    return time.perf_counter() - start, count


def timed_in_child(engine: str, src: Path, dst: Path, n_lines: int, runs: int) -> dict[str, Any]:
    """Time one engine in a fresh interpreter (start-up excluded): neither engine pays for the
    other's leftovers (heap, garbage collector, allocator state) in this long-lived process."""
    code = "import sys; from bench.patterns import _child; _child(*sys.argv[1:])"
    args = [engine, str(src), str(dst), str(n_lines), str(runs)]
    result: dict[str, Any] = json.loads(_run_child(f"{engine} throughput run", code, *args))
    return result


def _run_child(what: str, code: str, *args: str) -> str:
    """Standard output of ``python -c code args…`` run from the repository root."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return done.stdout


def _child(engine: str, src: str, dst: str, n_lines: str, runs: str) -> None:
    if engine == "ailert":
        seconds, records, every = time_ailert(Path(src), Path(dst), int(runs))
    else:
        seconds, records = time_drain(Path(src), Path(dst), int(n_lines))
        every = [seconds]
    print(json.dumps({"seconds": seconds, "records": records, "runs": every}))


def count_rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


# ---------------------------------------------------------------------------------------------
# 3. Peak memory


def write_repeated(src: Path, n_lines: int, base_lines: int, dst: Path) -> None:
    """``dst`` = ``src`` (``base_lines`` lines) repeated, cut to ``n_lines`` lines."""
    whole, rest = divmod(n_lines, base_lines)
    data = src.read_bytes()
    with dst.open("wb") as out:
        for _ in range(whole):
            out.write(data)
        if rest:
            cut = 0
            for _ in range(rest):
                cut = data.index(b"\n", cut) + 1
            out.write(data[:cut])


def peak_rss(path: Path) -> dict[str, Any]:
    """Run parse_stream on ``path`` in a child that reports its own peak RSS (VmHWM, KiB)."""
    lines, seconds, kib = _run_child("memory run", RSS_CHILD, str(path)).split()
    return {
        "lines": int(lines),
        "peak_rss_mib": int(kib) / 1024,
        "seconds": float(seconds),
        "lines_per_s": int(lines) / float(seconds),
    }


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    model = platform.machine()  # not processor(): it forks `uname` and skews RUSAGE_CHILDREN
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "date": datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
        "cores": len(os.sched_getaffinity(0)),
        "load_1min_at_start": os.getloadavg()[0],
        "ram_gib": round(ram_kib / 1024**2, 1),
        "cpu": model,
        "python": platform.python_version(),
        "polars": version("polars"),
        "drain3": version("drain3"),
    }


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    rows = result["accuracy"]
    out = [
        f"Pattern benchmark — {m['date']}; {m['cores']} cores, {m['ram_gib']} GiB RAM, "
        f"{m['cpu']}, load {m['load_1min_at_start']:.1f} at start; Python {m['python']}, "
        f"polars {m['polars']}, Drain3 {m['drain3']} (default config).",
        "",
        "Accuracy on Loghub-2k (corrected labels; input = `Content`):",
        "",
        "| System | Templates | AIlert GA | AIlert FGA | AIlert patterns "
        f"| AIlert GA ({result['chunk']}-line chunks) | Drain3 GA | Drain3 FGA | Drain3 clusters |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        out.append(
            f"| {r['system']} | {r['templates']} | {r['ailert_ga']:.3f} | {r['ailert_fga']:.3f} "
            f"| {r['ailert_patterns']} | {r['ailert_ga_chunked']:.3f} | {r['drain3_ga']:.3f} "
            f"| {r['drain3_fga']:.3f} | {r['drain3_clusters']} |"
        )
    for label, agg in result["summary"].items():
        out.append(
            f"| **{label}** | {agg['templates']:.4g} | **{agg['ailert_ga']:.3f}** "
            f"| {agg['ailert_fga']:.3f} | {agg['ailert_patterns']:.4g} "
            f"| {agg['ailert_ga_chunked']:.3f} | **{agg['drain3_ga']:.3f}** "
            f"| {agg['drain3_fga']:.3f} | {agg['drain3_clusters']:.4g} |"
        )
    t = result["throughput"]
    out += [
        "",
        f"Throughput: {t['lines']:,} Loghub-2k `Content` lines repeated and shuffled "
        f"({t['distinct_lines']:,} distinct); read the file, pattern every line, write "
        "`line,pattern_id,template` to a new file (each engine in a fresh interpreter of its "
        "own, start-up excluded):",
        "",
        "| Engine | Lines timed | Seconds | Lines/s |",
        "|---|--:|--:|--:|",
        f"| AIlert `parse_stream` (median of {len(t['ailert_runs_seconds'])} runs, half before "
        f"and half after Drain3's: {', '.join(f'{s:.2f}' for s in t['ailert_runs_seconds'])} s) "
        f"| {t['ailert_lines']:,} "
        f"| {t['ailert_seconds']:.2f} | {t['ailert_lines_per_s']:,.0f} |",
        f"| Drain3 | {t['drain3_lines']:,} | {t['drain3_seconds']:.2f} "
        f"| {t['drain3_lines_per_s']:,.0f} |",
        f"| **AIlert / Drain3** | | | **{t['ratio']:.1f}x** |",
    ]
    rss = result.get("memory")
    if rss:
        out += [
            "",
            f"Peak memory: AIlert streaming {rss['lines']:,} lines from a file (child process, "
            f"output to /dev/null): **{rss['peak_rss_mib']:,.0f} MiB** peak RSS, "
            f"{rss['seconds']:.1f} s ({rss['lines_per_s']:,.0f} lines/s).",
        ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "loghub2k")
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--drain-lines", type=int, default=None, help="default: all --lines")
    parser.add_argument("--runs", type=int, default=5, help="AIlert throughput runs (median)")
    parser.add_argument("--rss-lines", type=int, default=10_000_000)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--chunk", type=int, default=200)
    args = parser.parse_args(argv)

    systems = load_systems(args.data)
    result: dict[str, Any] = {"machine": machine(), "data": str(args.data), "chunk": args.chunk}

    print(f"accuracy on {len(systems)} systems …", file=sys.stderr)
    result["accuracy"] = rows = accuracy(systems, args.chunk)
    numeric = [k for k, v in rows[0].items() if isinstance(v, int | float)]
    result["summary"] = {
        "Average": {k: sum(r[k] for r in rows) / len(rows) for k in numeric},
        "Min": {k: min(r[k] for r in rows) for k in numeric},
    }
    worst_chunk = max(abs(r["ailert_ga"] - r["ailert_ga_chunked"]) for r in rows)
    result["chunk_check"] = {"max_ga_diff": worst_chunk, "ok": worst_chunk <= CHUNK_TOLERANCE}

    with tempfile.TemporaryDirectory(prefix="ailert-bench-") as tmp:
        mixed, out = Path(tmp) / "mixed.log", Path(tmp) / "out.csv"
        distinct = write_mixed(systems, args.lines, mixed)
        drain_n = min(args.drain_lines or args.lines, args.lines)
        print(f"throughput: AIlert on {args.lines:,} lines …", file=sys.stderr)
        ours = timed_in_child("ailert", mixed, out, args.lines, args.runs)
        ailert_written = count_rows(out)
        print(f"throughput: Drain3 on {drain_n:,} lines …", file=sys.stderr)
        drain = timed_in_child("drain3", mixed, out, drain_n, 1)
        print(f"throughput: AIlert on {args.lines:,} lines again …", file=sys.stderr)
        after = timed_in_child("ailert", mixed, out, args.lines, args.runs)
        out.unlink()
        runs = ours["runs"] + after["runs"]  # before and after Drain3: the same machine weather
        seconds = statistics.median(runs)
        result["throughput"] = t = {
            "lines": args.lines,
            "distinct_lines": distinct,
            "ailert_lines": ours["records"],
            "ailert_rows_written": ailert_written,
            "ailert_seconds": seconds,
            "ailert_runs_seconds": runs,
            "ailert_lines_per_s": ours["records"] / seconds,
            "drain3_lines": drain["records"],
            "drain3_seconds": drain["seconds"],
            "drain3_lines_per_s": drain["records"] / drain["seconds"],
        }
        t["ratio"] = t["ailert_lines_per_s"] / t["drain3_lines_per_s"]

        if not args.skip_rss:
            big = Path(tmp) / "big.log"
            write_repeated(mixed, args.rss_lines, args.lines, big)
            mixed.unlink()
            print(f"memory: AIlert on {args.rss_lines:,} lines (child process) …", file=sys.stderr)
            result["memory"] = peak_rss(big)

    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not result["chunk_check"]["ok"]:
        print(
            f"WARNING: chunked GA differs from whole-file GA by {worst_chunk:.3f} "
            f"(> {CHUNK_TOLERANCE})",
            file=sys.stderr,
        )
    print(markdown(result))


if __name__ == "__main__":
    main()
