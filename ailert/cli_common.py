"""What every ``ailert`` command shares: the ``--config`` and ``--json`` options and the one
error handler (``Error: …`` on stderr, exit 1). Command modules import from here, never from
each other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from ailert.errors import AIlertError

__all__ = ["ConfigOpt", "JsonOpt", "handle_errors"]

P = ParamSpec("P")
R = TypeVar("R")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $AILERT_CONFIG, then ./ailert.yaml)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn AIlertError (and a bad --since) into ``Error: …`` on stderr and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (AIlertError, ValueError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper
