"""The ``ailert`` command line: each command parses options, calls one library function, and
renders the result (a table, or one JSON document with ``--json``). Errors print
``Error: …`` on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ailert import __version__
from ailert.cli_alerts import register as register_alert_commands
from ailert.cli_common import (
    ConfigOpt,
    JsonOpt,
    PatternIdArg,
    SourcesOpt,
    handle_errors,
    open_store_of,
)
from ailert.cli_rules import register as register_rule_commands
from ailert.cli_sources import register as register_source_commands
from ailert.config import MappingConfig, PatternSettings, load_config
from ailert.errors import AIlertError
from ailert.output import emit, emit_json
from ailert.window import parse_since

app = typer.Typer(
    help="AIlert: discovers log patterns, notices what changed, alerts through Alertmanager.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

LEVEL_ORDER = ("trace", "debug", "info", "warn", "error", "fatal")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ailert {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """AIlert command line."""


def _levels_at_or_above(level: str | None) -> list[str] | None:
    if level is None:
        return None
    level = level.lower()
    if level == "unknown":
        return ["unknown"]
    if level not in LEVEL_ORDER:
        raise typer.BadParameter(
            f"expected one of {', '.join(LEVEL_ORDER)} or unknown", param_hint="--level"
        )
    return list(LEVEL_ORDER[LEVEL_ORDER.index(level) :])


@app.command()
@handle_errors
def tick(
    source: SourcesOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one microbatch over all (or the named) sources. Exit 1 when a source failed."""
    from ailert.pipeline import run_tick

    cfg = load_config(config)
    report = run_tick(cfg, source or ())
    rows = [
        {
            "source": s.source,
            "lines": s.lines_read,
            "records": s.records,
            "patterns": s.patterns_seen,
            "new": len(s.new_patterns),
            "mapping_failures": s.mapping_failures,
            "invalid_utf8": s.invalid_utf8,
            "files": s.files,
            "seconds": round(s.seconds, 3),
            "new_patterns": [
                {"pattern_id": p.pattern_id, "level": p.level, "template": p.template}
                for p in s.new_patterns
            ],
            "warnings": s.warnings,
            "errors": s.errors,
        }
        for s in report.sources
    ]
    findings = [_finding_row(f) for f in report.findings]
    alerts = report.alerts.to_dict() if report.alerts is not None else None
    if as_json:
        emit_json({"ok": report.ok, "sources": rows, "findings": findings, "alerts": alerts})
    else:
        emit(rows, ["source", "lines", "records", "patterns", "new", "mapping_failures", "seconds"])
        if findings:
            typer.echo("\nfindings")
            emit(findings, FINDING_COLUMNS)
        if alerts and (alerts["fired"] or alerts["resolved"]):
            typer.echo("\nalerts")
            changed = [{**a, "change": "fired"} for a in alerts["fired"]]
            changed += [{**a, "change": "resolved"} for a in alerts["resolved"]]
            emit(changed, ["change", *ALERT_COLUMNS])
        for s in report.sources:
            for warning in s.warnings:
                typer.echo(f"Warning: {s.source}: {warning}", err=True)
            for error in s.errors:
                typer.echo(f"Error: {s.source}: {error}", err=True)
    if not report.ok:
        raise typer.Exit(1)


FINDING_COLUMNS = [
    "kind",
    "source",
    "level",
    "current_count",
    "baseline_count",
    "score",
    "template",
]


ALERT_COLUMNS = ["alertname", "severity", "source", "pattern_hash", "count", "template"]


def _finding_row(finding: Any) -> dict[str, Any]:
    from dataclasses import asdict

    row = asdict(finding)
    row["kind"] = str(finding.kind)
    row["score"] = round(finding.score, 2)
    return row


@app.command()
@handle_errors
def patterns(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
    level: Annotated[
        str | None,
        typer.Option(
            "--level", "-l", help="This level or more severe (warn = warn, error, fatal)."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Seen since: a duration (90m, 7d) or an ISO time; counts cover it."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="At most this many rows (0 = all).")
    ] = 0,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One row per pattern: id, template, level, source, first/last seen, count, sample."""
    cfg = load_config(config)
    levels = _levels_at_or_above(level)
    since_at = parse_since(since) if since else None
    with open_store_of(cfg) as store:
        rows = store.query(
            "queries/patterns", {"source": source, "levels": levels, "since": since_at}
        )
    if limit:
        rows = rows[:limit]
    emit(
        rows,
        ["pattern_id", "level", "source", "count", "last_seen", "template"],
        as_json=as_json,
        key="patterns",
        empty="No patterns yet (run `ailert tick`).",
    )


#: ``ailert show --every``: count resolutions, finest first.
HISTORY_RESOLUTIONS = ("minute", "hour", "day")


@app.command()
@handle_errors
def show(
    pattern_id: PatternIdArg,
    buckets: Annotated[
        int, typer.Option("--buckets", help="History: this many most recent buckets.")
    ] = 60,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="History resolution: minute, hour or day (default: the finest that has counts).",
        ),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One pattern: its template, samples and per-bucket count history."""
    if every not in (None, *HISTORY_RESOLUTIONS):
        raise typer.BadParameter("expected minute, hour or day", param_hint="--every")
    cfg = load_config(config)
    params = {"pattern_id": pattern_id}
    history: list[dict[str, object]] = []
    with open_store_of(cfg) as store:
        found = store.query("queries/pattern", params)
        samples = store.query("queries/pattern_samples", params)
        # a pattern last seen before the minute (or hour) retention has only coarser counts
        for resolution in (every,) if every else HISTORY_RESOLUTIONS:
            history = store.query(
                "queries/pattern_history",
                {**params, "resolution": resolution, "limit": buckets},
            )
            if history:
                break
    if not found:
        raise AIlertError(f"no pattern {pattern_id!r} (list them with `ailert patterns`)")
    if as_json:
        emit_json({"pattern": found[0], "sources": found, "samples": samples, "history": history})
        return
    head = found[0]
    typer.echo(f"pattern  {head['pattern_id']}  level {head['level']}")
    typer.echo(f"template {head['template']}")
    emit(found, ["source", "count", "first_seen", "last_seen"])
    typer.echo("\nsamples")
    emit(samples, ["source", "ts", "message"])
    typer.echo("\nhistory")
    emit(history, ["bucket", "resolution", "source", "count"])


@app.command()
@handle_errors
def parse(
    file: Annotated[str, typer.Argument(help="A log file, or - for standard input.")] = "-",
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output: csv or json.")] = "csv",
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            "-m",
            help="Map lines first: plain, json, logfmt, syslog (default: raw lines).",
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Use this configured source's mapping.")
    ] = None,
    chunk: Annotated[
        int | None,
        typer.Option("--chunk", help="Feed the engine this many lines at a time.", min=1),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Batch mode: ``line,pattern_id,template`` for every input line, in input order."""
    from ailert.parse import parse_stream

    if fmt not in ("csv", "json"):
        raise typer.BadParameter("expected csv or json", param_hint="--format")
    settings = PatternSettings()
    chosen: MappingConfig | None = None
    if source or config:
        cfg = load_config(config)
        settings = cfg.patterns
        if source:
            chosen = cfg.source(source).mapping()
    if mapping:
        if mapping not in ("plain", "json", "logfmt", "syslog"):
            raise typer.BadParameter(
                "expected plain, json, logfmt or syslog", param_hint="--mapping"
            )
        chosen = MappingConfig(format=mapping)  # type: ignore[arg-type]
    out_format: Literal["csv", "json"] = "json" if fmt == "json" else "csv"
    if file == "-":
        parse_stream(
            sys.stdin.buffer,
            sys.stdout,
            settings=settings,
            mapping=chosen,
            chunk_lines=chunk,
            fmt=out_format,
        )
        return
    try:
        handle = open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise AIlertError(f"cannot read {file}: {exc.strerror}") from None
    with handle:
        parse_stream(
            handle, sys.stdout, settings=settings, mapping=chosen, chunk_lines=chunk, fmt=out_format
        )


@app.command()
@handle_errors
def diff(
    since: Annotated[
        str, typer.Option("--since", help="Window start: a duration back (7d, 90m) or an ISO time.")
    ] = "1h",
    until: Annotated[
        str | None, typer.Option("--until", help="Window end (ISO time; default now).")
    ] = None,
    baseline: Annotated[
        str,
        typer.Option(
            "--baseline", help="previous | 1d-ago | 1w-ago | <duration>-ago | START..END (ISO)."
        ),
    ] = "previous",
    source: SourcesOpt = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", help="Only these kinds (repeatable or comma-separated)."),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on", help="Exit 3 when a finding of these kinds exists (KIND[,KIND])."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table (default), json or markdown.")
    ] = "table",
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What changed in a window compared with a baseline: new, gone, rate_shift, level_drift,
    format_drift."""
    from ailert.changes import diff_thresholds
    from ailert.diff import Window, detect_changes, resolve_baseline
    from ailert.window import now, parse_instant

    if fmt not in ("table", "json", "markdown"):
        raise typer.BadParameter("expected table, json or markdown", param_hint="--format")
    cfg = load_config(config)
    end = parse_instant(until) if until else now()
    window = Window(parse_since(since, end), end)
    base = Window(*resolve_baseline(baseline, window.start, window.end))
    kinds = [k for item in kind or [] for k in item.split(",") if k] or None
    gates = {k for k in (fail_on or "").split(",") if k}
    with open_store_of(cfg) as store:
        findings = detect_changes(
            store.con, window, base, kinds=kinds, sources=source or None,
            thresholds=diff_thresholds(cfg.detect),
        )  # fmt: skip
    rows = [_finding_row(f) for f in findings]
    document = {
        "window": {"start": window.start, "end": window.end},
        "baseline": {"start": base.start, "end": base.end, "spec": baseline},
        "findings": rows,
    }
    if as_json or fmt == "json":
        emit_json(document)
    elif fmt == "markdown":
        typer.echo(_markdown(document))
    else:
        typer.echo(
            f"window {window.start:%Y-%m-%d %H:%M} .. {window.end:%Y-%m-%d %H:%M} UTC, "
            f"baseline {base.start:%Y-%m-%d %H:%M} .. {base.end:%Y-%m-%d %H:%M} ({baseline})"
        )
        emit(rows, FINDING_COLUMNS, empty="No changes.")
    if gates and any(f.kind in gates for f in findings):
        raise typer.Exit(3)


def _markdown(document: dict[str, Any]) -> str:
    """Findings as a Markdown table for a ticket (cells escaped: ``|`` and newlines)."""
    from ailert.output import format_cell

    window, base = document["window"], document["baseline"]
    lines = [
        f"**AIlert diff** — window {window['start']:%Y-%m-%d %H:%M} to {window['end']:%H:%M} UTC "
        f"vs baseline {base['start']:%Y-%m-%d %H:%M} to {base['end']:%H:%M} UTC ({base['spec']})",
        "",
        "| " + " | ".join(FINDING_COLUMNS) + " |",
        "|" + "---|" * len(FINDING_COLUMNS),
    ]
    for row in document["findings"]:
        cells = [format_cell(row.get(c)).replace("|", "\\|") for c in FINDING_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    if not document["findings"]:
        lines.append("| " + " | ".join(["—"] * len(FINDING_COLUMNS)) + " |")
    return "\n".join(lines)


@app.command()
@handle_errors
def train(
    since: Annotated[
        str, typer.Option("--since", help="Start: a duration back (7d) or an ISO time.")
    ],
    until: Annotated[
        str | None, typer.Option("--until", help="End of the range (ISO time; default now).")
    ] = None,
    source: SourcesOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Backfill [since, until) from the sources without alerting: the cold start."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from ailert.pipeline import run_train
    from ailert.window import now, parse_instant

    cfg = load_config(config)
    end = parse_instant(until) if until else now()
    start = parse_since(since, end)
    progress = Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
        TimeRemainingColumn(), transient=True, disable=as_json or not sys.stderr.isatty(),
        console=None,
    )  # fmt: skip
    tasks: dict[str, Any] = {}

    def on_progress(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = progress.add_task(name, total=max(total, 1))
        progress.update(tasks[name], completed=done)

    with progress:
        report = run_train(cfg, start, end, source or (), progress=on_progress)
    rows = [
        {"source": s.source, "lines": s.lines_read, "records": s.records, "skipped": s.skipped,
         "patterns": s.patterns_seen, "errors": s.errors}
        for s in report.sources
    ]  # fmt: skip
    if as_json:
        emit_json({"ok": report.ok, "since": start, "until": end, "sources": rows})
    else:
        typer.echo(f"trained {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC")
        emit(rows, ["source", "lines", "records", "skipped", "patterns"])
        for s in report.sources:
            for error in s.errors:
                typer.echo(f"Error: {s.source}: {error}", err=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handle_errors
def demo(
    store: Annotated[Path, typer.Option("--store", help="DuckDB file to (re)create.")] = Path(
        "snapshots/ailert.duckdb"
    ),
    logs: Annotated[Path, typer.Option("--logs", help="Where the sample logs are written.")] = Path(
        "snapshots/demo-logs"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Write a realistic sample log set, tick over it twice, and show what AIlert found."""
    from ailert.demo import run_demo

    result = run_demo(store, logs, out=None if as_json else sys.stdout)
    if as_json:
        emit_json(result)


register_alert_commands(app)
register_source_commands(app)
register_rule_commands(app)


def main() -> None:
    app()
