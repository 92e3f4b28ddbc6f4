"""Stage 1 of the pattern engine: ordered mask rules as vectorized Polars expressions.

Every message becomes a *template*: variables (timestamps, UUIDs, URLs, e-mails, IPs, MACs,
hex, paths, and finally any token holding a digit) are replaced by ``<*>``. User rules from the
config run first, in order. All rules stay in the regex subset that Rust ``regex`` (Polars),
RE2 and ClickHouse agree on — explicit ASCII classes, no look-around, no back-references, no
empty matches — so the same rules can later run inside a database; :func:`check_rule` enforces
that when the config is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from ailert.config import MaskRule, PatternSettings
from ailert.errors import ConfigError

__all__ = ["BUILTIN_RULES", "WILDCARD", "Masker", "check_rule"]

WILDCARD = "<*>"

_HEX = "[0-9A-Fa-f]"
_BUILTIN: tuple[tuple[str, str], ...] = (
    (
        "timestamp",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
        "(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    ),
    ("uuid", f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"),
    ("url", "[A-Za-z][A-Za-z0-9+.-]*://[^ \t\"'<>]+"),
    ("email", "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}"),
    ("mac", f"{_HEX}{{2}}(?::{_HEX}{{2}}){{5}}"),
    (
        "ipv6",
        f"(?:{_HEX}{{1,4}}:){{2,7}}(?::|{_HEX}{{1,4}})|(?:{_HEX}{{1,4}}:){{1,6}}:{_HEX}{{1,4}}",
    ),
    ("ipv4", "[0-9]{1,3}(?:[.][0-9]{1,3}){3}(?::[0-9]{1,5})?"),
    ("hex", f"0[xX]{_HEX}+"),
    ("path", "(?:/[A-Za-z0-9._@%+~-]+){2,}/?"),
    ("digit_token", "[A-Za-z0-9_.+-]*[0-9][A-Za-z0-9_.+-]*"),
)
BUILTIN_RULES: tuple[MaskRule, ...] = tuple(MaskRule(name=n, regex=r) for n, r in _BUILTIN)

_COLLAPSE = r"<\*>(?:[:.,/_-]*<\*>)+"
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

    @classmethod
    def from_settings(cls, settings: PatternSettings) -> Masker:
        for rule in settings.masks:
            check_rule(rule)
        return cls(tuple(settings.masks), settings.max_line_length)

    def template(self, message: pl.Expr) -> pl.Expr:
        """The masked template of each message (capped at ``max_line_length`` characters)."""
        expr = message.str.slice(0, self.max_line_length)
        for rule in self.user_rules:
            expr = expr.str.replace_all(rule.regex, rule.replace.replace("$", "$$"))
        builtin = "|".join(f"(?:{r.regex})" for r in BUILTIN_RULES)
        expr = expr.str.replace_all(builtin, WILDCARD, literal=False)
        expr = expr.str.replace_all(_COLLAPSE, WILDCARD)
        return expr.str.replace_all("[ \t]+", " ").str.strip_chars(" \t\r")
