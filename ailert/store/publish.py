"""Publishing a read-only copy of the store after each tick.

DuckDB lets one process write a file. Analysts and dashboards open the published copy
(``<store>.read.duckdb`` by default) and never hold the lock a tick needs; the copy is
replaced atomically (write beside it, then rename), so a reader keeps the copy it opened.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["publish_read_copy"]


def publish_read_copy(store: Path, target: Path) -> Path:
    """Copy the (closed, checkpointed) store to ``target`` atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(store, temp)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
