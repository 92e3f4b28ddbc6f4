"""The rule commands — ``rules suggest | list | apply | reject`` (a ``rules`` sub-app) — and
``review``, the periodic job. :func:`register` adds them to the ``ailert`` app.

Each command parses, calls one library function (:mod:`ailert.triage.suggest`,
:mod:`ailert.review`) and renders a table or ``--json``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from ailert.cli_common import ByOpt, ConfigOpt, JsonOpt, handle_errors, open_store_of, who
from ailert.config import load_config, parse_duration
from ailert.output import emit, emit_json
from ailert.window import now

__all__ = ["register"]

RULE_COLUMNS = ["rule_id", "kind", "status", "source", "pattern_id", "evidence"]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (kept with the rule).")]
RuleIdArg = Annotated[str, typer.Argument(help="The rule id (see `ailert rules list`).")]
NoLlmOpt = Annotated[
    bool, typer.Option("--no-llm", help="Statistics only: do not ask the LLM judge.")
]


def _short(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "source": r["source"] or "*"} for r in rows]


def register(app: typer.Typer) -> None:
    """Add ``rules …`` and ``review`` to ``app``."""
    rules = typer.Typer(
        help="Suggested rules: suppress, always alert, heartbeats, mask rules.",
        no_args_is_help=True,
    )
    app.add_typer(rules, name="rules")

    @rules.command("suggest")
    @handle_errors
    def suggest(
        since: Annotated[
            str, typer.Option("--since", help="Look back this far (a duration: 7d, 24h).")
        ] = "7d",
        no_llm: NoLlmOpt = False,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Propose rules from recent findings and suppressions, with the evidence."""
        from ailert.triage.suggest import suggest_rules

        cfg = load_config(config)
        moment = now()
        with open_store_of(cfg) as store:
            report = suggest_rules(
                store, cfg, moment, since=moment - parse_duration(since), use_llm=not no_llm
            )
        if as_json:
            emit_json(asdict(report))
        else:
            emit(_short(report.proposed), RULE_COLUMNS, empty="No suggestions.")
            if report.proposed:
                typer.echo(f"\n{report.new} new; apply one with `ailert rules apply RULE_ID`")
        for error in report.errors:
            typer.echo(f"Warning: {error}", err=True)

    @rules.command("list")
    @handle_errors
    def list_(
        status: Annotated[
            str | None, typer.Option("--status", help="proposed, applied or rejected.")
        ] = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List rules: proposed first, with who decided, when and why."""
        from ailert.triage.suggest import list_rules

        cfg = load_config(config)
        with open_store_of(cfg) as store:
            rows = list_rules(store, status)
        emit(_short(rows), RULE_COLUMNS, as_json=as_json, key="rules", empty="No rules.")

    @rules.command("apply")
    @handle_errors
    def apply(
        rule_id: RuleIdArg,
        reason: ReasonOpt = None,
        by: ByOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Apply a rule: a suppression (and silence), an alert or heartbeat rule, a mask rule."""
        from ailert.triage.suggest import apply_rule

        cfg = load_config(config)
        with open_store_of(cfg) as store:
            row, warning = apply_rule(store, cfg, rule_id, now=now(), by=who(by), reason=reason)
        if as_json:
            emit_json({"rule": row, "warning": warning})
        else:
            typer.echo(f"applied rule {rule_id} ({row['kind']}) as {row['decided_by']}")
        if warning:
            typer.echo(f"Warning: {warning}", err=True)

    @rules.command("reject")
    @handle_errors
    def reject(
        rule_id: RuleIdArg,
        reason: ReasonOpt = None,
        by: ByOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Reject a rule: it is not proposed again (an applied alert/mask rule stops)."""
        from ailert.triage.suggest import reject_rule

        cfg = load_config(config)
        with open_store_of(cfg) as store:
            row = reject_rule(store, rule_id, now=now(), by=who(by), reason=reason)
        if as_json:
            emit_json({"rule": row})
        else:
            typer.echo(f"rejected rule {rule_id} ({row['kind']}) as {row['decided_by']}")

    @app.command()
    @handle_errors
    def review(
        since: Annotated[
            str, typer.Option("--since", help="Train and detect over this recent window.")
        ] = "1h",
        lookback: Annotated[
            str, typer.Option("--lookback", help="Suggest rules from this far back.")
        ] = "7d",
        apply: Annotated[
            list[str] | None,
            typer.Option(
                "--apply",
                help="Apply proposed rules of this kind (suppress, alert, heartbeat, mask; "
                "repeatable or comma-separated). Default: none, a person decides.",
            ),
        ] = None,
        no_llm: NoLlmOpt = False,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The periodic job: train the recent window, detect changes, suggest rules, and apply
        those the policy (--apply) allows."""
        from ailert.review import run_review

        cfg = load_config(config)
        kinds = [k for item in apply or [] for k in item.split(",") if k]
        report = run_review(
            cfg, now(), since=parse_duration(since), lookback=parse_duration(lookback),
            apply=kinds, use_llm=not no_llm,
        )  # fmt: skip
        suggestions = report.suggestions
        if as_json:
            emit_json(asdict(report))
        else:
            typer.echo(
                f"review {report.window.start:%Y-%m-%d %H:%M} .. {report.window.end:%H:%M} UTC: "
                f"trained {len(report.trained)} source(s), {len(report.findings)} finding(s), "
                f"{suggestions.new if suggestions else 0} new suggestion(s), "
                f"{len(report.applied)} applied"
            )
            for name, why in report.skipped.items():
                typer.echo(f"  not trained: {name}: {why}")
            if suggestions and suggestions.proposed:
                typer.echo("")
                emit(_short(suggestions.proposed), RULE_COLUMNS)
        for error in report.errors:
            typer.echo(f"Warning: {error}", err=True)
