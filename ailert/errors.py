"""The exception tree. Every error a user can meet says what went wrong and how to fix it.

AIlertError                 base; the CLI prints ``Error: <message>`` and exits 1
├── ConfigError             a config file is missing, not YAML, or fails validation
├── StoreError              the DuckDB store cannot be used
│   └── StoreLockedError    another process holds the store's write lock
├── SourceError             a source cannot be read (missing file, permission, …)
└── MappingError            a mapping is unusable (bad regex, unknown format)
"""

from __future__ import annotations

__all__ = [
    "AIlertError",
    "ConfigError",
    "MappingError",
    "SourceError",
    "StoreError",
    "StoreLockedError",
]


class AIlertError(Exception):
    """Base of every error AIlert raises on purpose."""


class ConfigError(AIlertError):
    """The config file is missing, malformed, or names an unknown key or bad value."""


class StoreError(AIlertError):
    """The DuckDB store cannot be opened or migrated."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB write lock; nothing was written, retry later."""


class SourceError(AIlertError):
    """A source failed; its cursor did not move, so the next tick retries the same window."""


class MappingError(AIlertError):
    """A mapping cannot be built (for example a regex that does not compile)."""
