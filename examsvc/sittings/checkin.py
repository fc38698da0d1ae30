"""Candidate check-in by a proctor, and sign-in on the seat's own workstation (远程替考 defence).

A proctor present in the room confirms the candidate's ID number against the registration, records
the photo captured on site (its digest) and gives a seat whose workstation is approved; the
candidate receives a one-time code. Only that seat's workstation can then sign the candidate in,
with the admission number and the code; the code works once.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from examsvc.attempts.models import Attempt, AttemptStatus
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from examsvc.identity.tokens import digest_secret, new_secret
from examsvc.sites import rooms as site_rooms
from examsvc.sites.models import Seat, Workstation
from examsvc.sittings.models import CandidateCheckIn, Sitting, SittingStatus, StaffRole
from examsvc.sittings.presence import present
from examsvc.sittings.service import get

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
SESSION_PREFIX = "exc"
MAX_CODE_FAILURES = 5  # a 6-digit code must not be guessable from the seat's own workstation


def _code_digest(admission_number: str, code: str) -> str:
    return digest_secret(f"{admission_number}:{code}")


def issue_code(row: CandidateCheckIn, admission_number: str) -> str:
    """A fresh one-time sign-in code; any session the candidate had ends (a move or a reopen)."""
    one_time = f"{secrets.randbelow(10**6):06d}"
    row.code_digest = _code_digest(admission_number, one_time)
    row.failed_sign_ins = 0
    row.signed_in_at = None
    row.session_digest = None
    return one_time


def check_in(*, db_session: Session, code: str, admission_number: str, id_number: str, photo_digest: str,
             room_code: str, seat_number: int, now: datetime, actor: Actor) -> tuple[CandidateCheckIn, str]:
    """The check-in and the one-time sign-in code (shown once, to be handed to the candidate)."""
    sitting = get(db_session=db_session, code=code)
    if sitting.status == SittingStatus.CLOSED or (
            sitting.status == SittingStatus.OPEN
            and now > sitting.scheduled_start + timedelta(minutes=sitting.late_entry_minutes)):
        raise Conflict("已过入场截止时间。", code="entry_closed", detail={"sitting": code})
    room = site_rooms.get_room(db_session=db_session, site_code=sitting.site.code, code=room_code)
    proctor_here = any(a.user_id == actor.user_id and a.role == StaffRole.PROCTOR and a.room_id == room.id
                       for a in sitting.staff) and actor.user_id in present(db_session, sitting)
    if not proctor_here:
        raise Forbidden("只有在岗的本考场监考员可以为考生签到。", code="not_proctor_of_room",
                        detail={"sitting": code, "room": room_code})
    registration = db_session.scalars(select(Registration).where(
        Registration.sitting_id == sitting.id, Registration.admission_number == admission_number)).first()
    if registration is None:
        raise NotFound("本场次没有这个准考证号。", code="registration_not_found",
                       detail={"admission_number": admission_number})
    if not hmac.compare_digest(registration.candidate.id_number, id_number.strip().upper()):
        raise Forbidden("身份证号与报名信息不符。", code="identity_mismatch",
                        detail={"admission_number": admission_number})
    if not _DIGEST.match(photo_digest):
        raise InvalidInput("现场照片摘要应为64位十六进制SHA-256。", code="bad_photo_digest",
                           detail={"field": "photo_digest"})
    seat = next((s for s in room.seats if s.number == seat_number), None)
    if seat is None or seat.workstation_id is None:
        raise Conflict("该座位不存在或未绑定考试机。", code="seat_unusable",
                       detail={"room": room_code, "seat": seat_number})
    taken = db_session.scalars(select(CandidateCheckIn).where(CandidateCheckIn.sitting_id == sitting.id,
                                                              CandidateCheckIn.seat_id == seat.id)).first()
    if taken is not None:
        raise Conflict("该座位已有考生。", code="seat_taken", detail={"room": room_code, "seat": seat_number})
    if db_session.scalars(select(CandidateCheckIn).where(
            CandidateCheckIn.registration_id == registration.id)).first() is not None:
        raise Conflict("该考生已签到。", code="already_checked_in", detail={"admission_number": admission_number})
    row = CandidateCheckIn(sitting_id=sitting.id, registration_id=registration.id, seat_id=seat.id,
                           workstation_id=seat.workstation_id, photo_digest=photo_digest,
                           checked_in_by=actor.user_id or 0, checked_in_at=now)
    one_time = issue_code(row, admission_number)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="sitting.candidate_checked_in", subject_type="sitting",
                 subject_id=sitting.id, details={"admission_number": admission_number, "room": room_code,
                                                 "seat": seat_number, "workstation_id": seat.workstation_id,
                                                 "photo_digest": photo_digest,
                                                 "checked_in_at": audit.rfc3339(now)})
    return row, one_time


def sign_in(*, db_session: Session, admission_number: str, one_time_code: str, workstation: Workstation,
            actor: Actor) -> str:
    """A candidate session token, for this candidate on this workstation only."""
    row = db_session.scalars(select(CandidateCheckIn).join(Registration).where(
        Registration.admission_number == admission_number)).first()
    if row is None:
        raise NotAuthenticated("考生尚未由监考员签到。", code="not_checked_in")
    if row.workstation_id != workstation.id:
        raise Forbidden("请在监考员指定座位的考试机上登录。", code="wrong_workstation",
                        detail={"admission_number": admission_number})
    if row.signed_in_at is not None:
        raise Conflict("签到码已使用；如需重新登录请联系监考员。", code="code_used")
    if row.failed_sign_ins >= MAX_CODE_FAILURES:
        raise Forbidden("签到码错误次数过多，已锁定，请联系监考员重新签到。", code="code_locked")
    if not hmac.compare_digest(row.code_digest, _code_digest(admission_number, one_time_code.strip())):
        row.failed_sign_ins += 1
        left = MAX_CODE_FAILURES - row.failed_sign_ins
        # Said plainly on the seat's screen: how many tries are left, and that the fifth locks the code.
        message = (f"签到码不正确，还可再试 {left} 次；连续错误 {MAX_CODE_FAILURES} 次将锁定。" if left else
                   f"签到码不正确，已连续错误 {MAX_CODE_FAILURES} 次，登录已锁定，请联系监考员重新签到。")
        raise NotAuthenticated(message, code="wrong_code", detail={"tries_left": left}, keep_changes=True)
    _refuse_busy_workstation(db_session, workstation, row)
    token = new_secret(SESSION_PREFIX)
    row.signed_in_at = utcnow()
    row.session_digest = digest_secret(token)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="sitting.candidate_signed_in", subject_type="sitting",
                 subject_id=row.sitting_id, details={"admission_number": admission_number,
                                                    "workstation_id": workstation.id})
    return token


def _refuse_busy_workstation(db_session: Session, workstation: Workstation, row: CandidateCheckIn) -> None:
    """One candidate per workstation at a time: not while another candidate's attempt runs on it, nor
    while another candidate of a sitting not yet closed holds a session on it and has not handed in
    (a seat rebound to a machine still in use must not seat two candidates at one screen)."""
    running = db_session.scalars(select(Attempt.registration_id).where(
        Attempt.workstation_id == workstation.id, Attempt.status == AttemptStatus.IN_PROGRESS,
        Attempt.registration_id != row.registration_id)).first()
    signed_in = db_session.scalars(select(CandidateCheckIn.registration_id).join(
        Sitting, Sitting.id == CandidateCheckIn.sitting_id).outerjoin(
        Attempt, Attempt.registration_id == CandidateCheckIn.registration_id).where(
        CandidateCheckIn.workstation_id == workstation.id, CandidateCheckIn.session_digest.is_not(None),
        CandidateCheckIn.registration_id != row.registration_id, Sitting.status != SittingStatus.CLOSED,
        or_(Attempt.id.is_(None), Attempt.status == AttemptStatus.IN_PROGRESS))).first()
    if running is not None or signed_in is not None:  # the other candidate is not named to this one
        raise Conflict("这台考试机上另一名考生正在考试，请联系监考员。", code="workstation_busy",
                       detail={"workstation_id": workstation.id, "running_attempt": running is not None})


def checked_in(db_session: Session, sitting: Sitting, admission_number: str) -> tuple[Registration, CandidateCheckIn,
                                                                                      int]:
    """A candidate checked in for the sitting: registration, check-in and the room of their seat."""
    found = db_session.execute(select(Registration, CandidateCheckIn).join(
        CandidateCheckIn, CandidateCheckIn.registration_id == Registration.id).where(
        Registration.sitting_id == sitting.id, Registration.admission_number == admission_number)).first()
    if found is None:
        raise NotFound("本场次没有已签到的该考生。", code="candidate_not_checked_in",
                       detail={"admission_number": admission_number})
    registration, check_in = found
    seat = db_session.get(Seat, check_in.seat_id)
    assert seat is not None
    return registration, check_in, seat.room_id
