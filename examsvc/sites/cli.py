"""``examsvc sites …`` and ``examsvc workstations …``."""

from __future__ import annotations

import argparse
from typing import Any

from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.sites import service
from examsvc.sites.models import WorkstationStatus


def register(commands: Any) -> None:
    sites = commands.add_parser("sites", help="exam sites (考点)")
    sub = sites.add_subparsers(dest="sites_command", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="create a site; prints its workstation enrolment code once")
    create.add_argument("code")
    create.add_argument("--name", required=True, help="考点名称")
    create.add_argument("--address", default="")
    create.set_defaults(handler=run_site_create)
    sub.add_parser("list", help="list sites").set_defaults(handler=run_site_list)
    rotate = sub.add_parser("rotate-code", help="replace a site's enrolment code")
    rotate.add_argument("code")
    rotate.set_defaults(handler=run_site_rotate)

    workstations = commands.add_parser("workstations", help="exam-site computers (考试机)")
    wsub = workstations.add_subparsers(dest="workstations_command", required=True, metavar="ACTION")
    listing = wsub.add_parser("list", help="list workstations")
    listing.add_argument("--site", help="site code")
    listing.add_argument("--status", choices=[s.value for s in WorkstationStatus])
    listing.set_defaults(handler=run_ws_list)
    approve = wsub.add_parser("approve", help="approve a pending enrolment")
    approve.add_argument("workstation_id", type=int)
    approve.set_defaults(handler=run_ws_approve)
    revoke = wsub.add_parser("revoke", help="revoke a workstation")
    revoke.add_argument("workstation_id", type=int)
    revoke.add_argument("--reason", required=True)
    revoke.set_defaults(handler=run_ws_revoke)


def run_site_create(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        created = service.create_site(db_session=db_session, code=args.code, name=args.name,
                                      address=args.address, actor=Actor.cli())
        print(f"created site {created.site.code} {created.site.name}")
        print(f"enrolment code (shown once): {created.enrolment_code}")
    return 0


def run_site_list(_: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for site in service.list_sites(db_session=db_session):
            print(f"{site.code}\t{site.name}\t{site.address}")
    return 0


def run_site_rotate(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        created = service.rotate_enrolment_code(db_session=db_session, code=args.code, actor=Actor.cli())
        print(f"new enrolment code for {created.site.code} (shown once): {created.enrolment_code}")
    return 0


def run_ws_list(args: argparse.Namespace, settings: Settings) -> int:
    status = WorkstationStatus(args.status) if args.status else None
    with transaction(engine_from_settings(settings)) as db_session:
        for ws in service.list_workstations(db_session=db_session, site_code=args.site, status=status):
            print(f"{ws.id}\t{ws.site_code}\t{ws.name}\t{ws.status}\t{ws.enrolled_at:%Y-%m-%d %H:%M}")
    return 0


def run_ws_approve(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        ws = service.approve_workstation(db_session=db_session, workstation_id=args.workstation_id,
                                         actor=Actor.cli())
        print(f"workstation {ws.id} ({ws.name}, site {ws.site_code}): {ws.status}")
    return 0


def run_ws_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        ws = service.revoke_workstation(db_session=db_session, workstation_id=args.workstation_id,
                                        actor=Actor.cli(), reason=args.reason)
        print(f"workstation {ws.id} ({ws.name}, site {ws.site_code}): {ws.status}")
    return 0
