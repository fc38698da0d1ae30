"""``examsvc practical …``: practical exam banks (实操题库) from the server's shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from examsvc.audit.actors import Actor
from examsvc.banks.files import Kind, collect
from examsvc.banks.problems import report_rejected
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.practical import evidence, service
from examsvc.practical.validate import PracticalImportRejected
from examsvc.sittings.service import get as get_sitting
from examsvc.text import shown


def register(commands: Any) -> None:
    practical = commands.add_parser("practical", help="practical exam banks (实操题库)")
    sub = practical.add_subparsers(dest="practical_command", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="import practical bank files or folders (YAML, xlsx); all or nothing")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument("--publish", action="store_true", help="publish what was imported")
    imp.set_defaults(handler=run_import)
    sub.add_parser("list", help="practical bank versions").set_defaults(handler=run_list)
    check = sub.add_parser("verify-evidence", help="re-hash every evidence file of a sitting against its logged digest")
    check.add_argument("sitting")
    check.set_defaults(handler=run_verify_evidence)
    for name, to in (("publish", "published"), ("retire", "retired")):
        p = sub.add_parser(name, help=f"{name} a version (by id, see list)")
        p.add_argument("version_id", type=int)
        p.set_defaults(handler=run_status, to=to)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    collected = collect(args.paths, kind=Kind.PRACTICAL)  # checked and read before the database is opened
    for skipped in collected.skipped:
        print(f"examsvc: {skipped}", file=sys.stderr)
    try:
        if collected.problems:
            raise PracticalImportRejected(collected.problems)
        with transaction(engine_from_settings(settings)) as db_session:
            for done in service.import_files(db_session=db_session, files=[(f.name, f.data) for f in collected.files],
                                             actor=Actor.cli(), publish=args.publish):
                v = done.version
                print(f"{v.id}\t{v.code} {v.version_label}\t{v.status}\t{v.item_count} items\t"
                      + ("imported" if done.created else "already stored"))
    except PracticalImportRejected as rejected:
        return report_rejected(rejected)
    return 0


def run_list(_: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for v in service.list_versions(db_session=db_session):
            print(f"{v.id}\t{v.code} {v.version_label}\t{v.status}\t{v.operation_item} {shown(v.operation_item_name)}\t"
                  f"{v.item_count} items\t{v.content_digest[:16]}")
    return 0


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        v = service.set_status(db_session=db_session, version_id=args.version_id, to=args.to, actor=Actor.cli())
        print(f"{v.code} {v.version_label}: {v.status}")
    return 0


def run_verify_evidence(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        sitting = get_sitting(db_session=db_session, code=args.sitting)
        rows = evidence.of_sitting(db_session, sitting.id)
        bad = [r for r in rows if not evidence.check(settings.data_dir, r).matches]
    for row in bad:
        print(f"VERIFICATION FAILED: evidence {row.id} ({row.subject}): the file does not hash to {row.digest}",
              file=sys.stderr)
    print(f"{len(rows) - len(bad)} of {len(rows)} evidence file(s) match their logged digests")
    return 1 if bad else 0
