"""``examsvc analytics …``: collecting published sittings for item analysis (docs/analytics.md (item analysis))."""

from __future__ import annotations

import argparse
from typing import Any

from examsvc.analytics.backfill import backfill, check
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.papers.keys import paper_key_provider


def register(commands: Any) -> None:
    analytics = commands.add_parser("analytics", help="statistics and item analysis (统计分析、试题分析)")
    sub = analytics.add_subparsers(dest="analytics_command", required=True, metavar="ACTION")
    collect = sub.add_parser("collect", help="collect the items of published sittings (all, or --sitting CODE) "
                                             "into attempt_items; idempotent")
    collect.add_argument("--sitting", metavar="CODE", default=None)
    collect.set_defaults(handler=run_collect)
    check = sub.add_parser("check", help="compare every collected row with what the sealed papers, answer sheets "
                                         "and current results derive; exit 1 on any difference")
    check.add_argument("--sitting", metavar="CODE", default=None)
    check.set_defaults(handler=run_check)


def run_collect(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        done = backfill(db_session, keys=paper_key_provider(settings), sitting_code=args.sitting)
    for collected in done:
        print(f"{collected.sitting}: {collected.written} written, {collected.unchanged} unchanged, "
              f"{collected.removed} removed (void)")
    print(f"{len(done)} published sitting(s) collected")
    return 0


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        failures = check(db_session, keys=paper_key_provider(settings), sitting_code=args.sitting)
    for line in failures:
        print(line)
    print(f"{len(failures)} difference(s)" if failures else "attempt_items matches the sealed papers, answer sheets "
          "and current results")
    return 1 if failures else 0
