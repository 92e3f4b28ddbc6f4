"""Pattern ids: 16 hex characters, stable forever (Alertmanager silences match on them).

``pattern_id = md5(level || chr(31) || founding_template)[:16]`` — computed the same way in
Python (here) and in SQL (``substr(md5(level || chr(31) || template), 1, 16)``), so a database
engine running stage 1 produces the same ids. Only unique templates are hashed, never lines.
"""

from __future__ import annotations

import hashlib

__all__ = ["OVERFLOW_TEMPLATE", "pattern_id"]

OVERFLOW_TEMPLATE = "<overflow: too many patterns in this source>"


def pattern_id(level: str, template: str) -> str:
    """The id of a pattern founded by ``template`` at ``level``."""
    return hashlib.md5(f"{level}\x1f{template}".encode(), usedforsecurity=False).hexdigest()[:16]
