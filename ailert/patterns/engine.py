"""The pattern engine as one object: stage 1 (mask every line, vectorized) then stage 2
(resolve each *unique* (level, template) to a pattern through a :class:`PatternBook`).

``ailert tick`` and ``ailert parse`` both call :meth:`PatternEngine.mine`; they differ only
in where the book lives (loaded from the store, or in memory), so grouping does not depend
on the entry point or on how the input was cut into batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ailert.config import PatternSettings
from ailert.frames import collect
from ailert.patterns.book import NewPattern, PatternBook
from ailert.patterns.masking import Masker
from ailert.patterns.merge import Merger, TokenMerger

__all__ = ["NewPattern", "PatternBook", "PatternEngine"]


@dataclass(frozen=True)
class PatternEngine:
    """Stage 1 masker + stage 2 merger."""

    masker: Masker
    merger: Merger

    @classmethod
    def from_settings(
        cls, settings: PatternSettings, merger: Merger | None = None
    ) -> PatternEngine:
        return cls(Masker.from_settings(settings), merger or TokenMerger())

    def mine(self, records: pl.DataFrame, book: PatternBook) -> pl.DataFrame:
        """``records`` (needs ``level`` and ``message``) plus ``template`` (this line's masked
        template), ``pattern_id`` and ``pattern_template`` (the pattern's template).

        Stage 1 runs once per distinct (level, message), stage 2 once per distinct template.
        """
        messages = records.select("level", "message").unique(maintain_order=True)
        templated = collect(
            messages.lazy().with_columns(template=self.masker.template(pl.col("message"))),
            messages.height,
        )
        uniques = templated.select("level", "template").unique(maintain_order=True)
        resolved = book.resolve(uniques, self.merger)
        per_message = templated.join(
            resolved, on=["level", "template"], how="left", maintain_order="left"
        )
        return records.join(per_message, on=["level", "message"], how="left", maintain_order="left")
