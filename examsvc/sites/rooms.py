"""Rooms (考场) and seats (座位) of a site, and which workstation sits at which seat."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.sites import service as sites
from examsvc.sites.models import Room, Seat, WorkstationStatus

MAX_SEATS = 200


def create_room(*, db_session: Session, site_code: str, code: str, name: str, seats: int, actor: Actor) -> Room:
    site = sites.get_site(db_session=db_session, code=site_code)
    if not 1 <= seats <= MAX_SEATS:
        raise InvalidInput(f"座位数应在 1–{MAX_SEATS} 之间。", code="bad_seat_count", detail={"seats": seats})
    if db_session.scalars(select(Room).where(Room.site_id == site.id, Room.code == code)).first() is not None:
        raise Conflict("该考点已有此考场编号。", code="room_code_taken", detail={"site": site_code, "room": code})
    room = Room(site_id=site.id, code=code, name=name)
    room.seats = [Seat(number=n) for n in range(1, seats + 1)]
    db_session.add(room)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="room.created", subject_type="room", subject_id=room.id,
                 details={"site": site_code, "room": code, "seats": seats})
    return room


def get_room(*, db_session: Session, site_code: str, code: str) -> Room:
    site = sites.get_site(db_session=db_session, code=site_code)
    room = db_session.scalars(select(Room).where(Room.site_id == site.id, Room.code == code)).first()
    if room is None:
        raise NotFound("考场不存在。", code="room_not_found", detail={"site": site_code, "room": code})
    return room


def list_rooms(*, db_session: Session, site_code: str) -> list[Room]:
    site = sites.get_site(db_session=db_session, code=site_code)
    return list(db_session.scalars(select(Room).where(Room.site_id == site.id).order_by(Room.code)))


def codes(*, db_session: Session, room_ids: Collection[int]) -> dict[int, str]:
    """Room id → code, in one query without the seats: answers name rooms by code, as requests do."""
    if not room_ids:
        return {}
    return {row.id: row.code for row in db_session.execute(select(Room.id, Room.code).where(Room.id.in_(room_ids)))}


def _seat(room: Room, number: int) -> Seat:
    for seat in room.seats:
        if seat.number == number:
            return seat
    raise NotFound("座位不存在。", code="seat_not_found", detail={"room": room.code, "seat": number})


def bind_seat(*, db_session: Session, site_code: str, room_code: str, number: int, workstation_id: int | None,
              actor: Actor) -> Seat:
    """Puts an approved workstation of the same site at a seat (or clears it); rebinding is logged with
    both the old and the new workstation."""
    room = get_room(db_session=db_session, site_code=site_code, code=room_code)
    seat = _seat(room, number)
    if workstation_id is not None:
        workstation = sites.get_workstation(db_session=db_session, workstation_id=workstation_id)
        if workstation.site_id != room.site_id:
            raise Conflict("考试机不属于该考点。", code="workstation_other_site",
                           detail={"workstation_id": workstation_id, "workstation_site": workstation.site_code,
                                   "room_site": site_code})
        if workstation.status != WorkstationStatus.ACTIVE:
            raise Conflict("只能绑定已批准的考试机。", code="workstation_not_active",
                           detail={"workstation_id": workstation_id, "status": workstation.status})
        elsewhere = db_session.scalars(select(Seat).where(Seat.workstation_id == workstation_id,
                                                          Seat.id != seat.id)).first()
        if elsewhere is not None:
            raise Conflict("该考试机已绑定其他座位，请先解除。", code="workstation_already_seated",
                           detail={"workstation_id": workstation_id, "room_id": elsewhere.room_id,
                                   "seat": elsewhere.number})
    previous = seat.workstation_id
    if previous == workstation_id:
        return seat
    seat.workstation_id = workstation_id
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="seat.bound" if workstation_id else "seat.unbound",
                 subject_type="seat", subject_id=seat.id,
                 details={"site": site_code, "room": room_code, "seat": number, "workstation_id": workstation_id,
                          "previous_workstation_id": previous})
    return seat


def seat_of_workstation(*, db_session: Session, workstation_id: int) -> Seat | None:
    return db_session.scalars(select(Seat).where(Seat.workstation_id == workstation_id)).first()
