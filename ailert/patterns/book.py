"""The pattern book: one source's memory of (level, template) -> pattern, and of each
pattern's current template, with the additions of the batch being committed.

Stage 2 lives behind :meth:`PatternBook.resolve`: it is given the *unique* (level, template)
pairs of a batch and answers a pattern for each, founding new patterns or merging into known
ones through a :class:`~ailert.patterns.merge.Merger`. New templates are decided one at a time in
first-seen order, each seeing the patterns (and generalised templates) of those before it, so the
answer does not depend on how the input was cut into batches.

A pattern's id never changes: it is the id of the template that founded it. Its *template* may
generalise when another template joins (``User alice logged in`` → ``User <*> logged in``);
``pending_updates`` carries those changes to the store, in order (apply them after inserting
``pending_patterns``: a pattern founded in a batch may generalise in the same batch; the last
update wins). ``pending_*`` hold what the store must write in the same transaction as the counts;
:meth:`commit` keeps it, :meth:`rollback` forgets it (the transaction failed). All state is plain
rows — the template map and the patterns' current templates (:meth:`from_rows`); the candidate
index is derived from them on first use.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import polars as pl

from ailert.patterns.ids import OVERFLOW_TEMPLATE, pattern_id
from ailert.patterns.masking import WILDCARD
from ailert.patterns.merge import Candidate, Merger

__all__ = ["MAX_CANDIDATES", "NewPattern", "PatternBook"]

#: At most this many known patterns are offered to the merger for one new template (a bound on
#: stage 2's cost when thousands of patterns share most of their tokens).
MAX_CANDIDATES = 200


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
    pending_updates: list[tuple[str, str]] = field(default_factory=list)
    # (pattern_id, its template before the update) for rollback, oldest first.
    _undo: list[tuple[str, str]] = field(default_factory=list, repr=False)
    # Derived from ``patterns`` for one merger: (level, key) -> pattern ids holding that key.
    _postings: dict[tuple[str, Hashable], dict[str, None]] = field(default_factory=dict, repr=False)
    _keys_of: dict[str, list[tuple[str, Hashable]]] = field(default_factory=dict, repr=False)
    _indexed_for: Merger | None = field(default=None, repr=False)

    @classmethod
    def from_rows(
        cls,
        source: str,
        max_patterns: int,
        template_rows: Iterable[tuple[str, str, str]],
        pattern_rows: Iterable[tuple[str, str, str]],
    ) -> PatternBook:
        """From ``(level, template, pattern_id)`` and ``(pattern_id, level, template)`` rows;
        a pattern row holds the pattern's current (possibly generalised) template."""
        book = cls(source, max_patterns)
        book.templates = {(lv, t): pid for lv, t, pid in template_rows}
        book.patterns = {pid: (lv, t) for pid, lv, t in pattern_rows}
        return book

    # -- the candidate index (derived state) ---------------------------------------------------

    def _index(self, merger: Merger) -> None:
        if self._indexed_for is merger:
            return
        self._postings, self._keys_of, self._indexed_for = {}, {}, merger
        for pid, (level, template) in self.patterns.items():
            self._place(pid, level, template)

    def _place(self, pid: str, level: str, template: str) -> None:
        self._unplace(pid)
        if self._indexed_for is None or template == OVERFLOW_TEMPLATE:
            return
        keys = [(level, key) for key in self._indexed_for.keys(template)]
        self._keys_of[pid] = keys
        for key in keys:
            self._postings.setdefault(key, {})[pid] = None

    def _unplace(self, pid: str) -> None:
        for key in self._keys_of.pop(pid, ()):
            ids = self._postings[key]
            del ids[pid]
            if not ids:
                del self._postings[key]

    def _candidates(self, level: str, template: str, merger: Merger) -> list[Candidate]:
        """The known patterns sharing at least ``merger.min_shared(template)`` keys with the
        template: the most sharing first (then the most general, then by id), at most
        MAX_CANDIDATES. Only the rarest keys' postings are read (prefix filtering: a pattern
        sharing ``need`` of ``m`` keys holds one of any ``m - need + 1`` of them)."""
        keys = {(level, key) for key in merger.keys(template)}
        need = merger.min_shared(template)
        if len(keys) < need:
            return []
        postings = sorted((self._postings.get(key, {}) for key in keys), key=len)
        seen: set[str] = set()
        for ids in postings[: len(keys) - need + 1]:
            seen.update(ids)
        ranked = []
        for pid in seen:
            shared = len(keys.intersection(self._keys_of[pid]))
            if shared >= need:
                template_of = self.patterns[pid][1]
                ranked.append((-shared, -template_of.count(WILDCARD), pid, template_of))
        ranked.sort()
        return [Candidate(pid, t) for _, _, pid, t in ranked[:MAX_CANDIDATES]]

    # -- stage 2 -------------------------------------------------------------------------------

    def _found(self, level: str, template: str) -> str:
        if len(self.patterns) >= self.max_patterns:
            template = OVERFLOW_TEMPLATE
        pid = pattern_id(level, template)
        if pid not in self.patterns:
            self.patterns[pid] = (level, template)
            self.pending_patterns.append(NewPattern(pid, level, template))
            self._place(pid, level, template)
        return pid

    def _generalise(self, pid: str, template: str) -> None:
        level, old = self.patterns[pid]
        if template == old:
            return
        self._undo.append((pid, old))
        self.patterns[pid] = (level, template)
        self.pending_updates.append((pid, template))
        self._place(pid, level, template)

    def _assign(self, level: str, template: str, merger: Merger) -> str:
        candidates = self._candidates(level, template, merger)
        joined = merger.merge(template, candidates) if candidates else None
        if joined is None:
            return self._found(level, template)
        pid, generalised = joined
        self._generalise(pid, generalised)
        return pid

    def resolve(self, uniques: pl.DataFrame, merger: Merger) -> pl.DataFrame:
        """Map unique ``(level, template)`` rows (first-seen order) to pattern ids, founding or
        merging new ones; adds ``pattern_id`` and ``pattern_template`` (its current template)."""
        self._index(merger)
        pairs = list(uniques.select("level", "template").iter_rows())
        for level, template in pairs:
            if (level, template) not in self.templates:
                pid = self._assign(level, template, merger)
                self.templates[(level, template)] = pid
                self.pending_templates.append((level, template, pid))
        ids = [self.templates[pair] for pair in pairs]
        return uniques.with_columns(
            pattern_id=pl.Series(ids, dtype=pl.String),
            pattern_template=pl.Series([self.patterns[i][1] for i in ids], dtype=pl.String),
        )

    def commit(self) -> None:
        self.pending_templates.clear()
        self.pending_patterns.clear()
        self.pending_updates.clear()
        self._undo.clear()

    def rollback(self) -> None:
        for level, template, _ in self.pending_templates:
            self.templates.pop((level, template), None)
        for pid, old in reversed(self._undo):
            if pid in self.patterns:
                level = self.patterns[pid][0]
                self.patterns[pid] = (level, old)
                self._place(pid, level, old)
        for new in self.pending_patterns:
            self.patterns.pop(new.pattern_id, None)
            self._unplace(new.pattern_id)
        self.commit()
