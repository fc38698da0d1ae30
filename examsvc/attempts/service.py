"""Answering: start, durable autosave, submit, and the deadline (答卷).

Every save is committed before its response (the request's transaction), so an acknowledged answer
is never lost. A save holds a shared lock on its attempt row and a submission an exclusive one: a
save is either in the sealed sheet or refused, never acknowledged and then left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from examsvc import localtime
from examsvc.attempts import clock, content
from examsvc.attempts.access import CurrentCandidate
from examsvc.attempts.models import Answer, AnswerSheet, Attempt, AttemptStatus, SubmittedHow
from examsvc.attempts.sheet import sealed_bytes, sheet_document
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.blueprints import service as blueprints
from examsvc.candidates.models import Registration
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.papers.models import Paper, PaperSet
from examsvc.results import service as results
from examsvc.results.models import Result
from examsvc.sites.models import Seat
from examsvc.sittings import timing
from examsvc.sittings.models import Sitting, SittingStatus
from examsvc.sittings.presence import room_staffed

DEADLINE_ACTOR = Actor.system("deadline")


def attempt_of(db_session: Session, registration_id: int, *, lock: bool = False,
               share: bool = False) -> Attempt | None:
    query = select(Attempt).where(Attempt.registration_id == registration_id)
    if lock or share:
        query = query.with_for_update(read=share and not lock)
    return db_session.scalars(query.execution_options(populate_existing=True)).first()


def _time_up(attempt: Attempt, registration: Registration) -> Conflict:
    return Conflict("考试时间已到，答卷已自动提交。", code="time_up", keep_changes=True,
                    detail={"admission_number": registration.admission_number,
                            "deadline": audit.rfc3339(clock.deadline(attempt))})


def finish(db_session: Session, attempt: Attempt, *, ended_at: datetime, how: SubmittedHow, keys: KeyProvider,
           actor: Actor, via: str) -> Result:
    """Seals the answer sheet, scores it (result version 1) and logs both digests."""
    registration = db_session.get(Registration, attempt.registration_id)
    assert registration is not None
    opened = _opened(db_session, attempt, keys)
    paper, paper_set = opened.paper, opened.paper_set
    credited_ms = clock.resume(attempt, ended_at)  # a paused attempt ends: its pause is credited, and logged
    answers = list(db_session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)))
    document = sheet_document(sitting=paper_set.sitting_code, candidate=registration.admission_number,
                              paper_digest=paper.digest, attempt=attempt, ended_at=ended_at, how=how, answers=answers)
    data, digest = sealed_bytes(document)
    attempt.status = AttemptStatus.REMOVED if how == SubmittedHow.REMOVED else AttemptStatus.SUBMITTED
    attempt.submitted_at = ended_at
    attempt.submitted_how = how
    db_session.add(AnswerSheet(attempt_id=attempt.id, document=data.decode(), digest=digest))
    rule = blueprints.rule_of(blueprints.get(db_session=db_session, blueprint_id=paper_set.blueprint_version_id))
    result = results.first_result(db_session, attempt=attempt, registration=registration,
                                  sitting=paper_set.sitting_code, lines=opened.lines(), sheet=document,
                                  sheet_digest=digest, paper_digest=paper.digest, rule=rule)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="attempt.submitted", subject_type="sitting",
                 subject_id=attempt.sitting_id, details={
                     "admission_number": registration.admission_number, "how": str(how), "via": via,
                     "ended_at": audit.rfc3339(ended_at), "answer_sheet": digest, "result": result.digest,
                     "credited_ms": credited_ms})
    return result


def finish_if_due(db_session: Session, attempt: Attempt, *, now: datetime, grace_seconds: int, keys: KeyProvider,
                  via: str) -> bool:
    if attempt.status != AttemptStatus.IN_PROGRESS or not clock.is_due(attempt, now, grace_seconds):
        return False
    finish(db_session, attempt, ended_at=clock.deadline(attempt), how=SubmittedHow.DEADLINE, keys=keys,
           actor=DEADLINE_ACTOR, via=via)
    return True


def sweep(*, db_session: Session, now: datetime, grace_seconds: int, keys: KeyProvider, via: str,
          sitting_id: int | None = None) -> list[str]:
    """Submits every attempt whose time (plus the grace) is up; the admission numbers it submitted."""
    running = [Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.paused_at.is_(None)]
    if sitting_id is not None:
        running.append(Attempt.sitting_id == sitting_id)
    shortest = db_session.scalar(select(func.min(Attempt.duration_seconds)).where(*running))
    if shortest is None:
        return []
    cutoff = now - timedelta(seconds=grace_seconds)
    # No attempt ends before its start plus the shortest duration: for most of an exam this reads no
    # row at all (the sweep runs every few seconds in every worker, beside the saves).
    candidates = db_session.execute(select(
        Attempt.registration_id, Attempt.started_at, Attempt.duration_seconds, Attempt.extra_seconds,
        Attempt.pause_credit_ms).where(*running, Attempt.started_at < cutoff - timedelta(seconds=shortest))).all()
    done = []
    for row in candidates:
        end = row.started_at + timedelta(seconds=row.duration_seconds + row.extra_seconds,
                                         milliseconds=row.pause_credit_ms)
        if end >= cutoff:
            continue
        attempt = attempt_of(db_session, row.registration_id, lock=True)  # re-read under lock: a request may
        if attempt is not None and finish_if_due(db_session, attempt, now=now,  # have got there first
                                                 grace_seconds=grace_seconds, keys=keys, via=via):
            registration = db_session.get(Registration, attempt.registration_id)
            assert registration is not None
            done.append(registration.admission_number)
    return done


@dataclass(frozen=True)
class Started:
    attempt: Attempt
    paper: list[dict[str, object]]
    answers: list[Answer]


def start(*, db_session: Session, candidate: CurrentCandidate, now: datetime, grace_seconds: int,
          keys: KeyProvider, zone_name: str = localtime.DEFAULT_ZONE) -> Started:
    """The candidate's paper in paper order (stems and options only) and the server's deadline.
    Calling it again (after a reload, a move or a reopen) returns the same paper and the saved answers.

    统一开考 (sittings.timing): not before the scheduled start; the rule's duration from the
    candidate's own start, never past the sitting's latest end (``timing.allowed_seconds``)."""
    registration = candidate.registration
    attempt = attempt_of(db_session, registration.id, lock=True)
    if attempt is None:
        sitting, seat, paper, paper_set = require_startable(db_session=db_session, candidate=candidate, now=now,
                                                            zone_name=zone_name)
        opened = content.open_paper(db_session, paper, paper_set, keys)
        attempt = Attempt(sitting_id=sitting.id, registration_id=registration.id, paper_id=paper.id,
                          room_id=seat.room_id, workstation_id=candidate.workstation.id,
                          item_count=len(opened.document["items"]), shape=opened.shape(), started_at=now,
                          duration_seconds=timing.allowed_seconds(sitting, now), pause_credit_ms=0, extra_seconds=0,
                          status=AttemptStatus.IN_PROGRESS)
        db_session.add(attempt)
        db_session.flush()
        audit.record(db_session=db_session, actor=candidate.actor, action="attempt.started", subject_type="sitting",
                     subject_id=sitting.id, details={
                         "admission_number": registration.admission_number, "paper": paper.digest,
                         "workstation_id": candidate.workstation.id, "started_at": audit.rfc3339(now),
                         "deadline": audit.rfc3339(clock.deadline(attempt))})
        return Started(attempt=attempt, paper=opened.for_candidate(), answers=[])
    _require_running(db_session, attempt, registration, now=now, grace_seconds=grace_seconds, keys=keys)
    opened = _opened(db_session, attempt, keys)
    return Started(attempt=attempt, paper=opened.for_candidate(), answers=answers_of(db_session, attempt))


def require_startable(*, db_session: Session, candidate: CurrentCandidate, now: datetime,
                      zone_name: str = localtime.DEFAULT_ZONE) -> tuple[Sitting, Seat, Paper, PaperSet]:
    """Whether the candidate may begin answering now, or the refusal that says why not (未开考, 监考员不足,
    试卷未解封): ``start`` and the workstation's instructions page (its 开始答题 button) ask the same."""
    # Only the sitting's own columns: its rooms and staff (eager by default) are not needed here.
    sitting = db_session.get(Sitting, candidate.registration.sitting_id, options=[
        lazyload(Sitting.site), lazyload(Sitting.rooms), lazyload(Sitting.staff)])
    assert sitting is not None
    if sitting.status != SittingStatus.OPEN:
        raise Conflict("考试场次尚未开考或已结束。", code="sitting_not_open",
                       detail={"sitting": sitting.code, "status": sitting.status})
    _require_exam_time(sitting, now, zone_name)
    seat = db_session.get(Seat, candidate.check_in.seat_id)
    assert seat is not None
    if not room_staffed(db_session, sitting, seat.room_id):
        raise Conflict("本考场监考员人数不足，暂停新开考，请等候监考员到岗。", code="room_understaffed",
                       detail={"sitting": sitting.code})
    paper, paper_set = content.find_paper(db_session, sitting.code, candidate.registration.admission_number)
    return sitting, seat, paper, paper_set


def _require_exam_time(sitting: Sitting, now: datetime, zone_name: str) -> None:
    if now < sitting.scheduled_start:
        opens = localtime.local_text(sitting.scheduled_start, zone_name)
        raise Conflict(f"考试尚未开始：统一开考时间为 {opens}，届时方可开始作答。", code="exam_not_started",
                       detail={"sitting": sitting.code, "starts_at": audit.rfc3339(sitting.scheduled_start),
                               "starts_at_local": opens, "time_zone": zone_name})
    if now >= timing.latest_end(sitting):
        raise Conflict("本场考试时间已结束，不能开始作答。", code="exam_time_over",
                       detail={"sitting": sitting.code, "ended_at": audit.rfc3339(timing.latest_end(sitting))})


def _opened(db_session: Session, attempt: Attempt, keys: KeyProvider) -> content.OpenedPaper:
    paper = db_session.get(Paper, attempt.paper_id)
    assert paper is not None
    paper_set = db_session.get(PaperSet, paper.paper_set_id)
    assert paper_set is not None
    return content.open_paper(db_session, paper, paper_set, keys)


def answers_of(db_session: Session, attempt: Attempt) -> list[Answer]:
    return list(db_session.scalars(select(Answer).where(Answer.attempt_id == attempt.id).order_by(Answer.position)
                                   .execution_options(populate_existing=True)))


def _require_running(db_session: Session, attempt: Attempt, registration: Registration, *, now: datetime,
                     grace_seconds: int, keys: KeyProvider) -> None:
    if finish_if_due(db_session, attempt, now=now, grace_seconds=grace_seconds, keys=keys, via="request"):
        raise _time_up(attempt, registration)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict("答卷已提交，不能再作答。", code="attempt_submitted",
                       detail={"admission_number": registration.admission_number, "status": attempt.status})


def current(*, db_session: Session, candidate: CurrentCandidate, now: datetime, grace_seconds: int,
            keys: KeyProvider) -> tuple[Attempt, list[Answer]]:
    attempt = attempt_of(db_session, candidate.registration.id)
    if attempt is None:
        raise NotFound("尚未开始作答。", code="attempt_not_started")
    if finish_if_due(db_session, attempt, now=now, grace_seconds=grace_seconds, keys=keys, via="request"):
        raise _time_up(attempt, candidate.registration)
    return attempt, answers_of(db_session, attempt)


_CHOICE = re.compile(r"^[A-Z]*$")


def normalise_response(shape: str, position: int, response: str) -> str:
    """The response as stored (choice letters sorted), or a refusal naming the question and the field."""
    kind, size = shape[0], int(shape[1:] or 0)
    value = response.strip().upper()
    if kind == "t":
        ok = value in ("", "T", "F")
    else:
        letters = sorted(set(value))
        allowed = {chr(ord("A") + i) for i in range(size)}
        ok = bool(_CHOICE.match(value)) and set(letters) <= allowed and len(letters) == len(value) and (
            kind == "m" or len(letters) <= 1)
        value = "".join(letters)
    if not ok:
        raise InvalidInput("答案格式不符合该题题型。", code="bad_response",
                           detail={"position": position, "field": "response",
                                   "expected": {"t": "T/F", "s": "one letter", "m": "letters"}[kind]})
    return value


def answering(db_session: Session, registration: Registration, *, share: bool, now: datetime, grace_seconds: int,
               keys: KeyProvider) -> Attempt:
    """The candidate's running, unpaused attempt, locked: shared for a save, exclusive for a submit."""
    attempt = attempt_of(db_session, registration.id, share=share, lock=not share)
    if attempt is None:
        raise NotFound("尚未开始作答。", code="attempt_not_started")
    _require_running(db_session, attempt, registration, now=now, grace_seconds=grace_seconds, keys=keys)
    if attempt.paused_at is not None:
        raise Conflict("监考员已暂停本场作答，请等候恢复。", code="attempt_paused",
                       detail={"admission_number": registration.admission_number})
    return attempt


def submit(*, db_session: Session, candidate: CurrentCandidate, now: datetime, grace_seconds: int,
           keys: KeyProvider) -> tuple[Attempt, Result]:
    attempt = answering(db_session, candidate.registration, share=False, now=now, grace_seconds=grace_seconds,
                         keys=keys)
    # A click inside the network grace counts as made at the deadline, never later.
    ended_at = min(now, clock.deadline(attempt))
    result = finish(db_session, attempt, ended_at=ended_at, how=SubmittedHow.CANDIDATE, keys=keys,
                    actor=candidate.actor, via="candidate")
    return attempt, result
