"""Shared fixtures: a temporary workspace with a config file, and helpers to write logs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ailert.config import Config, load_config


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir()
    return tmp_path


@pytest.fixture
def make_config(workspace: Path) -> Callable[..., Config]:
    """Write ailert.yaml in the workspace (store inside it) and load it."""

    def make(sources_yaml: str, extra: str = "") -> Config:
        text = f"store: store.duckdb\n{extra}\nsources:\n{sources_yaml}"
        path = workspace / "ailert.yaml"
        path.write_text(text, encoding="utf-8")
        return load_config(path)

    return make


def file_source(path: Path | str, name: str = "app", **keys: str) -> str:
    """YAML of one file source."""
    lines = [f"  - name: {name}", "    type: file", f"    path: '{path}'"]
    lines += [f"    {k}: {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"
