"""``examsvc sittings …``: the administrative steps of an exam day from the server's shell."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from examsvc.audit.actors import Actor
from examsvc.banks.problems import ImportRejected, report_rejected
from examsvc.bootstrap import transaction
from examsvc.candidates import service as candidates
from examsvc.candidates.sheets import read_sheet
from examsvc.config import Settings
from examsvc.db import engine_from_settings, utcnow
from examsvc.localtime import local_text
from examsvc.papers.keys import paper_key_provider
from examsvc.sittings import flows, service
from examsvc.sittings.models import StaffRole
from examsvc.text import shown


def register(commands: Any) -> None:
    sittings = commands.add_parser("sittings", help="exam sittings (考试场次)")
    sub = sittings.add_subparsers(dest="sittings_command", required=True, metavar="ACTION")

    create = sub.add_parser("create", help="schedule a sitting under an approved rule")
    create.add_argument("code")
    create.add_argument("--title", required=True)
    rule = create.add_mutually_exclusive_group(required=True)
    rule.add_argument("--blueprint", type=int, help="approved composition rule id (a theory sitting)")
    rule.add_argument("--practical-rule", type=int, help="approved practical rule id (a practical sitting)")
    create.add_argument("--site", required=True)
    create.add_argument("--room", action="append", required=True, help="room code (repeatable)")
    create.add_argument("--start", required=True, help="scheduled start, ISO 8601 with time zone")
    create.add_argument("--correction", metavar="REASON",
                        help="record a sitting whose start has passed (a schedule correction), with the reason logged")
    create.set_defaults(handler=run_create)

    sub.add_parser("list", help="list sittings").set_defaults(handler=run_list)

    assign = sub.add_parser("assign", help="assign a staff member (every conflict is refused by name)")
    assign.add_argument("code")
    assign.add_argument("user_id", type=int)
    assign.add_argument("role", choices=[r.value for r in StaffRole])
    assign.add_argument("--room")
    assign.set_defaults(handler=run_assign)

    enrol = sub.add_parser("register", help="register candidates from a CSV or xlsx list (all or nothing)")
    enrol.add_argument("code")
    enrol.add_argument("file", type=Path)
    enrol.set_defaults(handler=run_register)

    sub.add_parser("sweep", help="submit every attempt whose time is up (the server also does this by itself)"
                   ).set_defaults(handler=run_sweep)


def run_sweep(_: argparse.Namespace, settings: Settings) -> int:
    # Imported here: answering pulls in FastAPI, which every other sittings command would pay for.
    from examsvc.attempts import outage
    from examsvc.attempts import service as answering

    engine = engine_from_settings(settings)
    credited = 0
    if settings.sweep_interval_seconds > 0:  # as the service's own sweep: a down service's gap first
        with transaction(engine) as db_session:
            credited = outage.credit_outage(db_session, now=utcnow(),
                                            sweep_interval_seconds=settings.sweep_interval_seconds)
    if credited:
        print(f"service outage: {credited} ms credited to the running attempts")
    with transaction(engine) as db_session:
        done = answering.sweep(db_session=db_session, now=utcnow(), grace_seconds=settings.answer_grace_seconds,
                               keys=paper_key_provider(settings), via="cli")
    print(f"{len(done)} attempt(s) submitted at their deadline" + (": " + ", ".join(done) if done else ""))
    return 0


def run_create(args: argparse.Namespace, settings: Settings) -> int:
    start = datetime.fromisoformat(args.start)
    if start.tzinfo is None:
        print("examsvc: give the start with a time zone, e.g. 2027-01-10T09:00+08:00", file=sys.stderr)
        return 2
    with transaction(engine_from_settings(settings)) as db_session:
        sitting = service.create(db_session=db_session, code=args.code, title=args.title,
                                 blueprint_id=args.blueprint, practical_rule_id=args.practical_rule,
                                 site_code=args.site, room_codes=args.room,
                                 scheduled_start=start, late_entry_minutes=settings.late_entry_minutes,
                                 proctors_per_room=settings.proctors_per_room, actor=Actor.cli(), now=utcnow(),
                                 correction_reason=args.correction)
        print(f"sitting {sitting.code} scheduled at {local_text(sitting.scheduled_start, settings.timezone)} "
              f"({settings.timezone}) for {sitting.duration_minutes} minutes")
    return 0


def run_list(_: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for s in service.list_all(db_session=db_session):
            print(f"{s.code}\t{local_text(s.scheduled_start, settings.timezone)}\t{s.status}\t{s.site.code}\t"
                  f"{len(s.staff)} staff\t{shown(s.title)}")
    return 0


def run_assign(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        flows.assign_staff(db_session=db_session, code=args.code, user_id=args.user_id, role=StaffRole(args.role),
                           room_code=args.room, actor=Actor.cli())
        print(f"user {args.user_id} assigned to {args.code} as {args.role}" + (f" in room {args.room}"
                                                                             if args.room else ""))
    return 0


def run_register(args: argparse.Namespace, settings: Settings) -> int:
    try:
        sheet = read_sheet(args.file.read_bytes(), args.file.name)
        with transaction(engine_from_settings(settings)) as db_session:
            made = candidates.register(db_session=db_session, code=args.code, sheet=sheet,
                                       min_age=settings.candidate_min_age,
                                       max_age=settings.candidate_max_age, actor=Actor.cli())
            for registration in made:
                print(f"{registration.admission_number}\t{shown(registration.candidate.name)}")
    except ImportRejected as rejected:
        return report_rejected(rejected)
    return 0
