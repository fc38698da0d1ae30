from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.attempts import autosave, clock, proctor, service
from examsvc.attempts.access import CandidateCredentials, authenticate, require_candidate
from examsvc.attempts.models import Answer, AnswerSheet, Attempt, AttemptStatus, IncidentKind
from examsvc.blueprints import service as blueprints
from examsvc.candidates.models import Registration
from examsvc.db import DbSession, in_request_transaction, utcnow
from examsvc.dependencies import SettingsDep, get_settings
from examsvc.identity.roles import Role
from examsvc.limits import AdmissionNumberPath
from examsvc.results.models import Result
from examsvc.sittings.access import Scope, SittingCaller, require_sitting
from examsvc.sittings.models import Sitting
from examsvc.sittings.service import get as get_sitting
from examsvc.sittings.service import theory_rule

candidate_router = APIRouter(prefix="/attempt", tags=["answering"])
proctor_router = APIRouter(prefix="/sittings/{code}", tags=["answering"])
Candidate = Annotated[CandidateCredentials, Depends(require_candidate)]
Proctor = Annotated[SittingCaller, Depends(require_sitting({
    Role.PROCTOR: Scope.ASSIGNED, Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
Watcher = Annotated[SittingCaller, Depends(require_sitting({
    Role.PROCTOR: Scope.ASSIGNED, Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.EXAM_ADMIN: Scope.PROVINCE,
    Role.INSPECTOR: Scope.PROVINCE}))]


# Positions count from 0 in the candidate's paper order (the paper document's `items`, docs/assembly.md).
POSITION = "the question's place in the candidate's paper, counting from 0 (0 is the first question)"
OPTIONS = ("the options in the candidate's order, relabelled A, B, …; empty (`[]`) for a 判断题 (true_false), "
           "which is answered T or F")


class AnswerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int = Field(description=POSITION, examples=[0])
    response: str
    flagged: bool
    seq: int


class Clock(BaseModel):
    status: AttemptStatus
    deadline: datetime
    remaining_seconds: float
    paused: bool

    @classmethod
    def of(cls, attempt: Attempt, now: datetime) -> Clock:
        return cls(status=AttemptStatus(attempt.status), deadline=clock.deadline(attempt),
                   remaining_seconds=clock.remaining_seconds(attempt, now), paused=attempt.paused_at is not None)


class OptionRead(BaseModel):
    label: str
    text: str


class ItemRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"position": 0, "type": "true_false", "points": 10, "stem": "……", "options": []},
        {"position": 1, "type": "single_choice", "points": 10, "stem": "……",
         "options": [{"label": "A", "text": "……"}, {"label": "B", "text": "……"}]}]})

    position: int = Field(description=POSITION)
    type: str = Field(description="true_false 判断题, single_choice 单选题 or multiple_choice 多选题")
    points: int = Field(description="tenths of a point")
    stem: str
    options: list[OptionRead] = Field(description=OPTIONS)


class StartRead(BaseModel):
    clock: Clock
    items: list[ItemRead]
    answers: list[AnswerRead]


class StateRead(BaseModel):
    clock: Clock
    answers: list[AnswerRead]


class SaveBody(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"response": "B", "seq": 3, "flagged": False}]})

    response: str = Field(max_length=8, description="判断题 T/F；选择题为显示的选项字母，如 B 或 ACD；空串表示清除")
    seq: int = Field(ge=1, le=2**31 - 1, description="per-question sequence number, increasing with each change")
    flagged: bool = False


class SaveRead(BaseModel):
    accepted: bool = Field(description="false: a newer save of this question was already stored (stale retry)")
    answer: AnswerRead
    clock: Clock

    @classmethod
    def of(cls, saved: autosave.Saved, now: datetime) -> SaveRead:
        return cls(accepted=saved.accepted, answer=AnswerRead.model_validate(saved.answer),
                   clock=Clock.of(saved.attempt, now))


class SubmitBody(BaseModel):
    confirm: Literal[True] = Field(description="the candidate confirmed on screen that they hand in")


class SubmitRead(BaseModel):
    status: AttemptStatus
    ended_at: datetime
    answer_sheet: str = Field(description="SHA-256 of the sealed answer sheet")
    score: int | None = Field(description="tenths of a point; null when the rule does not show scores at the end")
    passed: bool | None
    total_points: int


@candidate_router.post("/start", response_model=StartRead,
                       summary="The candidate's paper (stems and options, never answers) and the server's deadline")
async def start(credentials: Candidate, request: Request) -> StartRead:
    settings = get_settings(request)

    def work(db_session: Session) -> StartRead:
        now = utcnow()
        started = service.start(db_session=db_session, candidate=authenticate(db_session, credentials), now=now,
                                grace_seconds=settings.answer_grace_seconds, keys=request.app.state.paper_keys)
        return StartRead(clock=Clock.of(started.attempt, now),
                         items=[ItemRead.model_validate(i) for i in started.paper],
                         answers=[AnswerRead.model_validate(a) for a in started.answers])

    return await in_request_transaction(request, work)


@candidate_router.get("", response_model=StateRead, summary="Remaining time and saved answers")
async def state(credentials: Candidate, request: Request) -> StateRead:
    settings = get_settings(request)

    def work(db_session: Session) -> StateRead:
        now = utcnow()
        attempt, answers = service.current(db_session=db_session, candidate=authenticate(db_session, credentials),
                                           now=now, grace_seconds=settings.answer_grace_seconds,
                                           keys=request.app.state.paper_keys)
        return StateRead(clock=Clock.of(attempt, now), answers=[AnswerRead.model_validate(a) for a in answers])

    return await in_request_transaction(request, work)


@candidate_router.put("/answers/{position}", response_model=SaveRead,
                      summary="Save one answer (durable before the response; a stale seq changes nothing)")
async def save(position: Annotated[int, Path(ge=0, le=2**31 - 1, description=POSITION)], body: SaveBody,
               credentials: Candidate, request: Request) -> SaveRead:
    settings = get_settings(request)
    connections: autosave.LoopConnections | None = request.app.state.loop_connections
    if connections is not None:
        now = utcnow()
        done = await autosave.save_on_loop(connections, credentials=credentials, position=position,
                                           response=body.response, seq=body.seq, flagged=body.flagged, now=now,
                                           grace_seconds=settings.answer_grace_seconds)
        if done is not None:
            return SaveRead.of(done, now)

    def work(db_session: Session) -> SaveRead:
        now = utcnow()
        saved = autosave.save(db_session=db_session, credentials=credentials, position=position,
                              response=body.response, seq=body.seq, flagged=body.flagged, now=now,
                              grace_seconds=settings.answer_grace_seconds, keys=request.app.state.paper_keys)
        return SaveRead.of(saved, now)

    return await in_request_transaction(request, work)


@candidate_router.post("/submit", response_model=SubmitRead, summary="Hand in (交卷): the answer sheet is sealed")
async def submit(body: SubmitBody, credentials: Candidate, request: Request) -> SubmitRead:
    settings = get_settings(request)

    def work(db_session: Session) -> SubmitRead:
        now = utcnow()
        attempt, result = service.submit(db_session=db_session, candidate=authenticate(db_session, credentials),
                                         now=now, grace_seconds=settings.answer_grace_seconds,
                                         keys=request.app.state.paper_keys)
        return _submitted(db_session, attempt, result)

    return await in_request_transaction(request, work)


def _submitted(db_session: Session, attempt: Attempt, result: Result) -> SubmitRead:
    sitting = db_session.get(Sitting, attempt.sitting_id)
    sheet = db_session.get(AnswerSheet, attempt.id)
    assert sitting is not None and sheet is not None and attempt.submitted_at is not None
    rule = blueprints.rule_of(theory_rule(db_session, sitting))
    return SubmitRead(status=AttemptStatus(attempt.status), ended_at=attempt.submitted_at, answer_sheet=sheet.digest,
                      score=result.score if rule.show_score else None,
                      passed=result.passed if rule.show_score else None, total_points=rule.total_points)


class ActionBody(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "考试机死机", "seat": 30}]})

    reason: str = Field(min_length=1, max_length=300)
    minutes: int | None = Field(default=None, ge=1, le=proctor.MAX_EXTRA_MINUTES, description="extra-time only")
    seat: int | None = Field(default=None, ge=1, description="move only: the new seat in the same room; its "
                                                             "workstation must be bound and free")


class ActedRead(BaseModel):
    admission_number: str
    clock: Clock | None
    one_time_code: str | None = Field(default=None, description="after a move or reopen: shown once, for the "
                                                                "candidate to sign in again")


Action = Literal["pause", "resume", "extra-time", "warning", "removal", "move", "reopen"]


@proctor_router.post("/attempts/{admission_number}/{action}", response_model=ActedRead,
                     summary="A proctor action on one candidate, with a reason: pause, resume (the paused span is "
                             "credited exactly), extra-time (minutes), warning, removal (the score is void), move "
                             "(to another seat's workstation; answers kept, paused until resumed), reopen (after "
                             "a crash: a new one-time code, paused until resumed)")
def act(code: str, admission_number: AdmissionNumberPath, action: Action, body: ActionBody, current: Proctor,
        request: Request, db_session: DbSession, settings: SettingsDep) -> ActedRead:
    now = utcnow()
    acted = proctor.act(db_session=db_session, code=code, admission_number=admission_number,
                        kind=IncidentKind(action.replace("-", "_")), reason=body.reason, now=now,
                        grace_seconds=settings.answer_grace_seconds, keys=request.app.state.paper_keys,
                        actor=current.actor, minutes=body.minutes, seat_number=body.seat)
    return ActedRead(admission_number=admission_number,
                     clock=Clock.of(acted.attempt, now) if acted.attempt is not None else None,
                     one_time_code=acted.one_time_code)


class RoomActedRead(BaseModel):
    room: str
    admission_numbers: list[str]


@proctor_router.post("/rooms/{room}/{action}", response_model=RoomActedRead,
                     summary="Pause or resume every running attempt of a room (an outage)")
def room_action(code: str, room: str, action: Literal["pause", "resume"], body: ActionBody, current: Proctor,
                request: Request, db_session: DbSession, settings: SettingsDep) -> RoomActedRead:
    affected = proctor.act_on_room(db_session=db_session, code=code, room_code=room, kind=IncidentKind(action),
                                   reason=body.reason, now=utcnow(), grace_seconds=settings.answer_grace_seconds,
                                   keys=request.app.state.paper_keys, actor=current.actor)
    return RoomActedRead(room=room, admission_numbers=affected)


class BoardRow(BaseModel):
    admission_number: str
    status: AttemptStatus
    remaining_seconds: float
    paused: bool
    answered: int
    items: int


@proctor_router.get("/attempts", response_model=list[BoardRow],
                    summary="The room board: each started candidate's state, time left and answered count")
def board(code: str, _: Watcher, db_session: DbSession) -> list[BoardRow]:
    sitting = get_sitting(db_session=db_session, code=code)
    now = utcnow()
    rows = db_session.execute(select(Attempt, Registration.admission_number).join(
        Registration, Registration.id == Attempt.registration_id).where(Attempt.sitting_id == sitting.id)
        .order_by(Registration.admission_number)).all()
    counts: dict[int, int] = {attempt_id: n for attempt_id, n in db_session.execute(
        select(Answer.attempt_id, func.count()).join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.sitting_id == sitting.id, Answer.response != "").group_by(Answer.attempt_id))}
    return [BoardRow(admission_number=number, status=AttemptStatus(a.status),
                     remaining_seconds=clock.remaining_seconds(a, now) if a.status == AttemptStatus.IN_PROGRESS else 0,
                     paused=a.paused_at is not None, answered=counts.get(a.id, 0), items=a.item_count)
            for a, number in rows]
