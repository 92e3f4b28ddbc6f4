"""The alerting commands: ``suppress``, ``unsuppress``, ``suppressions``, ``ack``, ``alerts``
and ``serve``. :func:`register` adds them to the ``ailert`` app (``ailert.cli`` calls it).

Each command parses, calls one library function (:mod:`ailert.triage.suppress`,
:mod:`ailert.notify.alerts`, :mod:`ailert.serve`), and renders a table or ``--json``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ailert.cli_common import (
    ByOpt,
    ConfigOpt,
    JsonOpt,
    PatternIdArg,
    handle_errors,
    open_store_of,
    who,
)
from ailert.config import load_config, parse_duration
from ailert.errors import AIlertError
from ailert.output import emit, emit_json
from ailert.window import now

__all__ = ["register"]

SourceOpt = Annotated[str | None, typer.Option("--source", "-s", help="Only this source's scope.")]
SUPPRESSION_COLUMNS = ["pattern_id", "source", "until", "origin", "silence_id", "reason"]
ALERT_COLUMNS = ["alert_id", "state", "severity", "alertname", "source", "pattern_hash", "template"]


def _suppression_row(supp: Any) -> dict[str, Any]:
    row = {k: getattr(supp, k) for k in supp.__dataclass_fields__}
    row["source"] = row["source"] or "*"
    return row


def register(app: typer.Typer) -> None:
    """Add the alerting commands to ``app``."""

    @app.command()
    @handle_errors
    def suppress(
        pattern_id: PatternIdArg,
        duration: Annotated[
            str | None,
            typer.Option("--for", help="How long (30m, 1d, 2w; default alerting.suppress_for)."),
        ] = None,
        reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
        silence: Annotated[
            bool | None,
            typer.Option(
                "--silence/--no-silence",
                help="Also create an Alertmanager silence (default: when one is configured).",
            ),
        ] = None,
        source: SourceOpt = None,
        by: ByOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Stop alerting on a pattern (and silence it in Alertmanager)."""
        from ailert.triage.suppress import suppress as do_suppress

        cfg = load_config(config)
        span = parse_duration(duration) if duration else None
        with open_store_of(cfg) as store:
            result = do_suppress(
                store, cfg, pattern_id, now=now(), by=who(by), source=source, duration=span,
                reason=reason, silence=silence,
            )  # fmt: skip
        row = _suppression_row(result.suppression)
        if as_json:
            emit_json(
                {"suppression": row, "created": result.created, "warning": result.silence_error}
            )
        else:
            verb = "suppressed" if result.created else "extended"
            typer.echo(f"{verb} {pattern_id} until {row['until']:%Y-%m-%d %H:%M} UTC")
            if row["silence_id"]:
                typer.echo(f"silence {row['silence_id']}")
        if result.silence_error:
            typer.echo(f"Warning: {result.silence_error}", err=True)

    @app.command()
    @handle_errors
    def unsuppress(
        pattern_id: PatternIdArg,
        source: SourceOpt = None,
        by: ByOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """End a pattern's suppressions and expire their Alertmanager silences."""
        from ailert.triage.suppress import unsuppress as do_unsuppress

        cfg = load_config(config)
        with open_store_of(cfg) as store:
            ended, errors = do_unsuppress(
                store, cfg, pattern_id, now=now(), by=who(by), source=source
            )
        rows = [_suppression_row(s) for s in ended]
        if as_json:
            emit_json({"ended": rows, "warnings": errors})
        else:
            typer.echo(f"unsuppressed {pattern_id} ({len(rows)} suppression(s) ended)")
        for error in errors:
            typer.echo(f"Warning: {error}", err=True)

    @app.command()
    @handle_errors
    def suppressions(
        show_all: Annotated[
            bool, typer.Option("--all", help="Also ended and expired suppressions.")
        ] = False,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List suppressions, including silences made in the Alertmanager or Grafana UI."""
        from ailert.triage.suppress import list_suppressions, sync_silences

        cfg = load_config(config)
        moment = now()
        with open_store_of(cfg) as store:
            warnings: list[str] = []
            if cfg.alertmanager is not None and cfg.alertmanager.silences:
                warnings = sync_silences(store, cfg, moment).errors
            rows = list_suppressions(store, moment, include_ended=show_all)
        for row in rows:
            row["source"] = row["source"] or "*"
        emit(
            rows, SUPPRESSION_COLUMNS + (["active"] if show_all else []), as_json=as_json,
            key="suppressions", empty="No suppressions.",
        )  # fmt: skip
        for warning in warnings:
            typer.echo(f"Warning: could not read silences: {warning}", err=True)

    @app.command()
    @handle_errors
    def ack(
        alert: Annotated[
            str, typer.Argument(help="An alert id (see `ailert alerts`) or a pattern_hash.")
        ],
        comment: Annotated[str | None, typer.Option("--comment", "-m", help="A note.")] = None,
        by: ByOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record that you acknowledged an alert."""
        cfg = load_config(config)
        moment, acker = now(), who(by)
        with open_store_of(cfg) as store:
            found = store.query("alerts/find_alert", {"ref": alert})
            if not found:
                raise AIlertError(f"no alert {alert!r} (list them with `ailert alerts`)")
            target = found[0]
            with store.transaction():
                params = {"alert_id": target["alert_id"], "acked_by": acker, "now": moment}
                store.run("alerts/ack_insert", {**params, "comment": comment})
        document = {**target, "acked_by": acker, "acked_at": moment, "comment": comment}
        if as_json:
            emit_json({"ack": document})
        else:
            typer.echo(
                f"acknowledged alert {target['alert_id']} ({target['alertname']}) as {acker}"
            )

    @app.command()
    @handle_errors
    def alerts(
        state: Annotated[
            str, typer.Option("--state", help="firing (pending or firing), resolved, or all.")
        ] = "firing",
        limit: Annotated[
            int, typer.Option("--limit", "-n", help="At most this many rows (0 = all).")
        ] = 0,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List alerts kept in DuckDB (with or without Alertmanager)."""
        if state not in ("firing", "resolved", "all"):
            raise typer.BadParameter("expected firing, resolved or all", param_hint="--state")
        cfg = load_config(config)
        with open_store_of(cfg) as store:
            rows = store.query("alerts/list_alerts", {"state": state, "limit": limit})
        emit(rows, ALERT_COLUMNS, as_json=as_json, key="alerts", empty="No alerts.")

    @app.command()
    @handle_errors
    def serve(
        host: Annotated[str | None, typer.Option("--host", help="Default serve.host.")] = None,
        port: Annotated[int | None, typer.Option("--port", help="Default serve.port.")] = None,
        config: ConfigOpt = None,
    ) -> None:
        """Serve the one-click suppress links, /healthz and /metrics."""
        from ailert.serve import make_server, secret_from_env

        cfg = load_config(config)
        server = make_server(cfg, host, port)
        bound = host or cfg.serve.host
        typer.echo(f"serving on http://{bound}:{server.server_port} (Ctrl-C stops)", err=True)
        if secret_from_env(cfg) is None:
            typer.echo(
                f"Warning: ${cfg.alerting.secret_env} is not set: suppress links are refused",
                err=True,
            )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
