"""``ailert demo``: the embedded default. Writes a realistic sample log set with ``datagen``
(three services in three formats, a stack trace, then an incident), ticks over it twice into
a DuckDB file, and prints what AIlert found. Needs no service and no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, TextIO

from ailert.config import Config, load_config
from ailert.errors import AIlertError
from ailert.output import emit
from ailert.pipeline import TickReport, run_tick
from ailert.store import open_store
from ailert.window import now as clock
from datagen.demo import write_demo_logs

__all__ = ["DEMO_SOURCES", "demo_config_text", "run_demo"]

DEMO_SOURCES = ("api", "auth", "worker")


def demo_config_text(logs: Path, store: Path) -> str:
    """The config the demo ticks with — also a worked example of the three formats."""
    return f"""\
# Written by `ailert demo`. Query it with: ailert patterns --config {logs / "ailert.yaml"}
store: {store}
tick:
  bucket: 1m
sources:
  - name: api                      # plain lines, split by a regex of named groups
    type: file
    path: {logs / "api.log"}
    format: regex
    pattern: '^(?P<ts>[^ ]+) (?P<level>[A-Z]+) \\[(?P<service>[^]]+)\\] (?P<message>.*)$'
    labels: [service]
  - name: auth                     # RFC 3164 syslog
    type: file
    path: {logs / "auth.log"}
    format: syslog
    labels: [host, app]
  - name: worker                   # JSON lines; stack traces arrive as one record
    type: file
    path: {logs / "worker.jsonl"}
    format: json
"""


def _reset(store: Path, logs: Path) -> None:
    """Remove a previous demo; refuse to touch a store that holds other sources."""
    if store.exists():
        with open_store(store, read_only=True) as existing:
            sources = {row["source"] for row in existing.query("queries/demo_sources")}
        foreign = sources - set(DEMO_SOURCES)
        if foreign:
            raise AIlertError(
                f"{store} holds sources {sorted(foreign)} that the demo did not make; "
                "pass --store to run the demo elsewhere"
            )
        store.unlink()
        store.with_name(store.name + ".wal").unlink(missing_ok=True)
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)


def _rows(report: TickReport) -> list[dict[str, Any]]:
    return [
        {
            "source": s.source,
            "lines": s.lines_read,
            "records": s.records,
            "patterns": s.patterns_seen,
            "new": len(s.new_patterns),
            "errors": "; ".join(s.errors),
        }
        for s in report.sources
    ]


def run_demo(store: Path, logs: Path, out: TextIO | None) -> dict[str, Any]:
    """Run the demo; print a walkthrough to ``out`` (None = quiet); return the summary."""
    store, logs = store.resolve(), logs.resolve()
    _reset(store, logs)
    moment = clock()
    written = write_demo_logs(logs, moment)
    config_path = logs / "ailert.yaml"
    config_path.write_text(demo_config_text(logs, store), encoding="utf-8")
    config: Config = load_config(config_path)

    steady = run_tick(config)
    incident = written.append_incident()
    second = run_tick(config)
    if not (steady.ok and second.ok):
        problems = [e for r in (steady, second) for s in r.sources for e in s.errors]
        raise AIlertError("the demo tick failed: " + "; ".join(problems))
    new = [
        {"pattern_id": p.pattern_id, "source": s.source, "level": p.level, "template": p.template}
        for s in second.sources
        for p in s.new_patterns
    ]
    findings = [
        {"kind": str(f.kind), "source": f.source, "level": f.level, "template": f.template,
         "current_count": f.current_count, "baseline_count": f.baseline_count,
         "score": round(f.score, 2)}
        for f in second.findings
    ]  # fmt: skip
    summary = {
        "store": str(store),
        "config": str(config_path),
        "logs": [str(f) for f in written.files],
        "first_tick": _rows(steady),
        "second_tick": _rows(second),
        "new_in_second_tick": new,
        "findings_in_second_tick": findings,
        "injected_new_templates": list(incident.new_template_ids),
    }
    if out is not None:
        severity = ("fatal", "error", "warn", "info", "debug", "trace", "unknown")
        ranked = sorted(new, key=lambda row: severity.index(row["level"]))
        first_new = ranked[0]["pattern_id"] if ranked else "PATTERN_ID"
        read_copy = config.read_copy_path()
        out.write(
            f"Wrote two hours of sample logs to {logs}/\n"
            "(api: plain, auth: syslog, worker: JSON).\n\n"
        )
        out.write("Tick 1 — the steady state, everything is learned:\n")
        emit(_rows(steady), ["source", "lines", "records", "patterns", "new"], out=out)
        out.write(
            "\nThen an incident is appended "
            "(10 minutes of payment timeouts and a rate-limit spike).\n"
        )
        out.write("Tick 2 — only the new lines are read:\n")
        emit(_rows(second), ["source", "lines", "records", "patterns", "new"], out=out)
        out.write("\nNew patterns in tick 2:\n")
        emit(new, ["pattern_id", "source", "level", "template"], out=out, empty="(none)")
        out.write("\nWhat changed (tick 2's change detection, last 15 minutes vs the 15 before):\n")
        emit(
            findings,
            ["kind", "source", "level", "current_count", "baseline_count", "score", "template"],
            out=out,
            empty="(nothing)",
        )
        out.write(
            f"\nThe store is {store}. Next:\n"
            f"  ailert patterns --config {config_path} --level warn\n"
            f"  ailert show {first_new} --config {config_path}\n"
            f"  ailert diff --config {config_path} --since 10m --format markdown\n"
            f"  analysts: open {read_copy} (the published read copy) with duckdb\n"
        )
    return summary
