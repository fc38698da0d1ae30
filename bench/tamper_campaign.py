"""Issue 15's tamper campaign at 50 candidates: a finished sitting copied once per edit of the catalogue
(tests/audit/tamper_edits.py), each copy changed as its owner would (guard triggers dropped first) and
checked with every verifier an auditor runs. Prints detected/total per category, false alarms over the
untouched copies, tracebacks, the edits that went unseen and, last, the share of material edits
detected (goal: 1.00, with 0 false alarms and 0 tracebacks).

    .venv/bin/python -m bench.tamper_campaign [--candidates 50] [--untouched 5] [--workers 2]
                                              [--database-url postgresql+psycopg://…/postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import make_url

from tests.audit.tamper import build_sitting
from tests.audit.tamper_edits import catalogue, during_exam
from tests.audit.tamper_run import fresh_engine, run_campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--untouched", type=int, default=5, help="copies left untouched (false-alarm check)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it); default SQLite")
    args = parser.parse_args()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tamper-")))
        if args.database_url and make_url(args.database_url).host not in (None, "127.0.0.1", "localhost"):
            raise SystemExit("benchmarks only target 127.0.0.1")
        engine = stack.enter_context(fresh_engine(args.database_url, workdir))
        started = time.monotonic()
        finished = build_sitting(engine, workdir, args.candidates)
        edits = catalogue(finished.facts()) + during_exam()
        print(f"sitting of {args.candidates} candidates built on {engine.dialect.name} in "
              f"{time.monotonic() - started:.0f} s; {len(edits)} edits "
              f"({sum(e.material for e in edits)} material), {args.untouched} untouched copies")
        started = time.monotonic()
        campaign = run_campaign(finished, workdir, edits, untouched=args.untouched, workers=args.workers,
                                database_url=args.database_url)
        print(f"checked in {time.monotonic() - started:.0f} s")
        for line in campaign.report():
            print(line)
        print(f"detected {campaign.rate:.2f}")


if __name__ == "__main__":
    main()
