"""Log levels: the canonical names, normalising raw level values, and detecting a level in text.

Owns ``LEVELS`` (the seven canonical levels of a record), the built-in raw → canonical map,
``normalize_level`` (a level *field* value such as ``WARNING``, ``err`` or Pino's ``40``) and
``detect_level`` (a level written somewhere in free text). Everything is a Polars expression,
evaluated column-wise; the regexes stay in the subset shared by Rust ``regex`` and RE2 (explicit
ASCII classes, no ``\\d \\w \\b``, no look-around), so they can be compiled to SQL later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from ailert.errors import MappingError

__all__ = [
    "BUILTIN_LEVEL_MAP",
    "LEVELS",
    "UPPER_LEVEL_WORDS",
    "detect_level",
    "escape_regex",
    "level_lookup",
    "normalize_level",
]

LEVELS: tuple[str, ...] = ("fatal", "error", "warn", "info", "debug", "trace", "unknown")

_WORDS: dict[str, tuple[str, ...]] = {
    "fatal": ("fatal", "critical", "crit", "emerg", "emergency", "alert", "panic"),
    "error": ("error", "err", "severe"),
    "warn": ("warn", "warning"),
    "info": ("info", "information", "informational", "notice"),
    "debug": ("debug", "dbg", "fine"),
    "trace": ("trace", "verbose", "finer", "finest"),
}
#: Pino / Bunyan numeric levels.
_NUMERIC: dict[str, str] = {
    "10": "trace",
    "20": "debug",
    "30": "info",
    "40": "warn",
    "50": "error",
    "60": "fatal",
}
#: Lower-case raw level name (or Pino number) → canonical level.
BUILTIN_LEVEL_MAP: dict[str, str] = {
    **{word: level for level, words in _WORDS.items() for word in words},
    **_NUMERIC,
    **{level: level for level in LEVELS},
}
#: Words that count as a level in prose only when written in upper case as a whole word.
UPPER_LEVEL_WORDS: tuple[str, ...] = (
    "FATAL",
    "CRITICAL",
    "ERROR",
    "ERR",
    "SEVERE",
    "WARNING",
    "WARN",
    "NOTICE",
    "INFO",
    "DEBUG",
    "TRACE",
)
#: Keys that introduce a level value in text: ``level=warn``, ``"severity": "error"``.
_LEVEL_KEYS: tuple[str, ...] = ("level", "lvl", "severity", "loglevel", "log_level")

# Not a word character (ASCII), used as a boundary in place of ``\b``.
_NW = "[^A-Za-z0-9_]"
_ERROR_HINTS = r"Traceback \(most recent call last\)|Exception|panic:|^\tat "
_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~ ")


def escape_regex(text: str) -> str:
    """Escape ``text`` for a literal match in Rust ``regex`` and RE2 alike."""
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in text)


def level_lookup(extra_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """The lower-case raw → canonical map: built-ins overlaid with ``extra_map``.

    Raises MappingError when ``extra_map`` maps to something that is not a canonical level.
    """
    lookup = dict(BUILTIN_LEVEL_MAP)
    for raw, level in (extra_map or {}).items():
        canonical = level.strip().lower()
        if canonical not in LEVELS:
            raise MappingError(
                f"level_map: {raw!r} maps to {level!r}, which is not a level "
                f"(expected one of {', '.join(LEVELS)})"
            )
        lookup[raw.strip().lower()] = canonical
    return lookup


def normalize_level(expr: pl.Expr, extra_map: Mapping[str, str] | None = None) -> pl.Expr:
    """Map a raw level value (any case, surrounding blanks ignored) to a canonical level.

    Built-ins plus ``extra_map`` (case-insensitive); anything else, and null, is ``unknown``.
    """
    lookup = level_lookup(extra_map)
    return _lookup(expr.cast(pl.String).str.strip_chars(), lookup)


def _lookup(expr: pl.Expr, lookup: Mapping[str, str]) -> pl.Expr:
    lowered = expr.str.to_lowercase()
    canonical = lowered.replace_strict(
        list(lookup), list(lookup.values()), default="unknown", return_dtype=pl.String
    )
    return canonical.fill_null("unknown")


def _alternation(words: Iterable[str]) -> str:
    # Longest first so that e.g. WARNING is not cut to WARN by an earlier alternative.
    return "|".join(escape_regex(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _detect_pattern(extra_words: Iterable[str]) -> str:
    """One regex whose leftmost match is the first level mention; three alternative groups."""
    named = [w for w in BUILTIN_LEVEL_MAP if w.isalpha() and w != "unknown"]
    any_case = _alternation([*named, *extra_words])
    upper = _alternation(UPPER_LEVEL_WORDS)
    keys = _alternation(_LEVEL_KEYS)
    return (
        f"(?:^|{_NW})(?:"
        f"({upper})"  # 1: ERROR as an upper-case whole word
        f"|[\\[<] *((?i:{any_case})) *[\\]>]"  # 2: [error] <warn> [ Info ]
        f'|(?i:{keys})"? *[=:] *"?((?i:{any_case}))'  # 3: level=warn "level":"warn"
        f")(?:{_NW}|$)"
    )


def detect_level(expr: pl.Expr, extra_map: Mapping[str, str] | None = None) -> pl.Expr:
    """Detect the level mentioned in free text; ``unknown`` when there is none.

    The first mention wins: an upper-case whole word (``ERROR``, ``WARN``, ``WARNING``, ``INFO``,
    ``DEBUG``, ``TRACE``, ``FATAL``, ``CRITICAL``, ``NOTICE``, ``SEVERE``, ``ERR``), or any level
    name in any case inside brackets (``[error]``, ``<warn>``) or after a level key
    (``level=warn``, ``"severity": "ERROR"``). Lower-case prose ("0 errors found") is not a level.
    Failing that, a stack trace or panic (``Traceback (most recent call last)``, ``Exception``,
    ``panic:``, a line starting with a tab and ``at``) is ``error``.
    ``extra_map`` keys (from ``level_map``) are recognised in the bracket and key forms too.
    """
    extra_words = [k.strip() for k in (extra_map or {}) if k.strip()]
    lookup = level_lookup(extra_map)
    text, mention, raw = pl.field("text"), pl.field("mention"), pl.field("raw")
    hinted = pl.when(raw.is_null()).then(text).str.contains(_ERROR_HINTS)
    # The struct context evaluates the regex once although three groups are read.
    return (
        pl.struct(expr.cast(pl.String).alias("text"))
        .struct.with_fields(text.str.extract_groups(_detect_pattern(extra_words)).alias("mention"))
        .struct.with_fields(
            pl.coalesce(
                mention.struct.field("1"), mention.struct.field("2"), mention.struct.field("3")
            ).alias("raw")
        )
        .struct.with_fields(
            pl.when(raw.is_not_null())
            .then(_lookup(raw, lookup))
            .when(hinted)
            .then(pl.lit("error"))
            .otherwise(pl.lit("unknown"))
            .alias("level")
        )
        .struct.field("level")
    )
