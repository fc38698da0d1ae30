"""Closing a sitting and its room record (考场记录, 暂行办法 art. 16): attendance, staff and timings as a
canonical document whose digest is logged, signed by the chief examiner with their own key."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts import service as answering
from examsvc.attempts.models import Attempt, AttemptStatus, Incident
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.envelope import KeyProvider
from examsvc.crypto.signed_note import sign_note
from examsvc.errors import Conflict, NotFound
from examsvc.examiners import service as examiners
from examsvc.identity import service as identity
from examsvc.papers import service as papers
from examsvc.papers.models import PaperSetStatus
from examsvc.practical import seeds as practical_seeds
from examsvc.sites.models import Room, Seat
from examsvc.sittings.models import CandidateCheckIn, Presence, RoomRecord, Sitting, SittingStatus
from examsvc.sittings.presence import require_chief_of
from examsvc.sittings.service import get

FORMAT = "examsvc-room-record/1"


def _time(moment: datetime | None) -> str | None:
    return audit.rfc3339(moment) if moment else None


def build_record(db_session: Session, sitting: Sitting) -> dict[str, Any]:
    rooms = {r.id: r.code for r in db_session.scalars(select(Room).where(
        Room.id.in_([sr.room_id for sr in sitting.rooms])))}
    checkins = {c.registration_id: c for c in db_session.scalars(select(CandidateCheckIn).where(
        CandidateCheckIn.sitting_id == sitting.id))}
    seats = {s.id: s for s in db_session.scalars(select(Seat).where(
        Seat.id.in_([c.seat_id for c in checkins.values()])))} if checkins else {}
    attempts = {a.registration_id: a for a in db_session.scalars(select(Attempt).where(
        Attempt.sitting_id == sitting.id))}
    attendance = []
    for registration in db_session.scalars(select(Registration).where(Registration.sitting_id == sitting.id)
                                           .order_by(Registration.admission_number)):
        check = checkins.get(registration.id)
        seat = seats.get(check.seat_id) if check else None
        attempt = attempts.get(registration.id)
        attendance.append({
            "admission_number": registration.admission_number, "present": check is not None,
            "started_at": _time(attempt.started_at) if attempt else None,
            "ended_at": _time(attempt.submitted_at) if attempt else None,
            "ended_how": attempt.submitted_how if attempt else None,
            "room": rooms.get(seat.room_id) if seat else None, "seat": seat.number if seat else None,
            "checked_in_at": _time(check.checked_in_at) if check else None,
            "signed_in_at": _time(check.signed_in_at) if check else None,
        })
    presences = {p.user_id: p for p in db_session.scalars(select(Presence).where(Presence.sitting_id == sitting.id))}
    staff = []
    for assignment in sitting.staff:
        person = presences.get(assignment.user_id)
        staff.append({
            "user_id": assignment.user_id, "name": identity.get_user(db_session=db_session,
                                                                     user_id=assignment.user_id).display_name,
            "role": assignment.role, "room": rooms.get(assignment.room_id) if assignment.room_id else None,
            "checked_in_at": _time(person.checked_in_at) if person else None,
            "checked_out_at": _time(person.checked_out_at) if person else None,
            "checkout_reason": person.checkout_reason if person else None,
        })
    return {
        "format": FORMAT, "sitting": sitting.code, "title": sitting.title, "site": sitting.site.code,
        "rooms": sorted(rooms.values()), "scheduled_start": _time(sitting.scheduled_start),
        "opened_at": _time(sitting.opened_at), "closed_at": _time(sitting.closed_at),
        "registered": len(attendance), "present": sum(1 for a in attendance if a["present"]),
        "attendance": attendance, "staff": staff,
        "incidents": incidents_of(db_session, sitting, rooms),
    }


def incidents_of(db_session: Session, sitting: Sitting, rooms: dict[int, str]) -> list[dict[str, Any]]:
    numbers = {row_id: number for row_id, number in db_session.execute(
        select(Registration.id, Registration.admission_number).where(Registration.sitting_id == sitting.id))}
    return [{"at": _time(i.at), "kind": i.kind, "room": rooms.get(i.room_id),
             "admission_number": numbers.get(i.registration_id) if i.registration_id else None,
             "reason": i.reason, "by": i.actor_id, "details": i.details}
            for i in db_session.scalars(select(Incident).where(Incident.sitting_id == sitting.id)
                                        .order_by(Incident.at, Incident.id))]


def close_sitting(*, db_session: Session, code: str, passphrase: str, now: datetime, grace_seconds: int,
                  keys: KeyProvider, actor: Actor) -> RoomRecord:
    """Attempts whose time is up are submitted first; a sitting with a candidate still answering (or
    paused) is not closed: the chief examiner resumes or removes them first."""
    sitting = get(db_session=db_session, code=code)
    require_chief_of(sitting, actor)
    if sitting.status != SittingStatus.OPEN:
        raise Conflict("只有已开考的场次可以结束。", code="sitting_not_open",
                       detail={"sitting": code, "status": sitting.status})
    answering.sweep(db_session=db_session, now=now, grace_seconds=grace_seconds, keys=keys, via="close",
                    sitting_id=sitting.id)
    running = list(db_session.scalars(select(Registration.admission_number).join(
        Attempt, Attempt.registration_id == Registration.id).where(
        Attempt.sitting_id == sitting.id, Attempt.status == AttemptStatus.IN_PROGRESS)))
    if running:
        raise Conflict("仍有考生在作答或处于暂停状态，不能结束场次。", code="attempts_in_progress", keep_changes=True,
                       detail={"sitting": code, "admission_numbers": running[:50]})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    sitting.status = SittingStatus.CLOSED
    sitting.closed_at = now
    for paper_set in papers.sets_of_sitting(db_session=db_session, sitting_code=code):
        if paper_set.status == PaperSetStatus.OPENED:
            papers.close_set(db_session=db_session, paper_set_id=paper_set.id, keys=keys, actor=actor)
    practical_seeds.reveal_seed(db_session, sitting, keys, actor)
    document = canonical_json(build_record(db_session, sitting))
    digest = hashlib.sha256(document).hexdigest()
    note = sign_note(f"examsvc room record\nsitting {code}\nsha256 {digest}\n", signer)
    record = RoomRecord(sitting_id=sitting.id, document=document.decode(), digest=digest, signed_note=note,
                        created_at=now)
    db_session.add(record)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="sitting.closed", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": code, "room_record_digest": digest})
    return record


def get_record(*, db_session: Session, code: str) -> RoomRecord:
    sitting = get(db_session=db_session, code=code)
    record = db_session.get(RoomRecord, sitting.id)
    if record is None:
        raise NotFound("场次尚未结束，没有考场记录。", code="room_record_missing", detail={"sitting": code})
    return record
