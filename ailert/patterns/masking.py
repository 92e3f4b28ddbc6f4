"""Stage 1 of the pattern engine: ordered mask rules as vectorized Polars expressions.

Every message becomes a *template*: variables are replaced by ``<*>``. User rules from the config
run first, in order; then four built-in ``str.replace_all`` passes (:data:`PASSES`) and the token
cap. Each pass is one regex, its rules combined by alternation (the leftmost match wins; where two
rules start at the same place, the earlier one):

1. value shapes, each masked whole (no capture groups: the fast path):
   timestamps — ISO 8601, ``Sun Jul  3 10:05:25 2005`` (weekday, month, day, time, zone, year),
   ``Jul  3 10:05:25`` (syslog), ``03/Jul/2005:10:05:25 +0000`` (access logs); UUIDs, URLs,
   e-mail addresses, MACs, IPv6 and IPv4 (with a port), ``0x`` hex; paths (two or more
   segments, Windows and UNC too); finally any token holding a digit (``node-12``, ``blk_-16``,
   ``ee0``, ``pkg_1.2~amd64``);
2. values found by their context, the context kept: ``key=value`` (``uid=0`` → ``uid=<*>``; a
   quoted value of at most two words), JSON ``"key": value``, a quoted value after ``": "``, a
   quoted string without white space holding a non-letter, a number with its unit written apart
   (``12 ms``, ``5.2 KB``, ``1190 bytes (1.16 KB)``), host names ending in a well-known
   top-level domain (``zummit.com``, ``a.b.edu.pl``);
3. runs of ``<*>`` joined by punctuation (``<*>.<*>:<*>``) and lists of three or more
   (``blk_1 blk_2 blk_3``) become one ``<*>``;
4. white space becomes single spaces; then the template keeps its first ``max_tokens`` tokens.

Plain words are never masked here: whether ``root``/``admin`` or ``started``/``paused`` is a
variable is decided in stage 2 (:mod:`ailert.patterns.merge`), which sees the context.

All rules stay in the regex subset that Rust ``regex`` (Polars), RE2 and ClickHouse agree on —
explicit ASCII classes, no look-around, no back-references, no empty matches — so the same rules
can later run inside a database (a test runs :data:`PASSES` in DuckDB; the replacement
``${1}<*>`` is ``\\1<*>`` there); :func:`check_rule` enforces that on user rules when the config
is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ailert.config import MaskRule, PatternSettings
from ailert.errors import ConfigError

__all__ = [
    "BUILTIN_RULES",
    "COLLAPSE_REGEX",
    "PASSES",
    "WILDCARD",
    "BuiltinRule",
    "Masker",
    "check_rule",
]

WILDCARD = "<*>"

_HEX = "[0-9A-Fa-f]"
_WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6}"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}"
_CLOCK = "[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:[.,][0-9]+)?"
#: A character that may end a value-like token: anything but a letter, digit or ``_ . -``
#: (or the end of the text). Kept in the replacement through group 2 (no look-ahead here).
_END = "([^A-Za-z0-9_.-]|$)"
_UNITS = (
    "[KMGTPE]i?B|[KMGTPE]b|B|bytes?|ms|us|ns|s|sec|secs|seconds?|mins?|minutes?|h|hrs?|hours?|days?"
)
_GTLD = "com|net|org|edu|gov|mil|int|info|biz|io|local|internal|lan|arpa"
#: A ``key=`` (kept), and the value that follows: bracketed or quoted parts, or plain characters.
_KEY = "[A-Za-z_][A-Za-z0-9_.-]*="
_VALUE = (
    "(?:[^ \t,;\"'(){}\\[\\]<>=]+|\\([^ \t()]*\\)|\\{[^ \t{}]*\\}|\\[[^ \t\\[\\]]*\\]"
    '|"[^" \t]*(?: [^" \t]+)?"|\'[^\' \t]*\')+'
)
_JSON_KEY = '"[A-Za-z0-9_.@$-]{1,64}":[ \t]*'
_JSON_VALUE = '"(?:[^"\\\\]|\\\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null'


@dataclass(frozen=True)
class BuiltinRule:
    """One built-in rule. Its first ``keep_before`` groups are kept before the ``<*>``, its last
    ``keep_after`` groups after it (a key, a boundary character); all other text is masked."""

    name: str
    regex: str
    keep_before: int = 0
    keep_after: int = 0


#: Pass 1: value shapes, each replaced whole by ``<*>`` (no groups: the fast path of the engine).
VALUE_RULES: tuple[BuiltinRule, ...] = (
    BuiltinRule(
        "timestamp",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
        "(?:Z|[ ]?[+-][0-9]{2}:?[0-9]{2})?)?",
    ),
    BuiltinRule(
        "timestamp_weekday",
        f"{_WEEKDAY},?[ \t]+{_MONTH}[ \t]+[0-9]{{1,2}}(?:[ \t]+{_CLOCK})?"
        "(?:(?:[ \t]+[A-Z]{2,5})?[ \t]+[0-9]{4})?",
    ),
    BuiltinRule(
        "timestamp_month", f"{_MONTH}[ \t]+[0-9]{{1,2}},?(?:[ \t]+[0-9]{{4}})?[ \t]+{_CLOCK}"
    ),
    BuiltinRule(
        "timestamp_day",
        f"[0-9]{{1,2}}[/ -]{_MONTH}[/ -][0-9]{{4}}(?:[: ][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}})?"
        "(?:[ ][+-][0-9]{4})?",
    ),
    BuiltinRule("uuid", f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"),
    BuiltinRule("url", "[A-Za-z][A-Za-z0-9+.-]*://[^ \t\"'<>]+"),
    BuiltinRule("email", "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}"),
    BuiltinRule("mac", f"{_HEX}{{2}}(?::{_HEX}{{2}}){{5}}"),
    BuiltinRule(
        "ipv6",
        f"(?:{_HEX}{{1,4}}:){{2,7}}(?::|{_HEX}{{1,4}})|(?:{_HEX}{{1,4}}:){{1,6}}:{_HEX}{{1,4}}",
    ),
    BuiltinRule("ipv4", "[0-9]{1,3}(?:[.][0-9]{1,3}){3}(?::[0-9]{1,5})?"),
    BuiltinRule("hex", f"0[xX]{_HEX}+"),
    BuiltinRule(
        "path",
        "(?:/+[A-Za-z0-9._@%+~$-]+){2,}/?"
        "|(?:[A-Za-z]:|[\\\\][\\\\][?.]?)?(?:[\\\\]+[^\\\\ \t\"'<>:,;]+){2,}",
    ),
    BuiltinRule("digit_token", "[A-Za-z0-9_.+~-]*[0-9][A-Za-z0-9_.+~-]*"),
)
#: Pass 2: values found by their context; the groups (a key, a boundary) are kept.
CONTEXT_RULES: tuple[BuiltinRule, ...] = (
    BuiltinRule("key_value", f"({_KEY}){_VALUE}", keep_before=1),
    BuiltinRule("json_value", f"([{{,][ \t]*{_JSON_KEY})(?:{_JSON_VALUE})", keep_before=1),
    BuiltinRule("quoted_after_colon", "(:[ \t]+)(?:\"[^\"]*\"|'[^']*')", keep_before=1),
    # A quoted string without white space holding a character other than a letter or JSON
    # punctuation (so not ``":"``), or an empty one.
    BuiltinRule(
        "quoted",
        '"[^" \t]*[^A-Za-z" \t:,{}\\[\\]][^" \t]*"|""'
        "|'[^' \t]*[^A-Za-z' \t:,{}\\[\\]][^' \t]*'|''",
    ),
    BuiltinRule(
        "unit_or_host",
        f"(?:<[*]>[ \t]+(?:{_UNITS})(?:[ \t]+[(]<[*]>(?:[ \t]*(?:{_UNITS}))?[)])?"
        f"|(?:[A-Za-z0-9-]+[.])+(?:{_GTLD})"
        f"|(?:[A-Za-z0-9-]+[.]){{2,}}[a-z]{{2}}){_END}",
        keep_after=1,
    ),
)
BUILTIN_RULES: tuple[BuiltinRule, ...] = VALUE_RULES + CONTEXT_RULES


def _combine(rules: tuple[BuiltinRule, ...]) -> tuple[str, str]:
    """One alternation of all rules, and the replacement keeping each rule's kept groups."""
    before: list[int] = []
    after: list[int] = []
    group = 0
    for rule in rules:
        n = re.compile(rule.regex).groups
        if n != rule.keep_before + rule.keep_after:
            raise AssertionError(f"rule {rule.name}: {n} groups")
        before += range(group + 1, group + 1 + rule.keep_before)
        after += range(group + 1 + rule.keep_before, group + 1 + n)
        group += n
    regex = "|".join(f"(?:{r.regex})" for r in rules)
    replace = "".join(f"${{{g}}}" for g in before) + WILDCARD + "".join(f"${{{g}}}" for g in after)
    return regex, replace


#: Runs of ``<*>`` joined by punctuation (``<*>:<*>``, ``<*>.<*>``) → one ``<*>``; so are lists of
#: three or more (``<*> <*> <*>``: host names, block ids). Two variables side by side stay two:
#: ``customer acme <*>`` and ``customer <*> <*>`` must keep the same number of tokens.
_JOINED = r"<\*>(?:[:.,/_-]*<\*>)*"
COLLAPSE_REGEX = rf"{_JOINED}(?:[ \t]+{_JOINED}){{2,}}|<\*>(?:[:.,/_-]*<\*>)+"
#: Runs of white space (other than one space) → one space.
SPACE_REGEX = "[ ][ \t\r\n]+|[\t\r\n][ \t\r\n]*"
#: The built-in passes after the user rules, in order: ``(regex, replacement)`` for
#: ``str.replace_all`` (Polars ``${1}`` groups; ``\1`` in RE2/ClickHouse/DuckDB).
PASSES: tuple[tuple[str, str], ...] = (
    _combine(VALUE_RULES),
    _combine(CONTEXT_RULES),
    (COLLAPSE_REGEX, WILDCARD),
    (SPACE_REGEX, " "),
)
_FORBIDDEN = (
    (
        re.compile(r"\\[dDwWsSbB]"),
        r"Unicode-aware class (\d, \w, \s, \b): use [0-9], [A-Za-z0-9_], [ \t]",
    ),
    (re.compile(r"\(\?<?[=!]"), "look-around"),
    (re.compile(r"\\[1-9]"), "back-reference"),
)


def check_rule(rule: MaskRule) -> None:
    """Raise ConfigError unless the rule compiles in Rust regex, stays in the portable subset,
    and cannot match the empty string."""
    where = f"patterns.masks: rule {rule.name!r}"
    for forbidden, what in _FORBIDDEN:
        if forbidden.search(rule.regex):
            raise ConfigError(f"{where}: {what} is not allowed (portable regex subset)")
    probe = pl.Series([""], dtype=pl.String)
    try:
        matches_empty = bool(probe.str.contains(rule.regex).item())
    except pl.exceptions.ComputeError as exc:
        raise ConfigError(f"{where}: regex {rule.regex!r} does not compile: {exc}") from None
    if matches_empty:
        raise ConfigError(f"{where}: regex {rule.regex!r} matches the empty string")


@dataclass(frozen=True)
class Masker:
    """Compiled stage-1 rules: ``Masker.from_settings(s).template(pl.col("message"))``."""

    user_rules: tuple[MaskRule, ...]
    max_line_length: int
    max_tokens: int = 256

    @classmethod
    def from_settings(cls, settings: PatternSettings) -> Masker:
        for rule in settings.masks:
            check_rule(rule)
        return cls(tuple(settings.masks), settings.max_line_length, settings.max_tokens)

    def template(self, message: pl.Expr) -> pl.Expr:
        """The masked template of each message: of its first ``max_line_length`` characters,
        white space normalised, and cut to its first ``max_tokens`` tokens."""
        expr = message.str.slice(0, self.max_line_length)
        for rule in self.user_rules:
            expr = expr.str.replace_all(rule.regex, rule.replace.replace("$", "$$"))
        for regex, replace in PASSES:
            expr = expr.str.replace_all(regex, replace)
        expr = expr.str.strip_chars(" ")
        # Keep the first max_tokens tokens (a line of fewer tokens does not match).
        return expr.str.replace(self.token_cap_regex, "${1}")

    @property
    def token_cap_regex(self) -> str:
        """Matches a template of more than ``max_tokens`` tokens; group 1 is the first ones."""
        return f"^((?:[^ ]+ ){{{self.max_tokens - 1}}}[^ ]+) .*$"
