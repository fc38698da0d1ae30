from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number
from examsvc.candidates.models import Candidate
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.errors import Forbidden, InvalidInput, NotFound
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.limits import AdmissionNumberPath, PassphraseText
from examsvc.practical import evidence, exam, qualification, results
from examsvc.practical.document import Subject
from examsvc.practical.models import PracticalResult
from examsvc.practical.scoring import CriterionMark
from examsvc.sites.access import CurrentWorkstation, require_workstation
from examsvc.sittings.access import Scope, SittingCaller, require_sitting
from examsvc.sittings.service import get as get_sitting
from examsvc.uploads import upload_body

router = APIRouter(prefix="/sittings/{code}/practical", tags=["practical"])
qualification_router = APIRouter(prefix="/qualifications", tags=["practical"])
Evaluator = Annotated[SittingCaller, Depends(require_sitting({Role.EVALUATOR: Scope.ASSIGNED}))]
EvaluatorOrChief = Annotated[SittingCaller, Depends(require_sitting({
    Role.EVALUATOR: Scope.ASSIGNED, Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
ChiefExaminer = Annotated[SittingCaller, Depends(require_sitting({Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
Reader = Annotated[SittingCaller, Depends(require_sitting({
    Role.EXAM_ADMIN: Scope.PROVINCE, Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.AUDITOR: Scope.CLOSED}))]
EvidenceReader = Annotated[SittingCaller, Depends(require_sitting({
    Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.AUDITOR: Scope.CLOSED}))]
AtStation = Annotated[CurrentWorkstation, Depends(require_workstation)]


class DrawBody(BaseModel):
    items: dict[Subject, str] | None = Field(default=None, description="the lots the candidate drew (candidate "
                                                                       "draw only); omit when the system draws")


class DrawnItem(BaseModel):
    subject: Subject
    key: str
    title: str
    time_limit_minutes: int
    full_marks: int
    task: str
    criteria: list[dict[str, Any]]


def _drawn(ctx: exam.Context, drawn: dict[Subject, str]) -> list[DrawnItem]:
    return [DrawnItem(subject=s, key=k, title=ctx.items[k].title, time_limit_minutes=ctx.items[k].time_limit_minutes,
                      full_marks=ctx.items[k].full_marks, task=ctx.items[k].task,
                      criteria=[c.canonical() for c in ctx.items[k].criteria]) for s, k in sorted(drawn.items())]


def _on_site(db_session: DbSession, code: str, station: CurrentWorkstation) -> None:
    """Evaluators work from an approved workstation of the sitting's own site."""
    sitting = get_sitting(db_session=db_session, code=code)
    if station.site_id != sitting.site_id:
        raise Forbidden("只能在本场次考点的考试机上操作。", code="wrong_site", detail={"sitting": code})


@router.post("/candidates/{admission_number}/draw", response_model=list[DrawnItem],
             status_code=status.HTTP_201_CREATED,
             summary="Draw one item per subject (K1–K4) at the candidate's start: by the system from the sitting's "
                     "seed, or recording the lots the candidate drew; logged, never redrawn")
def draw(code: str, admission_number: AdmissionNumberPath, body: DrawBody, station: AtStation, current: Evaluator,
         request: Request, db_session: DbSession) -> list[DrawnItem]:
    _on_site(db_session, code, station)
    drawn = exam.draw(db_session=db_session, code=code, admission_number=admission_number,
                      keys=request.app.state.paper_keys, actor=current.actor, chosen=body.items)
    return _drawn(exam.context(db_session, code, admission_number), drawn)


@router.get("/candidates/{admission_number}", summary="The candidate's drawn items and the state of each subject")
def candidate(code: str, admission_number: AdmissionNumberPath, current: EvaluatorOrChief,
              db_session: DbSession) -> dict[str, Any]:
    ctx = exam.context(db_session, code, admission_number)
    drawn = exam.draws_of(db_session, ctx.registration.id)
    sheets, decisions = exam.marks_of(db_session, ctx.registration.id), exam.decisions_of(db_session,
                                                                                         ctx.registration.id)
    subjects = {}
    for subject in Subject:
        state = exam.subject_state(ctx.rule, sheets.get(subject, []), decisions.get(subject))
        shown = exam.visible_sheets(ctx, sheets.get(subject, []), state, current.actor)
        subjects[str(subject)] = {
            "sheets": [{"evaluator": s.evaluator_id, "score": s.tenths, "veto_failed": s.veto_failed,
                        "digest": s.digest} for s in shown],
            "score": state.score.tenths if state.score else None, "waiting_for": state.waiting_for}
    return {"admission_number": admission_number, "items": [i.model_dump() for i in _drawn(ctx, drawn)],
            "subjects": subjects}


class MarkIn(BaseModel):
    code: int = Field(ge=1)
    points: int = Field(ge=0, description="whole points awarded for this criterion")
    veto_failed: bool = False


class ScoreBody(BaseModel):
    marks: list[MarkIn] = Field(min_length=1, max_length=20)


class SheetRead(BaseModel):
    subject: Subject
    score: int = Field(description="subject score in tenths of a point, scaled to the subject's weight")
    veto_failed: bool
    digest: str


@router.post("/candidates/{admission_number}/scores/{subject}", response_model=SheetRead,
             status_code=status.HTTP_201_CREATED,
             summary="An evaluator's score sheet for one subject, from their own station; sealed at once")
def score(code: str, admission_number: AdmissionNumberPath, subject: Subject, body: ScoreBody, station: AtStation,
          current: Evaluator, db_session: DbSession) -> SheetRead:
    _on_site(db_session, code, station)
    row = exam.score(db_session=db_session, code=code, admission_number=admission_number, subject=subject,
                     marks=[CriterionMark(m.code, m.points, m.veto_failed) for m in body.marks], now=utcnow(),
                     actor=current.actor)
    return SheetRead(subject=subject, score=row.tenths, veto_failed=row.veto_failed, digest=row.digest)


class DecisionBody(BaseModel):
    score: int = Field(ge=0, description="tenths of a point, within the subject's weight")
    veto_failed: bool = False
    reason: str = Field(min_length=1, max_length=500)


@router.post("/candidates/{admission_number}/decisions/{subject}", response_model=SheetRead,
             status_code=status.HTTP_201_CREATED,
             summary="The chief examiner settles a subject on which the two evaluators disagree")
def decide(code: str, admission_number: AdmissionNumberPath, subject: Subject, body: DecisionBody,
           current: ChiefExaminer, db_session: DbSession) -> SheetRead:
    row = exam.decide(db_session=db_session, code=code, admission_number=admission_number, subject=subject,
                      tenths=body.score, veto_failed=body.veto_failed, reason=body.reason, actor=current.actor)
    return SheetRead(subject=subject, score=row.tenths, veto_failed=row.veto_failed, digest="")


class EvidenceRead(BaseModel):
    id: int
    sha256: str
    content_type: str
    size: int


@router.post("/candidates/{admission_number}/evidence/{subject}", response_model=EvidenceRead,
             status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": {"type": "string", "format": "binary"}} for t in ("image/jpeg", "image/png",
                                                                                  "video/mp4")}}},
             summary="Upload a photo or video of the performance (JPEG, PNG, MP4); stored by SHA-256, logged")
def upload(code: str, admission_number: AdmissionNumberPath, subject: Subject, current: EvaluatorOrChief,
           request: Request, db_session: DbSession, settings: SettingsDep,
           body: Annotated[bytes, Depends(upload_body)]) -> EvidenceRead:
    ctx = exam.context(db_session, code, admission_number)
    row = evidence.store(db_session=db_session, data_dir=settings.data_dir, sitting=ctx.sitting,
                         registration_id=ctx.registration.id, admission_number=admission_number, subject=subject,
                         data=body, declared_type=request.headers.get("content-type"), actor=current.actor)
    return EvidenceRead(id=row.id, sha256=row.digest, content_type=row.content_type, size=row.size)


@router.get("/evidence/{evidence_id}", response_class=Response,
            summary="An evidence file, served only while its bytes match the digest in the log")
def read_evidence(code: str, evidence_id: int, _: EvidenceReader, db_session: DbSession,
                  settings: SettingsDep) -> Response:
    row, data = evidence.read(db_session=db_session, data_dir=settings.data_dir,
                              sitting=get_sitting(db_session=db_session, code=code), evidence_id=evidence_id)
    return Response(data, media_type=row.content_type, headers={"X-Evidence-SHA256": row.digest})


class PublishBody(BaseModel):
    passphrase: PassphraseText


@router.post("/results/publish", response_class=PlainTextResponse, status_code=status.HTTP_201_CREATED,
             summary="Seal every candidate's practical result and sign the results manifest (chief examiner)")
def publish(code: str, body: PublishBody, current: ChiefExaminer, request: Request,
            db_session: DbSession) -> PlainTextResponse:
    manifest = results.publish(db_session=db_session, code=code, passphrase=body.passphrase,
                               service_signer=request.app.state.log_signer, actor=current.actor)
    return PlainTextResponse(manifest.note, status_code=status.HTTP_201_CREATED)


@router.get("/results", summary="The current version of every practical result of the sitting")
def list_results(code: str, _: Reader, db_session: DbSession) -> list[dict[str, Any]]:
    sitting = get_sitting(db_session=db_session, code=code)
    return [_result(r.admission_number, res) for r, res in results.current(db_session, sitting.id)]


@router.get("/results/{admission_number}", summary="One candidate's current practical result")
def get_result(code: str, admission_number: AdmissionNumberPath, _: Reader, db_session: DbSession) -> dict[str, Any]:
    sitting = get_sitting(db_session=db_session, code=code)
    for registration, result in results.current(db_session, sitting.id):
        if registration.admission_number == admission_number:
            return _result(admission_number, result)
    raise NotFound("本场次没有该考生的实操成绩。", code="result_not_found",
                   detail={"sitting": code, "admission_number": admission_number})


def _result(admission_number: str, result: PracticalResult) -> dict[str, Any]:
    return {"admission_number": admission_number, "version": result.version, "score": result.score,
            "passed": result.passed, "veto_failed": result.veto_failed, "digest": result.digest,
            "subjects": json.loads(result.document)["subjects"]}


class ReviewBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    scores: dict[Subject, int] = Field(min_length=1, description="new subject scores, tenths of a point")
    passphrase: PassphraseText


@router.post("/results/{admission_number}/review", status_code=status.HTTP_201_CREATED,
             summary="复核: new subject scores with a reason; a new result version and a new signed manifest")
def review(code: str, admission_number: AdmissionNumberPath, body: ReviewBody, current: ChiefExaminer, request: Request,
           db_session: DbSession) -> dict[str, Any]:
    result = results.review(db_session=db_session, code=code, admission_number=admission_number, reason=body.reason,
                            scores=body.scores, passphrase=body.passphrase,
                            service_signer=request.app.state.log_signer, actor=current.actor)
    return {"version": result.version, "score": result.score, "passed": result.passed, "digest": result.digest}


QualificationReader = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN, Role.AUDITOR))]


@qualification_router.get("", summary="Theory passed and practical passed → qualified (by ID number and item)")
def get_qualification(_: QualificationReader, db_session: DbSession,
                      id_number: Annotated[str, Query(min_length=18, max_length=18)],
                      subject: Annotated[str, Query(min_length=1, max_length=40)]) -> dict[str, Any]:
    try:
        number = parse_id_number(id_number).value
    except InvalidIdNumber as exc:
        raise InvalidInput(str(exc), code="bad_id_number", detail={"field": "id_number"}) from None
    person = db_session.scalars(select(Candidate).where(Candidate.id_number == number)).first()
    if person is None:
        raise NotFound("没有该身份证号的考生。", code="candidate_not_found", detail={"field": "id_number"})
    found = qualification.qualification(db_session, person.id, subject)
    return {"subject": found.subject, "theory_passed_on": found.theory_passed_on,
            "practical_passed_on": found.practical_passed_on, "qualified": found.qualified}
