"""Command line of datagen: write synthetic log lines (and their ground truth) to files.

    python -m datagen --seed 1 --lines 1000 --form json --start 2026-11-26T00:00:00Z \\
        --out FILE [--truth FILE] [--rate 10] [--noise 0.0] [--services api,auth]
    python -m datagen --demo DIR [--now 2026-11-26T13:00:00Z] [--seed 7] [--incident]

``--lines`` counts events; a plain-form stack trace is several physical lines, and ``--truth``
gets one template id per *physical* line (``noise`` for junk). ``--out -`` writes to stdout.
``--demo`` writes the ``ailert demo`` sample set (phase one; with ``--incident`` phase two too).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from datagen.demo import write_demo_logs
from datagen.generate import FORMS, Form, generate, physical_truth, render, write_lines


def _utc_datetime(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO timestamp: {text!r}") from exc
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m datagen",
        description="Seeded synthetic logs with ground-truth template ids.",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default 1; demo: 7)")
    p.add_argument("--lines", type=int, default=1000, help="number of events (default 1000)")
    p.add_argument("--form", choices=FORMS, default="plain", help="line form (default plain)")
    p.add_argument(
        "--start",
        type=_utc_datetime,
        default=datetime(2026, 11, 26, tzinfo=UTC),
        help="first timestamp, ISO 8601 (naive means UTC; default 2026-11-26T00:00:00Z)",
    )
    p.add_argument("--rate", type=float, default=10.0, help="events per second (default 10)")
    p.add_argument("--noise", type=float, default=0.0, help="fraction of junk lines (default 0)")
    p.add_argument("--services", default=None, help="comma-separated services to keep")
    p.add_argument("--out", default="-", help="output file, '-' for stdout (default)")
    p.add_argument("--truth", default=None, help="also write one template id per line here")
    p.add_argument("--demo", type=Path, default=None, help="write the demo log set to this dir")
    p.add_argument("--now", type=_utc_datetime, default=None, help="demo end time (default now)")
    p.add_argument("--incident", action="store_true", help="demo: also append the incident")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.demo is not None:
        now: datetime = args.now or datetime.now(UTC)
        logs = write_demo_logs(args.demo, now, 7 if args.seed is None else args.seed)
        lines = sum(logs.lines.values())
        if args.incident:
            lines += sum(logs.append_incident().lines.values())
        print(f"wrote {lines} lines to {', '.join(str(f) for f in logs.files)}")
        return 0
    services = [s for s in args.services.split(",") if s] if args.services else None
    form: Form = args.form
    events = generate(
        1 if args.seed is None else args.seed,
        args.lines,
        args.start,
        rate_per_s=args.rate,
        noise=args.noise,
        services=services,
    )
    lines_out = render(events, form)
    if args.out == "-":
        sys.stdout.writelines(f"{line}\n" for line in lines_out)
    else:
        write_lines(args.out, lines_out)
    if args.truth:
        write_lines(args.truth, physical_truth(events, form))
    return 0


if __name__ == "__main__":
    sys.exit(main())
