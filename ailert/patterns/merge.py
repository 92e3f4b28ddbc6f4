"""Stage 2 of the pattern engine: deciding which pattern a *new* masked template belongs to.

It runs on unique templates only, never on lines. The seam: a :class:`Merger` is given the
new templates of one source and level together with the patterns the source already has, and
answers, for each new template, the id of an existing pattern or ``None`` (a new pattern,
founded by that template). :class:`ExactMerger` — stage 1 only — never merges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

__all__ = ["ExactMerger", "Merger"]


class Merger(Protocol):
    def merge(
        self, level: str, new_templates: Sequence[str], known: Mapping[str, str]
    ) -> list[str | None]:
        """For each new template: the pattern id (from ``known``: template -> id) it joins,
        or None to found a new pattern."""
        ...


class ExactMerger:
    """Stage 1 only: every distinct masked template is its own pattern."""

    def merge(
        self, level: str, new_templates: Sequence[str], known: Mapping[str, str]
    ) -> list[str | None]:
        return [None for _ in new_templates]
