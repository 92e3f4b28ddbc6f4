"""The source commands: ``sources check``, ``query-logs`` and ``query-metrics``.
:func:`register` adds them to the ``ailert`` app.

Each command parses, calls one function of :mod:`ailert.sources.adhoc`, and renders a table
or ``--json``. Nothing is written to the store; secrets never reach the output.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ailert.cli_common import ConfigOpt, JsonOpt, SourcesOpt, handle_errors
from ailert.config import load_config, parse_duration
from ailert.output import emit, emit_json, format_cell
from ailert.window import parse_instant, parse_since

__all__ = ["register"]

SinceOpt = Annotated[
    str, typer.Option("--since", help="Start: a duration back (90m, 7d) or an ISO time.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="End of the range (ISO time; default now).")
]


def _range(since: str, until: str | None) -> tuple[Any, Any]:
    from ailert.window import now

    end = parse_instant(until) if until else now()
    return parse_since(since, end), end


def register(app: typer.Typer) -> None:
    """Add the source commands to ``app`` (once; a second call changes nothing)."""
    if any(getattr(group, "name", None) == "sources" for group in app.registered_groups):
        return
    sources_app = typer.Typer(
        help="Configured sources: check that each can be read.", no_args_is_help=True
    )

    @sources_app.command("check")
    @handle_errors
    def check(
        source: SourcesOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Reach every (or the named) source and show one record from it. Exit 1 if one fails."""
        from ailert.sources.adhoc import check_source

        cfg = load_config(config)
        chosen = [cfg.source(n) for n in source] if source else list(cfg.sources)
        results = [check_source(cfg, s) for s in chosen]
        rows = [
            {"source": r.source, "type": r.type, "ok": r.ok, "detail": r.detail,
             "seconds": round(r.seconds, 3), "sample": r.sample}
            for r in results
        ]  # fmt: skip
        ok = all(r.ok for r in results)
        if as_json:
            emit_json({"ok": ok, "sources": rows})
        else:
            emit(
                rows, ["source", "type", "ok", "seconds", "detail"], empty="No sources configured."
            )
            for r in results:
                if r.sample:
                    labels = ",".join(f"{k}={v}" for k, v in r.sample.get("labels", {}).items())
                    typer.echo(
                        f"  {r.source}: {format_cell(r.sample.get('ts'))} "
                        f"{r.sample.get('level')} {format_cell(r.sample.get('message'), 100)}"
                        + (f"  {{{format_cell(labels, 60)}}}" if labels else "")
                    )
        if not ok:
            raise typer.Exit(1)

    app.add_typer(sources_app, name="sources")

    @app.command("query-logs")
    @handle_errors
    def query_logs(
        source: Annotated[str, typer.Option("--source", "-s", help="The configured source.")],
        since: SinceOpt = "1h",
        until: UntilOpt = None,
        limit: Annotated[
            int, typer.Option("--limit", "-n", help="At most this many records (0 = all).", min=0)
        ] = 100,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Read a source's normalised records of a time range, now (nothing is stored)."""
        from ailert.sources import adhoc

        cfg = load_config(config)
        start, end = _range(since, until)
        records = adhoc.query_logs(cfg, source, start, end, limit=limit or None)
        rows = adhoc.record_rows(records)
        columns = ["ts", "level", "message"] + (["value"] if "value" in records.columns else [])
        emit(rows, columns, as_json=as_json, key="records", empty="No records in that range.")

    @app.command("query-metrics")
    @handle_errors
    def query_metrics(
        source: Annotated[str, typer.Option("--source", "-s", help="A prometheus source.")],
        since: SinceOpt = "15m",
        until: UntilOpt = None,
        query: Annotated[
            str | None,
            typer.Option("--query", "-q", help="Another PromQL expression on the same server."),
        ] = None,
        step: Annotated[
            str | None, typer.Option("--step", help="Resolution (default: the source's step).")
        ] = None,
        limit: Annotated[
            int, typer.Option("--limit", "-n", help="At most this many series (0 = all).", min=0)
        ] = 0,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """One row per metric series of a time range: samples, last, min, max, mean value."""
        from ailert.sources import adhoc

        cfg = load_config(config)
        start, end = _range(since, until)
        rows = adhoc.query_metrics(
            cfg, source, start, end, query=query,
            step=parse_duration(step) if step else None, limit=limit or None,
        )  # fmt: skip
        emit(
            rows,
            ["series", "samples", "last_value", "min", "max", "mean"],
            as_json=as_json,
            key="series",
            empty="No series in that range.",
        )
