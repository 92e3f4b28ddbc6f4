"""The pattern book: one source's memory of (level, template) -> pattern, and of each
pattern's current template, with the additions of the batch being committed.

Stage 2 lives behind :meth:`PatternBook.resolve`: it is given the *unique* (level, template)
pairs of a batch and answers a pattern for each, founding new patterns or merging into known
ones through a :class:`~ailert.patterns.merge.Merger`. ``pending_*`` hold what the store must
write in the same transaction as the counts; :meth:`commit` keeps it, :meth:`rollback`
forgets it (the transaction failed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from ailert.patterns.ids import OVERFLOW_TEMPLATE, pattern_id
from ailert.patterns.merge import Merger

__all__ = ["NewPattern", "PatternBook"]


@dataclass(frozen=True)
class NewPattern:
    pattern_id: str
    level: str
    template: str


@dataclass
class PatternBook:
    """One source's map (level, template) -> pattern id, plus what the current batch added.

    ``pending_*`` hold additions not yet committed to the store; :meth:`commit` keeps them,
    :meth:`rollback` forgets them (the transaction that would have saved them failed).
    """

    source: str
    max_patterns: int
    templates: dict[tuple[str, str], str] = field(default_factory=dict)
    patterns: dict[str, tuple[str, str]] = field(default_factory=dict)
    pending_templates: list[tuple[str, str, str]] = field(default_factory=list)
    pending_patterns: list[NewPattern] = field(default_factory=list)

    @classmethod
    def from_rows(
        cls,
        source: str,
        max_patterns: int,
        template_rows: Iterable[tuple[str, str, str]],
        pattern_rows: Iterable[tuple[str, str, str]],
    ) -> PatternBook:
        """From ``(level, template, pattern_id)`` and ``(pattern_id, level, template)`` rows."""
        book = cls(source, max_patterns)
        book.templates = {(lv, t): pid for lv, t, pid in template_rows}
        book.patterns = {pid: (lv, t) for pid, lv, t in pattern_rows}
        return book

    def _found(self, level: str, template: str) -> str:
        if len(self.patterns) >= self.max_patterns:
            template = OVERFLOW_TEMPLATE
        pid = pattern_id(level, template)
        if pid not in self.patterns:
            self.patterns[pid] = (level, template)
            self.pending_patterns.append(NewPattern(pid, level, template))
        return pid

    def resolve(self, uniques: pl.DataFrame, merger: Merger) -> pl.DataFrame:
        """Map unique ``(level, template)`` rows to pattern ids, founding or merging new ones."""
        new_by_level: dict[str, list[str]] = {}
        for level, template in uniques.iter_rows():
            if (level, template) not in self.templates:
                new_by_level.setdefault(level, []).append(template)
        for level, new in new_by_level.items():
            known = {t: pid for (lv, t), pid in self.templates.items() if lv == level}
            for template, target in zip(new, merger.merge(level, new, known), strict=True):
                pid = target if target is not None else self._found(level, template)
                self.templates[(level, template)] = pid
                self.pending_templates.append((level, template, pid))
        ids = [self.templates[(lv, t)] for lv, t in uniques.iter_rows()]
        return uniques.with_columns(
            pattern_id=pl.Series(ids, dtype=pl.String),
            pattern_template=pl.Series([self.patterns[i][1] for i in ids], dtype=pl.String),
        )

    def commit(self) -> None:
        self.pending_templates.clear()
        self.pending_patterns.clear()

    def rollback(self) -> None:
        for level, template, _ in self.pending_templates:
            self.templates.pop((level, template), None)
        for new in self.pending_patterns:
            self.patterns.pop(new.pattern_id, None)
        self.commit()
