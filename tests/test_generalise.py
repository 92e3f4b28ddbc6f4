"""Issue 3: a pattern's template generalises across ticks while its id stays put."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from ailert.config import Config
from ailert.patterns.ids import pattern_id
from ailert.pipeline import run_tick
from tests.conftest import file_source


def test_template_generalises_and_the_id_stays(
    workspace: Path, make_config: Callable[..., Config]
) -> None:
    log = workspace / "logs" / "auth.log"
    log.write_text("Session opened for user alice by sshd\n")
    config = make_config(file_source(log))
    run_tick(config)
    founder = pattern_id("unknown", "Session opened for user alice by sshd")
    with log.open("a") as handle:
        for name in ("bob", "carol", "dave", "erin"):
            handle.write(f"Session opened for user {name} by sshd\n")
        handle.write("Session closed for user alice by sshd\n")
    run_tick(config)
    with duckdb.connect(str(config.store_path()), read_only=True) as con:
        rows = con.execute(
            "SELECT pattern_id, template, total FROM patterns ORDER BY first_seen, template"
        ).fetchall()
    opened = [r for r in rows if "opened" in r[1]]
    assert opened == [(founder, "Session opened for user <*> by sshd", 5)]
    assert [r[1] for r in rows if "closed" in r[1]] == ["Session closed for user alice by sshd"]
