"""The README's config examples are real: every ``yaml`` block that is an AIlert config parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ailert.config import Config, parse_config

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
CONFIG_KEYS = set(Config.model_fields) - {"path"}


def _config_blocks() -> list[str]:
    found = []
    for block in BLOCKS:
        data = yaml.safe_load(block)
        if isinstance(data, dict) and set(data) <= CONFIG_KEYS:
            found.append(block)
    return found


def test_the_readme_has_config_examples() -> None:
    assert len(_config_blocks()) >= 4


@pytest.mark.parametrize("block", _config_blocks())
def test_readme_config_example_is_valid(block: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGS_DB_URL", "postgresql://u@127.0.0.1:5432/db")
    parse_config(block, Path("README.md"))
