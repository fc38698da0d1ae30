"""What each workstation page shows, read through the services (no rule of the exam decided here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.attempts import service as attempts
from examsvc.attempts.access import CandidateCredentials, CurrentCandidate, authenticate
from examsvc.attempts.models import Answer, Attempt
from examsvc.blueprints import service as blueprints
from examsvc.candidates.id_number import masked
from examsvc.errors import ExamServiceError
from examsvc.identity import browser
from examsvc.results.models import Result
from examsvc.sites import service as sites
from examsvc.sites.models import Room, Seat, Site, Workstation
from examsvc.sittings.models import Sitting, SittingRoom, SittingStatus
from examsvc.sittings.service import theory_rule


@dataclass(frozen=True)
class Place:
    site: str
    room: str | None
    seat: int | None


@dataclass(frozen=True)
class Station:
    """The browser's workstation, or why it has none (``refusal``: unknown, pending, revoked)."""

    workstation: Workstation | None
    refusal: ExamServiceError | None


def station(db_session: Session, request: Request) -> Station:
    credential = request.cookies.get(browser.WORKSTATION_COOKIE)
    if not credential:
        return Station(None, None)
    try:
        return Station(sites.authenticate_workstation(db_session=db_session, credential=credential), None)
    except ExamServiceError as refused:
        return Station(None, refused)


def place(db_session: Session, workstation: Workstation) -> tuple[Place, Seat | None]:
    site = db_session.get(Site, workstation.site_id)
    seat = db_session.scalars(select(Seat).where(Seat.workstation_id == workstation.id)).first()
    room = db_session.get(Room, seat.room_id) if seat is not None else None
    return Place(site=site.name if site else "", room=room.name if room else None,
                 seat=seat.number if seat else None), seat


def next_sitting(db_session: Session, seat: Seat | None) -> Sitting | None:
    """The room's open sitting, else its next scheduled one (the seat screen names it)."""
    if seat is None:
        return None
    return db_session.scalars(select(Sitting).join(SittingRoom, SittingRoom.sitting_id == Sitting.id).where(
        SittingRoom.room_id == seat.room_id, Sitting.status != SittingStatus.CLOSED).order_by(
        (Sitting.status != SittingStatus.OPEN), Sitting.scheduled_start)).first()


def candidate(db_session: Session, request: Request) -> CurrentCandidate | None:
    credential = request.cookies.get(browser.WORKSTATION_COOKIE)
    session = request.cookies.get(browser.CANDIDATE_COOKIE)
    if not credential or not session:
        return None
    try:
        return authenticate(db_session, CandidateCredentials(request=request, credential=credential, session=session))
    except ExamServiceError:
        return None


@dataclass(frozen=True)
class Who:
    name: str
    id_masked: str
    admission_number: str
    subject: str
    duration_minutes: int
    starts_at: str
    place: Place
    show_score: bool


def who(db_session: Session, current: CurrentCandidate, zone_name: str) -> Who:
    registration = current.registration
    sitting = db_session.get(Sitting, registration.sitting_id)
    assert sitting is not None
    where, _ = place(db_session, current.workstation)
    rule = blueprints.rule_of(theory_rule(db_session, sitting))
    return Who(name=registration.candidate.name, id_masked=masked(registration.candidate.id_number),
               admission_number=registration.admission_number, subject=sitting.title,
               duration_minutes=sitting.duration_minutes,
               starts_at=localtime.local_text(sitting.scheduled_start, zone_name), place=where,
               show_score=rule.show_score)


# The short reason the instructions page gives beside the start's own message.
REFUSAL_LABELS = {"sitting_not_open": "未开考", "exam_not_started": "未开考", "room_understaffed": "监考员不足",
                  "paper_sealed": "试卷未解封", "no_paper": "无试卷", "exam_time_over": "考试已结束"}


def refusal_text(refused: ExamServiceError) -> str:
    label = REFUSAL_LABELS.get(refused.code)
    return f"暂不能开始（{label}）：{refused.message}" if label else f"暂不能开始：{refused.message}"


def readiness(db_session: Session, current: CurrentCandidate, now: datetime, zone_name: str) -> ExamServiceError | None:
    """None when 开始答题 may be pressed now, else the refusal ``POST /attempt/start`` would give."""
    try:
        attempts.require_startable(db_session=db_session, candidate=current, now=now, zone_name=zone_name)
    except ExamServiceError as refused:
        return refused
    return None


def attempt(db_session: Session, current: CurrentCandidate) -> Attempt | None:
    return attempts.attempt_of(db_session, current.registration.id)


def resume_position(db_session: Session, found: Attempt) -> int:
    """Where a candidate who comes back on another workstation (a move) lands: the question saved last.
    The same browser keeps the exact question it showed (local storage), which takes precedence."""
    latest = db_session.scalars(select(Answer.position).where(Answer.attempt_id == found.id).order_by(
        Answer.saved_at.desc(), Answer.position.desc()).limit(1)).first()
    return latest or 0


def result(db_session: Session, found: Attempt) -> Result | None:
    return db_session.scalars(select(Result).where(Result.attempt_id == found.id).order_by(
        Result.version)).first()
