"""The analyst notebooks run, top to bottom, against a store the demo builds (as CI does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ailert.demo import run_demo

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.py"))


@pytest.fixture(scope="module")
def read_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder / "ailert.duckdb", folder / "logs", out=None)
    copy = folder / "ailert.read.duckdb"
    assert copy.exists()
    return copy


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook: Path, read_copy: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(notebook), str(read_copy)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Payment provider <*> timed out after <*>" in result.stdout
