"""What proctors do in the room, each with its reason in the log and in the room record (考场记录).

Pause and resume (one candidate or a whole room: an outage's time is credited exactly), extra time,
warning, removal for a violation (暂行办法 art. 21: the sitting's score is void), moving a candidate
to another workstation after a failure, and reopening a candidate's session after a crash. A move
or a reopen pauses the attempt and issues a new one-time code; the proctor resumes it once the
candidate is signed in again, so not a second of the outage is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts import clock
from examsvc.attempts.models import Attempt, AttemptStatus, Incident, IncidentKind, SubmittedHow
from examsvc.attempts.service import attempt_of, finish, finish_if_due
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.sites import rooms as site_rooms
from examsvc.sites.models import Seat
from examsvc.sittings import timing
from examsvc.sittings.checkin import checked_in, issue_code
from examsvc.sittings.models import CandidateCheckIn, Sitting, SittingStatus
from examsvc.sittings.presence import require_room_authority
from examsvc.sittings.service import get as get_sitting

MAX_EXTRA_MINUTES = timing.MAX_EXTRA_MINUTES  # per grant; the room is reserved for one (sittings.timing)


@dataclass(frozen=True)
class Target:
    sitting: Sitting
    registration: Registration
    check_in: CandidateCheckIn
    room_id: int
    attempt: Attempt | None


def _record(db_session: Session, *, sitting: Sitting, room_id: int, registration: Registration | None,
            kind: IncidentKind, reason: str, details: dict[str, Any], now: datetime, actor: Actor) -> None:
    assert actor.user_id is not None
    incident = Incident(sitting_id=sitting.id, room_id=room_id,
                        registration_id=registration.id if registration else None, kind=kind, reason=reason,
                        details=details, actor_id=actor.user_id, at=now)
    db_session.add(incident)
    db_session.flush()
    subject = {"admission_number": registration.admission_number} if registration else {}
    # The entry carries the incident's whole content (row id, room, time, reason, details): verify-sitting
    # re-reads every incident row against it (issue 15 item 2).
    audit.record(db_session=db_session, actor=actor, action=f"proctor.{kind}", subject_type="sitting",
                 subject_id=sitting.id, details={**subject, "reason": reason, **details, "incident": incident.id,
                                                 "room_id": room_id, "at": audit.rfc3339(now)})


def _target(db_session: Session, code: str, admission_number: str, actor: Actor) -> Target:
    sitting = get_sitting(db_session=db_session, code=code)
    if sitting.status != SittingStatus.OPEN:
        raise Conflict("考试场次不在进行中。", code="sitting_not_open", detail={"sitting": code})
    registration, check_in, room_id = checked_in(db_session, sitting, admission_number)
    require_room_authority(db_session, sitting, room_id, actor)
    return Target(sitting, registration, check_in, room_id, attempt_of(db_session, registration.id, lock=True))


def _running(db_session: Session, target: Target, *, now: datetime, grace_seconds: int, keys: KeyProvider) -> Attempt:
    attempt = target.attempt
    if attempt is None:
        raise Conflict("该考生尚未开始作答。", code="attempt_not_started",
                       detail={"admission_number": target.registration.admission_number})
    finish_if_due(db_session, attempt, now=now, grace_seconds=grace_seconds, keys=keys, via="request")
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict("该考生的答卷已提交。", code="attempt_submitted", keep_changes=True,
                       detail={"admission_number": target.registration.admission_number, "status": attempt.status})
    return attempt


@dataclass(frozen=True)
class Acted:
    attempt: Attempt | None
    one_time_code: str | None = None


def act(*, db_session: Session, code: str, admission_number: str, kind: IncidentKind, reason: str, now: datetime,
        grace_seconds: int, keys: KeyProvider, actor: Actor, minutes: int | None = None,
        seat_number: int | None = None) -> Acted:
    target = _target(db_session, code, admission_number, actor)

    def note(details: dict[str, Any]) -> None:
        _record(db_session, sitting=target.sitting, room_id=target.room_id, registration=target.registration,
                kind=kind, reason=reason, details=details, now=now, actor=actor)

    if kind == IncidentKind.WARNING:
        note({})
        return Acted(target.attempt)
    attempt = _running(db_session, target, now=now, grace_seconds=grace_seconds, keys=keys)
    details: dict[str, Any] = {}
    code_out = None
    if kind == IncidentKind.PAUSE:
        if attempt.paused_at is not None:
            raise Conflict("该考生已处于暂停状态。", code="already_paused",
                           detail={"admission_number": admission_number})
        clock.pause(attempt, now)
        details["remaining_ms"] = clock.remaining(attempt, now) // timedelta(milliseconds=1)
    elif kind == IncidentKind.RESUME:
        if attempt.paused_at is None:
            raise Conflict("该考生未处于暂停状态。", code="not_paused", detail={"admission_number": admission_number})
        details["credited_ms"] = clock.resume(attempt, now)
        details["deadline"] = audit.rfc3339(clock.deadline(attempt))
    elif kind == IncidentKind.EXTRA_TIME:
        if minutes is None or not 1 <= minutes <= MAX_EXTRA_MINUTES:
            raise InvalidInput(f"延长时间应为 1–{MAX_EXTRA_MINUTES} 分钟。", code="bad_extra_time",
                               detail={"field": "minutes"})
        attempt.extra_seconds += minutes * 60
        details |= {"minutes": minutes, "deadline": audit.rfc3339(clock.deadline(attempt))}
    elif kind == IncidentKind.REMOVAL:
        note({})
        finish(db_session, attempt, ended_at=now, how=SubmittedHow.REMOVED, keys=keys, actor=actor, via="removal")
        return Acted(attempt)
    elif kind in (IncidentKind.MOVE, IncidentKind.REOPEN):
        if kind == IncidentKind.MOVE:
            seat = _free_seat(db_session, target, seat_number)
            old_seat = db_session.get(Seat, target.check_in.seat_id)
            assert old_seat is not None
            # Both seats, for the room record (考场记录): where the candidate sat and where they went.
            details |= {"from_seat": old_seat.number, "from_workstation_id": target.check_in.workstation_id,
                        "seat": seat.number,
                        "workstation_id": seat.workstation_id}
            target.check_in.seat_id = seat.id
            assert seat.workstation_id is not None
            target.check_in.workstation_id = seat.workstation_id
            attempt.workstation_id = seat.workstation_id
        clock.pause(attempt, now)
        details["remaining_ms"] = clock.remaining(attempt, now) // timedelta(milliseconds=1)
        code_out = issue_code(target.check_in, admission_number)
    db_session.flush()
    note(details)
    return Acted(attempt, code_out)


def _free_seat(db_session: Session, target: Target, seat_number: int | None) -> Seat:
    if seat_number is None:
        raise InvalidInput("请指定新座位号。", code="seat_required", detail={"field": "seat"})
    seat = db_session.scalars(select(Seat).where(Seat.room_id == target.room_id, Seat.number == seat_number)).first()
    if seat is None or seat.workstation_id is None or seat.id == target.check_in.seat_id:
        raise Conflict("该座位不存在、未绑定考试机或就是原座位。", code="seat_unusable", detail={"seat": seat_number})
    taken = db_session.scalars(select(CandidateCheckIn).where(CandidateCheckIn.sitting_id == target.sitting.id,
                                                              CandidateCheckIn.seat_id == seat.id)).first()
    if taken is not None:
        raise Conflict("该座位已有考生。", code="seat_taken", detail={"seat": seat_number})
    return seat


def act_on_room(*, db_session: Session, code: str, room_code: str, kind: IncidentKind, reason: str, now: datetime,
                grace_seconds: int, keys: KeyProvider, actor: Actor) -> list[str]:
    """Pause or resume every running attempt of a room (an outage); the admission numbers affected."""
    if kind not in (IncidentKind.PAUSE, IncidentKind.RESUME):
        raise InvalidInput("考场整体只能暂停或恢复。", code="bad_room_action", detail={"field": "kind"})
    sitting = get_sitting(db_session=db_session, code=code)
    if sitting.status != SittingStatus.OPEN:
        raise Conflict("考试场次不在进行中。", code="sitting_not_open", detail={"sitting": code})
    room = site_rooms.get_room(db_session=db_session, site_code=sitting.site.code, code=room_code)
    if room.id not in {r.room_id for r in sitting.rooms}:
        raise NotFound("该考场不属于本场次。", code="room_not_in_sitting", detail={"room": room_code})
    require_room_authority(db_session, sitting, room.id, actor)
    affected = []
    credited: dict[str, int] = {}  # each candidate's own credit: their pauses began at different moments
    rows = db_session.execute(select(Attempt, Registration).join(
        Registration, Registration.id == Attempt.registration_id).where(
        Attempt.sitting_id == sitting.id, Attempt.room_id == room.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .order_by(Registration.admission_number).with_for_update(of=Attempt)).all()
    for attempt, registration in rows:
        if finish_if_due(db_session, attempt, now=now, grace_seconds=grace_seconds, keys=keys, via="request"):
            continue
        if kind == IncidentKind.PAUSE and attempt.paused_at is None:
            clock.pause(attempt, now)
            affected.append(registration.admission_number)
        elif kind == IncidentKind.RESUME and attempt.paused_at is not None:
            credited[registration.admission_number] = clock.resume(attempt, now)
            affected.append(registration.admission_number)
    db_session.flush()
    details: dict[str, Any] = {"room": room_code, "admission_numbers": affected}
    if kind == IncidentKind.RESUME:
        details["credited_ms"] = credited
    _record(db_session, sitting=sitting, room_id=room.id, registration=None, kind=kind, reason=reason,
            details=details, now=now, actor=actor)
    return affected
