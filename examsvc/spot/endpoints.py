"""逢查必考 over HTTP: inspections, the draw, spot exams on the officer's device (docs/spot-exams.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts import clock
from examsvc.banks.document import INDUSTRY_LABELS, PERSON_KIND_LABELS, Industry, PersonKind
from examsvc.candidates.id_number import masked
from examsvc.certificates.models import Certificate
from examsvc.certificates.service import today_in
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.errors import Forbidden
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.endpoints import login_policy
from examsvc.identity.roles import PROVINCE_READERS, Role
from examsvc.spot import exams, inspections
from examsvc.spot.access import HandedOver, require_handover
from examsvc.spot.models import Inspection, SpotExam, SpotPerson
from examsvc.spot.roster import read_roster, read_roster_file
from examsvc.uploads import upload_body

router = APIRouter(prefix="/spot", tags=["spot exams"])
Officer = Annotated[CurrentUser, Depends(require_roles(Role.ENFORCEMENT_OFFICER))]
Reader = Annotated[CurrentUser, Depends(require_roles(Role.ENFORCEMENT_OFFICER, *PROVINCE_READERS))]
Handover = Annotated[HandedOver, Depends(require_handover)]


def _keys(request: Request) -> Any:
    return request.app.state.paper_keys


class InspectionCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "enterprise_name": "山西某化工有限公司", "credit_code": "91140100MA0K5C7Q3B", "industry": "hazardous_chemicals",
        "city": "太原市", "address": "太原市小店区某路1号", "inspected_on": "2026-12-07", "blueprint_id": 7,
        "draw_count": 3}]})

    enterprise_name: str = Field(min_length=1, max_length=200, description="被检查单位名称")
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100, checked)")
    industry: Industry
    city: str = Field(min_length=1, max_length=50, description="所在市")
    address: str = Field(min_length=1, max_length=300)
    inspected_on: date
    blueprint_id: int = Field(description="an approved spot-exam rule (purpose spot) for the industry")
    draw_count: int = Field(ge=1, le=inspections.MAX_DRAW, description="how many people the draw picks")


class ExamSummary(BaseModel):
    id: int
    status: str
    score: int | None = Field(description="tenths of a point")
    total_points: int
    pass_mark: int
    passed: bool | None
    retraining: str | None
    certificate_number: str | None
    started_at: datetime
    submitted_at: datetime | None
    submitted_how: str | None
    paper_digest: str
    answer_sheet_digest: str | None
    result_digest: str | None


class PersonRead(BaseModel):
    id: int
    name: str
    id_number_masked: str = Field(description="the ID number with its middle hidden")
    person_digest: str
    post: str
    kind: PersonKind | None
    kind_label: str | None
    manual: bool
    manual_reason: str | None
    draw_order: int | None
    exam: ExamSummary | None


class InspectionRead(BaseModel):
    id: int
    code: str
    enterprise_name: str
    credit_code: str
    industry: Industry
    industry_label: str
    city: str
    address: str
    inspected_on: date
    status: str
    blueprint_version_id: int
    draw_count: int
    roster_size: int
    roster_digest: str | None
    seed_commitment: str
    revealed_seed: str | None
    lead_officer_id: int
    second_officer_id: int | None
    created_at: datetime
    drawn_at: datetime | None
    closed_at: datetime | None
    people: list[PersonRead] | None = Field(default=None, description="in the detail only")


def _summary(db_session: Session, exam: SpotExam) -> ExamSummary:
    number = None if exam.certificate_id is None else db_session.get(Certificate, exam.certificate_id)
    return ExamSummary(id=exam.id, status=exam.status, score=exam.score, total_points=exam.total_points,
                       pass_mark=exam.pass_mark, passed=exam.passed, retraining=exam.retraining,
                       certificate_number=None if number is None else number.number, started_at=exam.started_at,
                       submitted_at=exam.submitted_at, submitted_how=exam.submitted_how,
                       paper_digest=exam.paper_digest, answer_sheet_digest=exam.sheet_digest,
                       result_digest=exam.result_digest)


def _person(db_session: Session, person: SpotPerson, exam: SpotExam | None) -> PersonRead:
    kind = None if person.kind is None else PersonKind(person.kind)
    return PersonRead(id=person.id, name=person.name, id_number_masked=masked(person.id_number),
                      person_digest=person.person_digest, post=person.post, kind=kind,
                      kind_label=None if kind is None else PERSON_KIND_LABELS[kind], manual=person.manual,
                      manual_reason=person.manual_reason, draw_order=person.draw_order,
                      exam=None if exam is None else _summary(db_session, exam))


def inspection_read(db_session: Session, inspection: Inspection, *, detail: bool) -> InspectionRead:
    read = InspectionRead(
        id=inspection.id, code=inspection.code, enterprise_name=inspection.enterprise_name,
        credit_code=inspection.credit_code, industry=Industry(inspection.industry),
        industry_label=INDUSTRY_LABELS[Industry(inspection.industry)], city=inspection.city,
        address=inspection.address, inspected_on=inspection.inspected_on, status=inspection.status,
        blueprint_version_id=inspection.blueprint_version_id, draw_count=inspection.draw_count,
        roster_size=inspection.roster_size, roster_digest=inspection.roster_digest,
        seed_commitment=inspection.seed_commitment, revealed_seed=inspection.revealed_seed,
        lead_officer_id=inspection.lead_officer_id, second_officer_id=inspection.second_officer_id,
        created_at=inspection.created_at, drawn_at=inspection.drawn_at, closed_at=inspection.closed_at)
    if detail:
        by_person = {e.person_id: e for e in db_session.scalars(
            select(SpotExam).where(SpotExam.inspection_id == inspection.id))}
        read.people = [_person(db_session, p, by_person.get(p.id))
                       for p in inspections.people(db_session, inspection.id)]
    return read


def readable(db_session: Session, inspection_id: int, current: CurrentUser) -> Inspection:
    """Its own officers and the province's readers; an officer of another inspection is refused."""
    inspection = inspections.get(db_session, inspection_id)
    if not any(current.has(r) for r in PROVINCE_READERS) and not inspections.is_officer(inspection, current.id):
        raise Forbidden("只有本次检查的执法人员可以查看。", code="not_your_inspection",
                        detail={"inspection_id": inspection_id})
    return inspection


@router.post("/inspections", response_model=InspectionRead, status_code=status.HTTP_201_CREATED,
             summary="Open an inspection: the enterprise, the spot rule, how many to draw; commits the draw's seed")
def open_inspection(body: InspectionCreate, current: Officer, request: Request, db_session: DbSession,
                    settings: SettingsDep) -> InspectionRead:
    inspection = inspections.open_inspection(
        db_session=db_session, data=inspections.InspectionInput(**body.model_dump()), actor=current.actor,
        keys=_keys(request), today=today_in(settings))
    return inspection_read(db_session, inspection, detail=True)


@router.get("/inspections/{inspection_id}", response_model=InspectionRead,
            summary="An inspection with its people on duty, who was drawn and their spot exams")
def read_inspection(inspection_id: Annotated[int, Path()], current: Reader, db_session: DbSession) -> InspectionRead:
    return inspection_read(db_session, readable(db_session, inspection_id, current), detail=True)


class SecondOfficer(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post("/inspections/{inspection_id}/second-officer", response_model=InspectionRead,
             summary="The second officer confirms their presence with their own name and password")
def second_officer(inspection_id: int, body: SecondOfficer, current: Officer, db_session: DbSession,
                   settings: SettingsDep) -> InspectionRead:
    inspection = inspections.confirm_second_officer(
        db_session=db_session, inspection_id=inspection_id, username=body.username, password=body.password,
        actor=current.actor, policy=login_policy(settings))
    return inspection_read(db_session, inspection, detail=True)


class RosterRow(BaseModel):
    name: str = Field(max_length=200)
    id_number: str = Field(max_length=40)
    post: str = Field(max_length=200)
    kind: str | None = Field(default=None, max_length=40, description="a PersonKind code or its Chinese label")


class Roster(BaseModel):
    people: list[RosterRow] = Field(max_length=500)


@router.put("/inspections/{inspection_id}/roster", response_model=InspectionRead,
            summary="Enter the people on duty (replaces the list; only before the draw)")
def put_roster(inspection_id: int, body: Roster, current: Officer, db_session: DbSession) -> InspectionRead:
    roster = read_roster([r.model_dump() for r in body.people], source="在岗人员名单")
    inspection = inspections.set_roster(db_session=db_session, inspection_id=inspection_id, roster=roster,
                                        actor=current.actor)
    return inspection_read(db_session, inspection, detail=True)


@router.post("/inspections/{inspection_id}/roster-file", response_model=InspectionRead,
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}},
             summary="Upload the people on duty as .xlsx or .csv (姓名, 身份证号, 岗位, 人员类别); all or nothing")
def upload_roster(inspection_id: int, current: Officer, db_session: DbSession,
                  body: Annotated[bytes, Depends(upload_body)],
                  filename: Annotated[str, Query(min_length=1, max_length=255)]) -> InspectionRead:
    db_session.rollback()  # the sheet is read before any lock (as the candidate upload does)
    roster = read_roster_file(body, filename)
    inspection = inspections.set_roster(db_session=db_session, inspection_id=inspection_id, roster=roster,
                                        actor=current.actor)
    return inspection_read(db_session, inspection, detail=True)


@router.post("/inspections/{inspection_id}/draw", response_model=InspectionRead,
             summary="Fix the list and draw the examinees with the committed seed (logged, re-derivable)")
def draw(inspection_id: int, current: Officer, request: Request, db_session: DbSession) -> InspectionRead:
    inspection = inspections.draw(db_session=db_session, inspection_id=inspection_id, actor=current.actor,
                                  keys=_keys(request))
    return inspection_read(db_session, inspection, detail=True)


class ManualPerson(RosterRow):
    reason: str = Field(min_length=1, max_length=300, description="why the officers examine this person too")


@router.post("/inspections/{inspection_id}/people", response_model=PersonRead, status_code=status.HTTP_201_CREATED,
             summary="Add an examinee by hand after the draw (marked as such, with the reason)")
def add_person(inspection_id: int, body: ManualPerson, current: Officer, db_session: DbSession) -> PersonRead:
    person = inspections.add_by_hand(db_session=db_session, inspection_id=inspection_id,
                                     person=body.model_dump(exclude={"reason"}), reason=body.reason,
                                     actor=current.actor)
    return _person(db_session, person, None)


class ExamStart(BaseModel):
    blueprint_id: int | None = Field(default=None, description="another approved spot rule for this person's kind; "
                                                               "default: the inspection's")


class SpotClock(BaseModel):
    status: str
    deadline: datetime
    remaining_seconds: float
    paused: bool = False
    offline_sync_seconds: int = Field(description="how long after the deadline answers kept off line are taken")


class SavedAnswer(BaseModel):
    position: int
    response: str
    flagged: bool
    seq: int


class SpotExamView(BaseModel):
    exam_id: int
    inspection_code: str
    enterprise_name: str
    name: str
    post: str
    status: str
    items: list[dict[str, Any]]
    answers: list[SavedAnswer]
    clock: SpotClock
    total_points: int
    pass_mark: int
    score: int | None = Field(description="tenths; only when the rule shows the score to the person")
    passed: bool | None


def _clock(exam: SpotExam, now: datetime) -> SpotClock:
    return SpotClock(status=exam.status, deadline=clock.deadline(exam), remaining_seconds=clock.remaining_seconds(
        exam, now) if exam.status == "in_progress" else 0.0,
        offline_sync_seconds=int(exams.OFFLINE_SYNC.total_seconds()))


def _view(view: exams.Taken, now: datetime) -> SpotExamView:
    exam = view.exam
    return SpotExamView(
        exam_id=exam.id, inspection_code=view.inspection.code, enterprise_name=view.inspection.enterprise_name,
        name=view.person.name, post=view.person.post, status=exam.status, items=view.items,
        answers=[SavedAnswer(position=a.position, response=a.response, flagged=a.flagged, seq=a.seq)
                 for a in view.answers], clock=_clock(exam, now), total_points=exam.total_points,
        pass_mark=exam.pass_mark, score=exam.score if view.show_score else None,
        passed=exam.passed if view.show_score else None)


@router.post("/inspections/{inspection_id}/people/{person_id}/exam", response_model=SpotExamView,
             status_code=status.HTTP_201_CREATED,
             summary="Start a drawn (or added) person's spot exam and hand the device over: the officer's login "
                     "then answers this exam only, until the officer's password unlocks it. An exam still running "
                     "(unlocked before the person finished) is handed over again, never started twice")
def start_exam(inspection_id: int, person_id: int, body: ExamStart, current: Officer, request: Request,
               db_session: DbSession) -> SpotExamView:
    now = utcnow()
    view = exams.start(db_session=db_session, inspection_id=inspection_id, person_id=person_id,
                       blueprint_id=body.blueprint_id, actor=current.actor, token_secret=current.token,
                       keys=_keys(request), now=now)
    return _view(view, now)


@router.get("/exam", response_model=SpotExamView,
            summary="The handed-over device: the paper, the saved answers and the server's clock")
def current_exam(caller: Handover, request: Request, db_session: DbSession) -> SpotExamView:
    exam = exams.handed_over(db_session, caller.token)
    return _view(exams.taken(db_session, exam, _keys(request)), utcnow())


class ExamState(BaseModel):
    status: str
    clock: SpotClock


@router.get("/exam/state", response_model=ExamState,
            summary="The handed-over device's clock only (what the page polls; the paper comes once)")
def exam_state(caller: Handover, db_session: DbSession) -> ExamState:
    exam = exams.handed_over(db_session, caller.token)
    return ExamState(status=exam.status, clock=_clock(exam, utcnow()))


class AnswerSave(BaseModel):
    response: str = Field(max_length=8)
    seq: int = Field(ge=1, le=1_000_000)
    flagged: bool = False
    made_remaining_ms: int | None = Field(
        default=None, ge=0, le=24 * 3_600_000,
        description="sent for a change the device kept while off line: the remaining time it showed")


class SaveReply(BaseModel):
    accepted: bool
    answer: SavedAnswer
    clock: SpotClock


@router.put("/exam/answers/{position}", response_model=SaveReply, summary="Save one answer (handed-over device)")
def save_answer(position: Annotated[int, Path(ge=0, le=500)], body: AnswerSave, caller: Handover,
                db_session: DbSession, settings: SettingsDep) -> SaveReply:
    now = utcnow()
    saved = exams.save(db_session=db_session, token=caller.token, position=position, response=body.response,
                       seq=body.seq, flagged=body.flagged, made_remaining_ms=body.made_remaining_ms, now=now,
                       grace_seconds=settings.answer_grace_seconds)
    answer = saved.answer
    return SaveReply(accepted=saved.accepted, clock=_clock(saved.exam, now), answer=SavedAnswer(
        position=answer.position, response=answer.response, flagged=answer.flagged, seq=answer.seq))


class Submit(BaseModel):
    confirm: Literal[True]
    made_remaining_ms: int | None = Field(default=None, ge=0, le=24 * 3_600_000,
                                          description="for a submission the device kept while off line")


@router.post("/exam/submit", response_model=SpotExamView,
             summary="Submit: the answer sheet is sealed, scored and archived; the device stays locked")
def submit(body: Submit, caller: Handover, request: Request, db_session: DbSession,
           settings: SettingsDep) -> SpotExamView:
    now = utcnow()
    exam = exams.submit(db_session=db_session, token=caller.token, actor=caller.current.actor,
                        made_remaining_ms=body.made_remaining_ms, now=now, grace_seconds=settings.answer_grace_seconds,
                        keys=_keys(request))
    return _view(exams.taken(db_session, exam, _keys(request)), now)


class Unlock(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class Unlocked(BaseModel):
    unlocked: bool
    spot_exam_id: int | None
    inspection_id: int | None


@router.post("/unlock", response_model=Unlocked,
             summary="The officer takes the device back with their own password")
def unlock(body: Unlock, caller: Handover, db_session: DbSession, settings: SettingsDep) -> Unlocked:
    exam_id = caller.token.locked_spot_exam_id
    exams.unlock(db_session=db_session, token_secret=caller.current.token, password=body.password,
                 actor=caller.current.actor, policy=login_policy(settings))
    exam = None if exam_id is None else db_session.get(SpotExam, exam_id)
    return Unlocked(unlocked=True, spot_exam_id=exam_id, inspection_id=None if exam is None else exam.inspection_id)


@router.post("/inspections/{inspection_id}/close", response_model=InspectionRead,
             summary="Archive the inspection (存档备查): seals exams past their deadline, reveals the seed")
def close(inspection_id: int, current: Officer, request: Request, db_session: DbSession,
          settings: SettingsDep) -> InspectionRead:
    inspection = exams.close(db_session=db_session, inspection_id=inspection_id, actor=current.actor,
                             keys=_keys(request), now=utcnow(), grace_seconds=settings.answer_grace_seconds)
    return inspection_read(db_session, inspection, detail=True)


class RetrainingNote(BaseModel):
    note: str = Field(min_length=1, max_length=300, description="培训情况: when and how the employer re-trained")


@router.post("/exams/{exam_id}/retraining", response_model=ExamSummary,
             summary="Record the employer's re-training after a failed spot exam")
def retraining(exam_id: int, body: RetrainingNote, current: Officer, db_session: DbSession) -> ExamSummary:
    exam = exams.record_retraining(db_session=db_session, exam_id=exam_id, note=body.note, actor=current.actor)
    return _summary(db_session, exam)
