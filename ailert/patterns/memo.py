"""Batch mode's memory of distinct lines already templated: line key → pattern id.

``ailert parse`` feeds the engine block after block; the same line text recurs across blocks
(a health check, a retry loop), and each block would map and mask it again. A line's pattern id
never changes once the book assigned it — the book maps a (level, template) to its id for good,
and the same text always gives the same level and template — so remembering it is a pure cache:
the answer is what mining the line again would give. Only the pattern's *template* may
generalise later, so it is read from the book on every use, never remembered.

The key is the line's two independent 64-bit hashes (see :func:`ailert.pipeline.key_lines`).
The memo is bounded: past ``max_entries`` it keeps only the last block's lines.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ailert.patterns.book import PatternBook

__all__ = ["LINE_KEY", "LineMemo"]

#: The columns holding a line's two hashes.
LINE_KEY = ("_h1", "_h2")


class LineMemo:
    """Pattern ids of lines seen in earlier blocks, keyed by both line hashes."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self.max_entries = max_entries
        self.known = pl.DataFrame(
            schema={LINE_KEY[0]: pl.UInt64, LINE_KEY[1]: pl.UInt64, "pattern_id": pl.String}
        )

    def __len__(self) -> int:
        return self.known.height

    def patterns(
        self,
        distinct: pl.DataFrame,
        mine: Callable[[pl.DataFrame], pl.DataFrame],
        book: PatternBook,
    ) -> pl.DataFrame:
        """``_h1, _h2, pattern_id, pattern_template`` for the rows of ``distinct`` (one per
        distinct line, with both hash columns) that have a pattern.

        Lines not seen before go through ``mine`` (rows in, the same rows with ``pattern_id``
        out; a row it drops gets no pattern and is not remembered).
        """
        key = list(LINE_KEY)
        fresh = distinct.join(self.known, on=key, how="anti")
        if fresh.height:
            mined = mine(fresh).filter(pl.col("pattern_id").is_not_null())
            added = mined.select(*key, pl.col("pattern_id").cast(pl.String))
            self.known = pl.concat([self.known, added], rechunk=False)
        ids = distinct.select(*key).join(self.known, on=key, how="inner", maintain_order="left")
        if self.known.height > self.max_entries:
            self.known = ids
        pids = ids["pattern_id"].unique().to_list()
        current = pl.DataFrame(
            {"pattern_id": pids, "pattern_template": [book.patterns[p][1] for p in pids]},
            schema={"pattern_id": pl.String, "pattern_template": pl.String},
        )
        return ids.join(current, on="pattern_id", how="left", maintain_order="left")
