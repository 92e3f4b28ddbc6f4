"""``make bench``: run every benchmark module in ``bench/``, forwarding extra CLI arguments.

python bench/run.py [ARGS...]   # e.g. --skip-rss
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# each is bench/<name>.py, run with its default arguments
BENCHMARKS = ["patterns", "diff", "sources"]


def main(argv: list[str]) -> int:
    status = 0
    for name in BENCHMARKS:
        script = HERE / f"{name}.py"
        if script.exists():
            print(f"== bench/{name}.py", file=sys.stderr, flush=True)
            status |= subprocess.run([sys.executable, str(script), *argv]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
