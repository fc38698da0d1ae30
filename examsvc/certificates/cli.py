"""``examsvc certificates …``: the offline check (no database), the key set, issuing and the register's
consistency with the log, from the server's shell."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from examsvc.config import Settings

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNVERIFIABLE = 0, 1, 2


def register(commands: Any) -> None:
    certificates = commands.add_parser("certificates", help="certificates (证书)")
    sub = certificates.add_subparsers(dest="certificates_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check a certificate's QR text offline, with the published key set only "
                                           "(exit 0 valid, 1 expired/review overdue, 2 unverifiable)")
    verify.add_argument("text", help="the QR text (SQ1:…); '-' reads it from standard input")
    verify.add_argument("--keys", type=Path, required=True, help="the key set (GET /certificates/keys, saved)")
    verify.add_argument("--id-number", help="the ID number printed on the card, to compare with the QR's digest")
    verify.add_argument("--today", type=date.fromisoformat, help="check as of this day (YYYY-MM-DD)")
    verify.add_argument("--json", action="store_true", help="answer as JSON")
    verify.set_defaults(handler=run_verify)
    keys = sub.add_parser("keys", help="print the public key set (to publish, or to give an offline verifier)")
    keys.set_defaults(handler=run_keys)
    sub.add_parser("rotate-key", help="a new certificate key; the old one stays published for verification"
                   ).set_defaults(handler=run_rotate)
    issue = sub.add_parser("issue", help="issue the certificate one recorded qualification earns")
    issue.add_argument("id_number")
    issue.add_argument("subject", help="operation item code (e.g. 1.2), or principal / safety_manager")
    issue.set_defaults(handler=run_issue)
    batch = sub.add_parser("issue-sitting", help="issue every qualified candidate of a sitting, with progress")
    batch.add_argument("sitting")
    batch.set_defaults(handler=run_issue_sitting)
    check = sub.add_parser("check", help="replay the log's certificate entries against the register; name every "
                                         "difference (exit 1 if any)")
    check.set_defaults(handler=run_check)


def _last_valid_day(settings: Settings) -> Any:
    from examsvc.localtime import zone

    def last_day(expires_at: int) -> date:
        return datetime.fromtimestamp(expires_at - 1, UTC).astimezone(zone(settings.timezone)).date()

    return last_day


def _today_there(settings: Settings) -> date:
    from examsvc.localtime import zone

    return datetime.now(UTC).astimezone(zone(settings.timezone)).date()


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    from examsvc.certificates import offline
    from examsvc.certificates.keys import KeySetError
    from examsvc.certificates.rules import Standing

    text = sys.stdin.read() if args.text == "-" else args.text
    try:
        issuer, keys = offline.load_key_set(args.keys)
    except KeySetError as exc:
        print(f"examsvc: {exc}", file=sys.stderr)
        return EXIT_UNVERIFIABLE
    # The issuer's day, as the card's last valid day is: a UTC date is yesterday's there until 08:00 in China.
    today = args.today or _today_there(settings)
    answer = offline.check(text, issuer, keys, today=today, last_valid_day=_last_valid_day(settings),
                           id_number=args.id_number)
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
    else:
        print(f"{answer.standing.label}: {answer.reason}")
        if answer.opened is not None:
            for key, value in answer.as_json()["claims"].items():
                print(f"  {key}: {value}")
        if answer.id_match is not None:
            print("  身份证号：" + ("与证书相符" if answer.id_match else "与证书不符"))
        print(f"  {offline.OFFLINE_LIMITS}")
    if answer.standing is Standing.UNVERIFIABLE or answer.id_match is False:
        return EXIT_UNVERIFIABLE
    return EXIT_VALID if answer.standing is Standing.VALID else EXIT_NOT_VALID


def run_keys(_: argparse.Namespace, settings: Settings) -> int:
    from examsvc.certificates.keys import load_keyring

    settings.ensure_data_dir()
    print(json.dumps(load_keyring(settings).key_set(), ensure_ascii=False, indent=2))
    return 0


def run_rotate(_: argparse.Namespace, settings: Settings) -> int:
    from examsvc.certificates.keys import rotate

    keyring = rotate(settings)
    print(f"new certificate key {keyring.key_id.hex()}; {len(keyring.entries)} key(s) published "
          "(restart the service to sign with it)")
    return 0


def run_issue(args: argparse.Namespace, settings: Settings) -> int:
    from examsvc.audit.actors import Actor
    from examsvc.bootstrap import transaction
    from examsvc.candidates.id_number import parse_id_number
    from examsvc.certificates import service
    from examsvc.certificates.keys import load_keyring
    from examsvc.db import engine_from_settings

    with transaction(engine_from_settings(settings)) as db_session:
        made = service.issue(db_session, keyring=load_keyring(settings), settings=settings, actor=Actor.cli(),
                             id_number=parse_id_number(args.id_number).value, subject=args.subject)
        print(f"{made.number}\t{made.item} {made.item_name}\t{made.expires_on.isoformat()}")
    return 0


def run_issue_sitting(args: argparse.Namespace, settings: Settings) -> int:
    from examsvc.audit.actors import Actor
    from examsvc.bootstrap import transaction
    from examsvc.certificates import service
    from examsvc.certificates.keys import load_keyring
    from examsvc.db import engine_from_settings
    from examsvc.sittings.service import get as get_sitting

    engine, keyring, actor = engine_from_settings(settings), load_keyring(settings), Actor.cli()
    today = service.today_in(settings)
    with transaction(engine) as db_session:
        sitting = get_sitting(db_session=db_session, code=args.sitting)
        jobs, skipped = service.sitting_jobs(db_session, sitting, today)
        total = len(jobs)
        print(f"{args.sitting}: {total} to issue, {skipped} registration(s) not qualified or already certified",
              flush=True)
        service.issue_jobs(db_session, jobs, keyring=keyring, settings=settings, actor=actor, today=today,
                           progress=lambda n: print(f"  {n}/{total}", flush=True))
    print(f"issued {total}")
    return 0


def run_check(_: argparse.Namespace, settings: Settings) -> int:
    from examsvc.bootstrap import transaction
    from examsvc.certificates import consistency
    from examsvc.db import engine_from_settings

    with transaction(engine_from_settings(settings)) as db_session:
        report = consistency.check(db_session)
    for problem in report.problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(f"{report.certificates} certificate(s), {report.entries} log entr(ies): "
          + ("the register matches the log" if not report.problems else f"{len(report.problems)} difference(s)"))
    return 1 if report.problems else 0
