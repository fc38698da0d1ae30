"""A room's seat map (座位图) and the province board (巡考看板): what proctors and inspectors watch live.

Each seat's state follows from the rows the exam day writes, in this order of precedence:
the attempt (答题中 / 已暂停 / 已交卷 / 已取消 for a removal), else the check-in (已登录 once the
candidate signed in on the seat's workstation, else 已检录), else 未到 (no candidate on the seat yet:
a candidate is given a seat at check-in). Read-only: a handful of queries per room, no locks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.attempts import clock
from examsvc.attempts.models import Answer, Attempt, AttemptStatus, Incident
from examsvc.candidates.models import Registration
from examsvc.errors import NotFound
from examsvc.identity.models import UserAccount
from examsvc.sites import rooms as site_rooms
from examsvc.sites.models import Room, Seat
from examsvc.sittings.models import CandidateCheckIn, Sitting, SittingStatus
from examsvc.sittings.presence import present_proctors

RECENT_INCIDENTS = 20


class SeatState(StrEnum):
    ABSENT = "absent"
    CHECKED_IN = "checked_in"
    SIGNED_IN = "signed_in"
    ANSWERING = "answering"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return SEAT_STATE_LABELS[self]


SEAT_STATE_LABELS = {SeatState.ABSENT: "未到", SeatState.CHECKED_IN: "已检录", SeatState.SIGNED_IN: "已登录",
                     SeatState.ANSWERING: "答题中", SeatState.PAUSED: "已暂停", SeatState.SUBMITTED: "已交卷",
                     SeatState.REMOVED: "已取消"}


@dataclass(frozen=True)
class SeatView:
    seat: int
    bound: bool  # a workstation is bound to the seat (a candidate may be seated there)
    state: SeatState
    admission_number: str | None = None
    name: str | None = None
    answered: int = 0
    items: int = 0
    remaining_seconds: float | None = None


@dataclass(frozen=True)
class IncidentView:
    id: int
    at: datetime
    kind: str
    admission_number: str | None
    reason: str
    actor: str


@dataclass(frozen=True)
class RoomMap:
    sitting: str
    room: str
    room_name: str
    status: str
    proctors_present: int
    proctors_required: int
    seats: list[SeatView]
    counts: dict[str, int]
    incidents: list[IncidentView] = field(default_factory=list)
    incident_count: int = 0


def room_of(db_session: Session, sitting: Sitting, room_code: str) -> Room:
    room = site_rooms.get_room(db_session=db_session, site_code=sitting.site.code, code=room_code)
    if room.id not in {r.room_id for r in sitting.rooms}:
        raise NotFound("该考场不属于本场次。", code="room_not_in_sitting", detail={"room": room_code})
    return room


def seat_state(check_in: CandidateCheckIn | None, attempt: Attempt | None) -> SeatState:
    if attempt is not None:
        if attempt.status == AttemptStatus.REMOVED:
            return SeatState.REMOVED
        if attempt.status == AttemptStatus.SUBMITTED:
            return SeatState.SUBMITTED
        return SeatState.PAUSED if attempt.paused_at is not None else SeatState.ANSWERING
    if check_in is None:
        return SeatState.ABSENT
    return SeatState.SIGNED_IN if check_in.session_digest is not None else SeatState.CHECKED_IN


def room_map(db_session: Session, sitting: Sitting, room_code: str, now: datetime) -> RoomMap:
    room = room_of(db_session, sitting, room_code)
    seats = list(room.seats)
    taken = {c.seat_id: (c, r) for c, r in db_session.execute(
        select(CandidateCheckIn, Registration).join(Registration, Registration.id == CandidateCheckIn.registration_id)
        .where(CandidateCheckIn.sitting_id == sitting.id, CandidateCheckIn.seat_id.in_([s.id for s in seats])))}
    registration_ids = [r.id for _, r in taken.values()]
    attempts = {a.registration_id: a for a in db_session.scalars(select(Attempt).where(
        Attempt.registration_id.in_(registration_ids)))} if registration_ids else {}
    answered = answered_counts(db_session, [a.id for a in attempts.values()])
    views = []
    for seat in seats:
        check_in, registration = taken.get(seat.id, (None, None))
        attempt = attempts.get(registration.id) if registration is not None else None
        state = seat_state(check_in, attempt)
        running = attempt is not None and attempt.status == AttemptStatus.IN_PROGRESS
        views.append(SeatView(
            seat=seat.number, bound=seat.workstation_id is not None, state=state,
            admission_number=registration.admission_number if registration else None,
            name=registration.candidate.name if registration else None,
            answered=answered.get(attempt.id, 0) if attempt else 0, items=attempt.item_count if attempt else 0,
            remaining_seconds=max(0.0, clock.remaining_seconds(attempt, now)) if running and attempt else None))
    incidents, count = room_incidents(db_session, sitting, room.id)
    return RoomMap(sitting=sitting.code, room=room.code, room_name=room.name, status=sitting.status,
                   proctors_present=present_proctors(db_session, sitting, room.id).get(room.id, 0),
                   proctors_required=sitting.proctors_per_room, seats=views,
                   counts=dict(Counter(str(v.state) for v in views)), incidents=incidents, incident_count=count)


def answered_counts(db_session: Session, attempt_ids: list[int]) -> dict[int, int]:
    if not attempt_ids:
        return {}
    return {attempt_id: n for attempt_id, n in db_session.execute(
        select(Answer.attempt_id, func.count()).where(Answer.attempt_id.in_(attempt_ids), Answer.response != "")
        .group_by(Answer.attempt_id))}


def room_incidents(db_session: Session, sitting: Sitting, room_id: int, limit: int = RECENT_INCIDENTS,
                   offset: int = 0, query: str = "") -> tuple[list[IncidentView], int]:
    """The room's incidents, newest first (a page of them), and how many match in all. ``query``: a part
    of the reason or of the admission number."""
    where = [Incident.sitting_id == sitting.id, Incident.room_id == room_id]
    if query.strip():
        where.append(or_(Incident.reason.contains(query.strip()),
                         Registration.admission_number.contains(query.strip())))
    rows = db_session.execute(select(Incident, Registration.admission_number, UserAccount.display_name).outerjoin(
        Registration, Registration.id == Incident.registration_id).join(
        UserAccount, UserAccount.id == Incident.actor_id).where(*where).order_by(
        Incident.at.desc(), Incident.id.desc()).offset(offset).limit(limit))
    total = db_session.scalar(select(func.count()).select_from(Incident).outerjoin(
        Registration, Registration.id == Incident.registration_id).where(*where)) or 0
    return [IncidentView(id=i.id, at=i.at, kind=i.kind, admission_number=number, reason=i.reason, actor=who)
            for i, number, who in rows], total


@dataclass(frozen=True)
class BoardRoom:
    sitting: str
    title: str
    site: str
    room: str
    room_name: str
    status: str
    proctors_present: int
    proctors_required: int
    checked_in: int
    answering: int
    paused: int
    submitted: int
    incidents_30min: int
    room_paused: bool  # the whole room stands still: every running attempt is paused (an outage, a room pause)


def board(db_session: Session, sittings: list[Sitting], now: datetime) -> list[BoardRoom]:
    """One line per room of each sitting, in a fixed number of queries whatever the count of rooms."""
    ids = [s.id for s in sittings]
    if not ids:
        return []
    checked = Counter((s, r) for s, r in db_session.execute(select(CandidateCheckIn.sitting_id, Seat.room_id).join(
        Seat, Seat.id == CandidateCheckIn.seat_id).where(CandidateCheckIn.sitting_id.in_(ids))))
    running, paused, finished = Counter[tuple[int, int]](), Counter[tuple[int, int]](), Counter[tuple[int, int]]()
    for sitting_id, room_id, status, paused_at in db_session.execute(select(
            Attempt.sitting_id, Attempt.room_id, Attempt.status, Attempt.paused_at).where(
            Attempt.sitting_id.in_(ids))):
        key = (sitting_id, room_id)
        if status == AttemptStatus.SUBMITTED:
            finished[key] += 1
        elif status == AttemptStatus.REMOVED:
            continue
        elif paused_at is not None:
            paused[key] += 1
        else:
            running[key] += 1
    recent = Counter((s, r) for s, r in db_session.execute(select(Incident.sitting_id, Incident.room_id).where(
        Incident.sitting_id.in_(ids), Incident.at >= now - timedelta(minutes=30))))
    codes = site_rooms.codes(db_session=db_session, room_ids={r.room_id for s in sittings for r in s.rooms})
    names = {room_id: name for room_id, name in db_session.execute(
        select(Room.id, Room.name).where(Room.id.in_(list(codes))))}
    lines = []
    for sitting in sittings:
        proctors = present_proctors(db_session, sitting)
        for r in sitting.rooms:
            key = (sitting.id, r.room_id)
            lines.append(BoardRoom(
                sitting=sitting.code, title=sitting.title, site=sitting.site.name, room=codes[r.room_id],
                room_name=names.get(r.room_id, ""), status=sitting.status,
                proctors_present=proctors.get(r.room_id, 0), proctors_required=sitting.proctors_per_room,
                checked_in=checked[key], answering=running[key], paused=paused[key], submitted=finished[key],
                incidents_30min=recent[key], room_paused=paused[key] > 0 and running[key] == 0))
    return lines


def sittings_of_day(db_session: Session, day: date, zone_name: str) -> list[Sitting]:
    """The sittings scheduled on a local calendar day of the site's time zone (EXAMSVC_TIMEZONE), and any
    sitting still open: one that started before midnight is still on the board after it."""
    start = datetime.combine(day, time(0), tzinfo=localtime.zone(zone_name)).astimezone(UTC)
    return list(db_session.scalars(select(Sitting).where(or_(
        (Sitting.scheduled_start >= start) & (Sitting.scheduled_start < start + timedelta(days=1)),
        Sitting.status == SittingStatus.OPEN)).order_by(Sitting.scheduled_start, Sitting.code)))
