"""Stage 2 of the pattern engine: deciding which pattern a *new* masked template belongs to.

It runs on unique templates only, never on lines, one new template at a time in first-seen
order — so the result does not depend on how the input was cut into batches. The seam: the
:class:`~ailert.patterns.book.PatternBook` indexes its patterns by :meth:`Merger.keys` (per
level), finds the candidates sharing at least :meth:`Merger.min_shared` keys with a new template,
and asks :meth:`Merger.merge` whether the template joins one of them, and what that pattern's
template becomes (its differing positions generalised to ``<*>``). :class:`ExactMerger` (stage 1
only) never merges.

:class:`TokenMerger`, the default, is Drain-like — same token count, at least half the tokens
equal constants — but it only generalises a position when the two values look like *values*:

* a position already ``<*>`` on either side (stage 1 saw a digit there) — unless the word opens
  the message (often its verb or program: ``boot (command <*>)``);
* the same token around a different value: ``isOverlap:false``/``isOverlap:true``,
  ``(<*>)``/``()`` (an empty value is a value), ``default/<*>``/``kube-system/<*>``;
* a value after a key (``hive: SOFTWARE,``, ``action:a.b.SCREEN_ON``; not when a key or an
  event word follows, which makes it part of a phrase: ``Remote IP:``, ``channel changed``),
  in quotes, after a word
  that names something (``user cyrus``, ``for root``, ``container nginx``), next to its
  variable (``process <*> (java)``, ``endpoint redis (<*>)``), in a leading label
  (``alice : TTY=…``), identifier- or path-shaped (``nginx.service``, ``root_domain``,
  ``/login``), or literals (``true``/``false``);
* finally, a slot where eight distinct plain words were already seen in one context
  (:data:`DEFAULT_MIN_DISTINCT_WORDS`): a flood of names is bounded, whatever the words.

Words that read as an *event kind* — past participles and gerunds (``started``/``paused``,
``opened``/``closed``, ``LOOKING``), ``-tion`` nouns, exception names, event handler names
(``onSleep``/``onWake``), and a small closed list of
generic state and verb words (``up``/``down``, ``GET``/``POST``, ``ok``, ``full``) — are never
generalised, whatever their context; all-caps words (acronyms, enum values) only after a key
or an identity word. No rule names a word of a particular product's logs.

Known limit: decisions are made on first sight (ids never move), so plain names with no cue
(``comm java:`` then ``comm chrome:``) found separate patterns until a value with a digit or the
eighth distinct word shows the slot is variable; the earlier patterns keep their ids.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from ailert.patterns.masking import WILDCARD

__all__ = [
    "DEFAULT_MAX_NEW_WILDCARDS",
    "DEFAULT_MIN_DISTINCT_WORDS",
    "DEFAULT_MIN_SIMILARITY",
    "Candidate",
    "ExactMerger",
    "Merger",
    "TokenMerger",
    "is_event_word",
]

#: Share of a template's tokens that must be equal constants for two templates to merge.
DEFAULT_MIN_SIMILARITY = 0.5
#: At most this share of the tokens may be newly generalised by one merge (at least one).
DEFAULT_MAX_NEW_WILDCARDS = 0.34
#: A slot where this many distinct plain words were seen in one context is a variable, even
#: without a cue (``Proxy <name> stopped`` after eight proxy names). Event words never count.
DEFAULT_MIN_DISTINCT_WORDS = 8


@dataclass(frozen=True)
class Candidate:
    """A known pattern a new template may join."""

    pattern_id: str
    template: str


class Merger(Protocol):
    """Stage 2's decision, given the candidates the book found through :meth:`keys`."""

    def keys(self, template: str) -> Sequence[Hashable]:
        """Index keys of a template (of a pattern's current template, or of a new one)."""
        ...

    def min_shared(self, template: str) -> int:
        """A known pattern is a candidate for a new ``template`` only if their templates share
        at least this many keys (at least 1)."""
        ...

    def merge(self, template: str, candidates: Sequence[Candidate]) -> tuple[str, str] | None:
        """``(pattern_id, the pattern's new template)`` of the candidate ``template`` joins,
        or None to found a new pattern. Must depend only on its arguments (not on the order
        of ``candidates``)."""
        ...


class ExactMerger:
    """Stage 1 only: every distinct masked template is its own pattern."""

    def keys(self, template: str) -> Sequence[Hashable]:
        return (template,)

    def min_shared(self, template: str) -> int:
        return 1

    def merge(self, template: str, candidates: Sequence[Candidate]) -> tuple[str, str] | None:
        return None


# ---------------------------------------------------------------------------------------------
# Words


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Generic state, outcome and verb words (English, HTTP, CRUD): event kinds, never values.
_EVENT_WORDS = _words(
    """
    ok okay up down on off open close start stop begin end enable disable active inactive idle
    busy ready online offline alive dead healthy unhealthy full empty high low success fail
    failure error warning warn info debug notice critical fatal pass accept reject allow deny
    new old in out get post put delete head patch options connect disconnect read write create
    update insert select drop login logout logon logoff valid invalid done complete found
    lost missing exists unknown available unavailable reachable unreachable enter exit leave
    join send sent receive recv run paused resume suspend kill killed abort retry skip timeout
    expire expired granted revoked add remove load unload save mount unmount attach detach
    """
)
_BOOLEAN_WORDS = frozenset({"true", "false", "null", "none", "nil", "undefined", "nan"})
_EVENT_SUFFIXES = ("ed", "ing", "tion", "sion")
#: Exception and error type names (``IOException``, ``PageFault``) are event kinds.
_ERROR_TYPE = re.compile(r"[a-z0-9](?:Exception|Error|Failure|Fault|Timeout)$")
#: Event handler names (``onSleep``, ``onResume``, ``onStandStepChanged``) are event kinds.
_HANDLER = re.compile(r"^on[A-Z][a-z]+[A-Za-z]*$")
#: Words after which a word names an identity: any string may follow (``user FILTER``).
_IDENTITY_WORDS = _words("user users username login account owner for from by")
#: Words after which a word names a thing (``container nginx``, ``host alpha``); an all-caps
#: word there is still read as a constant (an acronym, an enum value).
_NAMING_WORDS = _IDENTITY_WORDS | _words(
    """
    group host hostname server node service container pod namespace process program daemon
    job task queue topic table database db schema file directory dir folder volume disk device
    interface domain package module plugin class method function name named key instance
    cluster bucket repository repo branch image tag channel peer client app application session
    customer tenant org organization project team workspace region zone role policy profile
    pipeline stream endpoint backend target unit command
    """
)
_ALNUM = re.compile(r"[A-Za-z0-9]")
_WORD_CORE = re.compile(r"^[^A-Za-z0-9]*(.*?)[^A-Za-z0-9]*$")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][._/\\@$~#-]+[A-Za-z0-9]")
_DOTTED = re.compile(r"[A-Za-z0-9][._/\\@$~#]+[A-Za-z0-9]")
_ALL_CAPS = re.compile(r"^[A-Z][A-Z_]+$")
_KEY = re.compile(r"^[^A-Za-z0-9\"'`]*[A-Za-z_][A-Za-z0-9_.-]*[=:](?=.)")
_QUOTES = "\"'`"


@lru_cache(maxsize=65_536)
def _core(token: str) -> str:
    """The token without leading and trailing punctuation."""
    match = _WORD_CORE.match(token)
    return match.group(1) if match else token


@lru_cache(maxsize=65_536)
def is_event_word(word: str) -> bool:
    """Does ``word`` read as an event kind (``started``, ``LOOKING``, ``GET``, ``up``)?"""
    if "/" in word or "\\" in word:
        return False  # a path
    core = _core(word)
    if _ERROR_TYPE.search(core) or _HANDLER.match(core):
        return True
    lower = core.lower()
    if not lower.isalpha():
        return False
    if lower in _EVENT_WORDS:
        return True
    return len(lower) >= 5 and lower.endswith(_EVENT_SUFFIXES)


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _boundary_prefix(a: str, b: str) -> int:
    """Length of the common prefix of ``a`` and ``b``, cut back to end on a non-alphanumeric."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    while n and _ALNUM.match(a[n - 1]):
        n -= 1
    return n


def _glob_matches(pattern: str, text: str) -> bool:
    return _glob(pattern).fullmatch(text) is not None


@lru_cache(maxsize=16_384)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split(WILDCARD)), re.DOTALL)


@dataclass(frozen=True)
class TokenMerger:
    """Drain-like merging of templates with the same token count, generalising a position only
    when its two values look like values (see the module docstring)."""

    min_similarity: float = DEFAULT_MIN_SIMILARITY
    max_new_wildcards: float = DEFAULT_MAX_NEW_WILDCARDS
    min_distinct_words: int = DEFAULT_MIN_DISTINCT_WORDS

    def keys(self, template: str) -> Sequence[Hashable]:
        """``(token count, position, token)`` of each constant token."""
        tokens = template.split()
        n = len(tokens)
        return [(n, i, tok) for i, tok in enumerate(tokens) if tok != WILDCARD]

    def min_shared(self, template: str) -> int:
        return max(1, math.ceil(len(template.split()) * self.min_similarity))

    def merge(self, template: str, candidates: Sequence[Candidate]) -> tuple[str, str] | None:
        """The best candidate: most equal constants, then fewest new wildcards, then the most
        general, then the smallest id; or, failing any, a flood of siblings (:meth:`_flood`)."""
        tokens = template.split()
        n = len(tokens)
        if not n:
            return None
        need = self.min_shared(template)
        budget = max(1, int(n * self.max_new_wildcards))
        ranked = []
        for cand in candidates:
            known = cand.template.split()
            if len(known) != n:
                continue
            equal = sum(1 for p, t in zip(known, tokens, strict=True) if p == t != WILDCARD)
            if equal >= need:
                ranked.append((-equal, -known.count(WILDCARD), cand.pattern_id, known))
        ranked.sort(key=lambda r: r[:3])
        best: tuple[_Rank, list[str]] | None = None
        siblings: dict[int, list[tuple[_Rank, list[str], str]]] = {}
        for minus_equal, minus_wild, pid, known in ranked:
            if best is not None and minus_equal > best[0][0]:
                break  # fewer equal constants than the match found: it cannot be better
            aligned = _align(known, tokens, budget)
            if aligned is None:
                continue
            rank = (minus_equal, aligned.generalised, minus_wild, pid)
            if aligned.soft is not None:
                siblings.setdefault(aligned.soft, []).append(
                    (rank, aligned.merged, known[aligned.soft])
                )
            elif best is None or rank < best[0]:
                best = (rank, aligned.merged)
                if aligned.generalised == 0:
                    break  # nothing later in the ranking beats it
        if best is None:
            best = self._flood(siblings)
        return None if best is None else (best[0][3], " ".join(best[1]))

    def _flood(
        self, siblings: dict[int, list[tuple[_Rank, list[str], str]]]
    ) -> tuple[_Rank, list[str]] | None:
        """Enough distinct words already seen in one slot of one context make it a variable:
        the new template joins the best of those siblings (the earlier ones keep their ids)."""
        best: tuple[_Rank, list[str]] | None = None
        for _, scored in sorted(siblings.items()):
            if len({word for _, _, word in scored}) + 1 < self.min_distinct_words:
                continue
            for rank, merged, _ in scored:
                if best is None or rank < best[0]:
                    best = (rank, merged)
        return best


#: (-equal constants, new wildcards, -wildcards of the pattern, pattern id): smaller is better.
_Rank = tuple[int, int, int, str]


@dataclass(frozen=True)
class _Aligned:
    equal: int  # equal constant tokens
    generalised: int  # positions newly generalised
    merged: list[str]  # the merged tokens
    soft: int | None  # the one position held by two plain words without a cue, if any


def _align(known: list[str], tokens: list[str], budget: int) -> _Aligned | None:
    """A known pattern's tokens against a new template's, or None if they cannot merge. One
    position with two plain words and no cue is a soft block (see :meth:`TokenMerger._flood`)."""
    equal = 0
    generalised = 0
    soft: int | None = None
    merged: list[str] = []
    last = len(known) - 1
    for i, (p, t) in enumerate(zip(known, tokens, strict=True)):
        if p == t:
            merged.append(p)
            if p != WILDCARD:
                equal += 1
            continue
        where = _Where(
            previous=known[i - 1] if i else None,
            following=known[i + 1] if i < last else None,
            label=i == 0 and i < last and known[1] == ":",  # ``alice : …``
            tagged=i == 0 and p.endswith(":") and t.endswith(":"),  # ``ssh.service: …``
        )
        slot = _slot(p, t, where)
        if slot is None:
            if soft is not None or not (_plain_word(p) or p == WILDCARD) or not _plain_word(t):
                return None
            soft, slot = i, WILDCARD
        if slot != p:
            generalised += 1
            if generalised > budget:
                return None
        merged.append(slot)
    return _Aligned(equal, generalised, merged, soft)


def _plain_word(token: str) -> bool:
    """A word (letters, maybe with punctuation around) that is no event word or acronym."""
    core = _core(token)
    return core.isalpha() and not _ALL_CAPS.match(core) and not is_event_word(token)


@dataclass(frozen=True)
class _Where:
    """Where a differing position sits: its neighbours in the known pattern, and whether it
    opens the message as a label (``alice : …``) or a tag (``ssh.service: …``)."""

    previous: str | None
    following: str | None
    label: bool = False
    tagged: bool = False

    @property
    def first(self) -> bool:
        """The message's first token, neither label nor tag: often its verb or program."""
        return self.previous is None and not (self.label or self.tagged)


def _slot(p: str, t: str, where: _Where) -> str | None:
    """One position of a known pattern (``p``) and a new template (``t``), different: the
    generalised token if they can be one slot, else None."""
    if p == WILDCARD:
        return p if _joins_variable(t, where) else None
    if t == WILDCARD:
        return t if _joins_variable(p, where) else None
    if WILDCARD in p and _glob_matches(p, t):
        return p
    if WILDCARD in t and _glob_matches(t, p):
        # ``<*>:`` against ``chrome[<*>]:`` is one compound value; ``<*>`` against ``boot`` is
        # a first word against a variable.
        compound = WILDCARD in p or not where.first
        return t if compound and _joins_variable(p, where, compound=True) else None
    key_p, key_t = _KEY.match(p), _KEY.match(t)
    if key_p and key_t and key_p.group(0) != key_t.group(0):
        return None  # two different keys: ``num=<*>`` against ``topActivity=<*>``
    start = _boundary_prefix(p, t)
    end = _boundary_prefix(p[start:][::-1], t[start:][::-1])
    prefix, suffix = p[:start], p[len(p) - end :] if end else ""
    mp, mt = p[start : len(p) - end], t[start : len(t) - end]
    general = f"{prefix}{WILDCARD}{suffix}"
    if suffix[:1] in ("=", ":") and len(suffix) > 1 and mp and mt:
        return None  # two different keys: ``num=<*>,a=<*>`` against ``flags=<*>,a=<*>``
    if WILDCARD in p or WILDCARD in t:
        if not (prefix or suffix):  # nothing in common: a variable against a constant
            return general if _joins_variable(t if WILDCARD in p else p, where) else None
        # Part of a token that holds a variable: ``default/<*>`` against ``kube-system/<*>``,
        # ``node-<*>`` against ``host-<*>`` — one compound value.
        if is_event_word(mp) and is_event_word(mt):
            return None
        caps = bool(_ALL_CAPS.match(mp) or _ALL_CAPS.match(mt))
        return None if caps and not _keyed(prefix, where.previous) else general
    return general if _is_value_pair(p, t, mp, mt, prefix, where) else None


def _joins_variable(word: str, where: _Where, *, compound: bool = False) -> bool:
    """May a constant ``word`` share a slot that holds variable values (``<*>``)? Yes, unless
    it reads as an event kind or an enum constant, or it opens the message without a value's
    shape."""
    if is_event_word(word):
        return False
    core = _core(word)
    if _ALL_CAPS.match(core) and not (
        _keyed("", where.previous) or _names(where.previous, _IDENTITY_WORDS)
    ):
        return False
    # a token holding a variable (``wpad:<*>``, ``node-<*>``) is a compound value anywhere
    compound = compound or WILDCARD in word
    return compound or not where.first or _value_shaped(word, word)


def _is_value_pair(p: str, t: str, a: str, b: str, prefix: str, where: _Where) -> bool:
    """Are tokens ``p`` and ``t`` — differing in ``a`` and ``b``, after a common ``prefix`` —
    two values of one variable?"""
    paths = "/" in p and "/" in t  # ``/login`` against ``/healthz``: path segments, not verbs
    if not paths and (is_event_word(a) or is_event_word(b)):
        return False
    if not a or not b or _has_digit(a) or _has_digit(b) or paths:
        return True  # an empty value is a value
    last = prefix[-1:]
    if _keyed(prefix, where.previous) and not _phrase(where.following):
        return True
    if last != "" and last in _QUOTES:
        return True
    if a.lower() in _BOOLEAN_WORDS and b.lower() in _BOOLEAN_WORDS:
        return True
    if _names(where.previous, _IDENTITY_WORDS) or _annotated(prefix, where):
        return True
    if _ALL_CAPS.match(a) or _ALL_CAPS.match(b):
        return False  # an enum constant (a state, a method) or an acronym
    if where.label or _names(where.previous, _NAMING_WORDS):
        return True
    if where.first:  # often the program or the verb: only two names, not a name and a word
        return _value_shaped(p, a) and _value_shaped(t, b)
    return _value_shaped(p, a) or _value_shaped(t, b)


@lru_cache(maxsize=65_536)
def _value_shaped(token: str, part: str) -> bool:
    """Does a token, differing from another in ``part``, look like a value: a digit, a path,
    an identifier (``nginx.service``, ``root_domain``; ``svc-backup`` only when the hyphen is
    in the differing part: ``Inode-cache`` against ``Dquot-cache`` are two words)?"""
    if _has_digit(part) or "/" in token or "\\" in token:
        return True
    return bool(_IDENTIFIER.search(part) or _DOTTED.search(token))


def _annotated(prefix: str, where: _Where) -> bool:
    """A name next to its variable: ``process <*> (java)``, ``endpoint redis (<*>)``."""
    if prefix[-1:] in ("(", "[") and where.previous is not None and WILDCARD in where.previous:
        return True
    following = where.following
    return following is not None and following[:1] in ("(", "[") and WILDCARD in following


def _keyed(prefix: str, previous: str | None) -> bool:
    """Is the value after a key: ``key=…``/``key:…`` opening the token (``action:a.b.X``), or
    a token ``key:`` before it (``hive: SOFTWARE,``)?"""
    key = _KEY.match(prefix + "?")
    if key is not None and len(key.group(0)) <= len(prefix):
        return True
    return previous is not None and previous[-1:] in ("=", ":")


def _phrase(following: str | None) -> bool:
    """Does the next token make the word part of a phrase rather than a value after a key: a
    key itself (``Remote IP: …``, ``Local IP: …``) or an event word (``en0: channel changed``,
    ``en0: BSSID changed``)?"""
    if following is None:
        return False
    return (following[-1:] in (":", "=") and len(following) > 1) or is_event_word(following)


def _names(previous: str | None, words: frozenset[str]) -> bool:
    """Is ``previous`` one of ``words`` (after which a word names something)?"""
    return previous is not None and _core(previous).lower() in words
