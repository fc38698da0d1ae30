"""``examsvc sites …`` and ``examsvc workstations …``."""

from __future__ import annotations

import argparse
from typing import Any

from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.localtime import local_text
from examsvc.sites import rooms, service
from examsvc.sites.models import WorkstationStatus
from examsvc.text import shown


def register(commands: Any) -> None:
    sites = commands.add_parser("sites", help="exam sites (考点)")
    sub = sites.add_subparsers(dest="sites_command", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="create a site; prints its workstation enrolment code once")
    create.add_argument("code")
    create.add_argument("--name", required=True, help="考点名称")
    create.add_argument("--address", default="")
    create.add_argument("--city", default=None, help="设区的市, e.g. 太原市 (for the statistics by city)")
    create.set_defaults(handler=run_site_create)
    city = sub.add_parser("set-city", help="set or clear a site's city (设区的市)")
    city.add_argument("code")
    city.add_argument("--city", required=True, help="设区的市; an empty text clears it")
    city.set_defaults(handler=run_site_set_city)
    sub.add_parser("list", help="list sites").set_defaults(handler=run_site_list)
    rotate = sub.add_parser("rotate-code", help="replace a site's enrolment code")
    rotate.add_argument("code")
    rotate.set_defaults(handler=run_site_rotate)

    room = sub.add_parser("add-room", help="add an exam room (考场) with numbered seats")
    room.add_argument("site")
    room.add_argument("room")
    room.add_argument("--name", required=True, help="考场名称")
    room.add_argument("--seats", type=int, required=True)
    room.set_defaults(handler=run_add_room)
    rooms_list = sub.add_parser("rooms", help="list a site's rooms, seats and their workstations")
    rooms_list.add_argument("site")
    rooms_list.set_defaults(handler=run_rooms)
    bind = sub.add_parser("bind-seat", help="bind a seat to an approved workstation of the site ('none' clears it)")
    bind.add_argument("site")
    bind.add_argument("room")
    bind.add_argument("seat", type=int)
    bind.add_argument("workstation", help="workstation id, or none")
    bind.set_defaults(handler=run_bind_seat)

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
                                      address=args.address, city=args.city, actor=Actor.cli())
        print(f"created site {created.site.code} {shown(created.site.name)} {shown(created.site.city or '-')}")
        print(f"enrolment code (shown once): {created.enrolment_code}")
    return 0


def run_site_list(_: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for site in service.list_sites(db_session=db_session):
            print(f"{site.code}\t{shown(site.name)}\t{shown(site.city or '-')}\t{shown(site.address)}")
    return 0


def run_site_set_city(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        site = service.set_city(db_session=db_session, code=args.code, city=args.city, actor=Actor.cli())
        print(f"site {site.code} {shown(site.name)}: city {shown(site.city or '-')}")
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
            print(f"{ws.id}\t{ws.site_code}\t{shown(ws.name)}\t{ws.status}\t"
                  f"{local_text(ws.enrolled_at, settings.timezone)}")
    return 0


def run_ws_approve(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        ws = service.approve_workstation(db_session=db_session, workstation_id=args.workstation_id,
                                         actor=Actor.cli())
        print(f"workstation {ws.id} ({shown(ws.name)}, site {ws.site_code}): {ws.status}")
    return 0


def run_ws_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        ws = service.revoke_workstation(db_session=db_session, workstation_id=args.workstation_id,
                                        actor=Actor.cli(), reason=args.reason)
        print(f"workstation {ws.id} ({shown(ws.name)}, site {ws.site_code}): {ws.status}")
    return 0


def run_add_room(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        room = rooms.create_room(db_session=db_session, site_code=args.site, code=args.room, name=args.name,
                                 seats=args.seats, actor=Actor.cli())
        print(f"room {room.code} ({shown(room.name)}) at {args.site}: {len(room.seats)} seats")
    return 0


def run_rooms(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for room in rooms.list_rooms(db_session=db_session, site_code=args.site):
            bound = ", ".join(f"{s.number}->{s.workstation_id}" for s in room.seats if s.workstation_id)
            print(f"{room.code}\t{shown(room.name)}\t{len(room.seats)} seats\t{bound or '-'}")
    return 0


def run_bind_seat(args: argparse.Namespace, settings: Settings) -> int:
    workstation_id = None if args.workstation.lower() == "none" else int(args.workstation)
    with transaction(engine_from_settings(settings)) as db_session:
        seat = rooms.bind_seat(db_session=db_session, site_code=args.site, room_code=args.room, number=args.seat,
                               workstation_id=workstation_id, actor=Actor.cli())
        print(f"{args.site} room {args.room} seat {seat.number}: workstation {seat.workstation_id or '-'}")
    return 0
