"""What every ``ailert`` command shares: the ``--config`` and ``--json`` options and the one
error handler (``Error: …`` on stderr, exit 1). Command modules import from here, never from
each other.
"""

from __future__ import annotations

import errno
import functools
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

from ailert.errors import AIlertError

if TYPE_CHECKING:
    from ailert.config import Config
    from ailert.store import Store

__all__ = [
    "ByOpt",
    "ConfigOpt",
    "JsonOpt",
    "PatternIdArg",
    "SourcesOpt",
    "handle_errors",
    "open_store_of",
    "who",
]

P = ParamSpec("P")
R = TypeVar("R")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $AILERT_CONFIG, then ./ailert.yaml)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
SourcesOpt = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who does this (default: the login name).")]
PatternIdArg = Annotated[str, typer.Argument(help="The 16-hex pattern id.")]


def who(by: str | None) -> str:
    """``--by``, else the login name: recorded with suppressions, acks and rule decisions."""
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def open_store_of(cfg: Config) -> Store:
    """The config's store, waiting for another writer as long as ``tick.store_lock_wait``."""
    from ailert.store import open_store

    return open_store(cfg.store_path(), lock_wait=cfg.tick.store_lock_wait)


#: Exit status when the reader of our output went away (``ailert parse big.log | head``): what a
#: shell reports for a program killed by SIGPIPE.
EXIT_BROKEN_PIPE = 128 + 13


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn AIlertError (and a bad --since) into ``Error: …`` on stderr and exit 1; a closed
    output pipe ends the command quietly, as it would end ``cat``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (AIlertError, ValueError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            if not _broken_pipe(exc):
                raise
            # nothing more can be written, and Python's last flush of stdout must not complain
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None

    return wrapper


def _broken_pipe(exc: OSError) -> bool:
    """Python's BrokenPipeError, or Polars' OSError for EPIPE (which carries no errno)."""
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE or "Broken pipe" in str(exc)
