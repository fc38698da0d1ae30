from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from examsvc.audit import log as audit
from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number
from examsvc.candidates.models import Candidate
from examsvc.db import DbSession
from examsvc.errors import InvalidInput, NotFound
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.limits import MERKLE_ROOT_HEX, AdmissionNumberPath, PassphraseText
from examsvc.results import service
from examsvc.results.models import Result, Retraining
from examsvc.sittings.access import Scope, SittingCaller, require_sitting
from examsvc.sittings.service import get as get_sitting

router = APIRouter(prefix="/sittings/{code}/results", tags=["results"])
retraining_router = APIRouter(prefix="/retrainings", tags=["results"])
ChiefExaminer = Annotated[SittingCaller, Depends(require_sitting({Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
Reader = Annotated[SittingCaller, Depends(require_sitting({
    Role.EXAM_ADMIN: Scope.PROVINCE, Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.AUDITOR: Scope.CLOSED}))]
ExamAdmin = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN))]


class PublishBody(BaseModel):
    passphrase: PassphraseText


class ManifestRead(BaseModel):
    version: int
    result_count: int
    merkle_root_hex: str = Field(description=MERKLE_ROOT_HEX)
    note: str = Field(description="the signed results manifest (C2SP signed note); its `root` line is the same "
                                  "root in base64 (docs/answering.md)")


class ResultRead(BaseModel):
    admission_number: str
    version: int
    score: int = Field(description="tenths of a point")
    passed: bool
    void: bool
    digest: str
    items: list[int] = Field(description="points awarded per question, in paper order (index 0 is position 0), "
                                         "tenths of a point")


@router.post("/publish", response_model=ManifestRead, status_code=status.HTTP_201_CREATED,
             summary="The sitting's chief examiner signs the results manifest (成绩发布)")
def publish(code: str, body: PublishBody, current: ChiefExaminer, request: Request,
            db_session: DbSession) -> ManifestRead:
    manifest = service.publish(db_session=db_session, code=code, passphrase=body.passphrase,
                               service_signer=request.app.state.log_signer, keys=request.app.state.paper_keys,
                               actor=current.actor)
    return ManifestRead(version=manifest.version, result_count=manifest.result_count,
                        merkle_root_hex=manifest.merkle_root, note=manifest.note)


@router.get("", response_model=list[ResultRead], summary="The current version of every result of the sitting")
def list_results(code: str, _: Reader, db_session: DbSession) -> list[ResultRead]:
    sitting = get_sitting(db_session=db_session, code=code)
    return [_read(registration.admission_number, result)
            for registration, result in service.current_results(db_session, sitting.id)]


@router.get("/manifest", response_class=PlainTextResponse,
            summary="The latest signed results manifest (C2SP signed note: service, then chief examiner)")
def manifest(code: str, _: Reader, db_session: DbSession) -> PlainTextResponse:
    sitting = get_sitting(db_session=db_session, code=code)
    found = service.manifests(db_session, sitting.id)
    if not found:
        raise NotFound("本场次成绩尚未发布。", code="results_not_published", detail={"sitting": code})
    return PlainTextResponse(found[-1].note)


@router.get("/{admission_number}", response_model=ResultRead,
            summary="One candidate's current result (its latest version after any review)")
def get_result(code: str, admission_number: AdmissionNumberPath, _: Reader, db_session: DbSession) -> ResultRead:
    sitting = get_sitting(db_session=db_session, code=code)
    for registration, result in service.current_results(db_session, sitting.id):
        if registration.admission_number == admission_number:
            return _read(admission_number, result)
    raise NotFound("本场次没有该考生的成绩。", code="result_not_found",
                   detail={"sitting": code, "admission_number": admission_number})


def _read(admission_number: str, result: Result) -> ResultRead:
    return ResultRead(admission_number=admission_number, version=result.version, score=result.score,
                      passed=result.passed, void=result.void, digest=result.digest,
                      items=json.loads(result.document)["items"])


class AdjustmentIn(BaseModel):
    position: int = Field(ge=0, description="the question's place in the candidate's paper, counting from 0")
    points: int = Field(ge=0, description="tenths of a point awarded after review")


class ReviewBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=200)
    void: bool | None = Field(default=None, description="change the void mark (e.g. a removal overturned)")
    passphrase: PassphraseText


@router.post("/{admission_number}/review", response_model=ResultRead, status_code=status.HTTP_201_CREATED,
             summary="复核: a new result version and a new signed manifest, logged with the reason")
def review(code: str, admission_number: AdmissionNumberPath, body: ReviewBody, current: ChiefExaminer, request: Request,
           db_session: DbSession) -> ResultRead:
    result = service.review(db_session=db_session, code=code, admission_number=admission_number, reason=body.reason,
                            adjustments=[service.Adjustment(a.position, a.points) for a in body.adjustments],
                            void=body.void, passphrase=body.passphrase, service_signer=request.app.state.log_signer,
                            keys=request.app.state.paper_keys, actor=current.actor)
    return _read(admission_number, result)


class RetrainingBody(BaseModel):
    id_number: str = Field(min_length=18, max_length=18)
    subject: str = Field(min_length=1, max_length=40, description="作业项目代码（如 1.2）或人员类别")
    completed_on: date
    reference: str = Field(min_length=1, max_length=200, description="培训机构及培训记录编号")


class RetrainingRead(BaseModel):
    id: int
    subject: str
    completed_on: datetime
    reference: str


@retraining_router.post("", response_model=RetrainingRead, status_code=status.HTTP_201_CREATED,
                        summary="Record re-training after a failed retake: the candidate may register again")
def record_retraining(body: RetrainingBody, current: ExamAdmin, db_session: DbSession) -> RetrainingRead:
    try:
        number = parse_id_number(body.id_number).value
    except InvalidIdNumber as exc:
        raise InvalidInput(str(exc), code="bad_id_number", detail={"field": "id_number"}) from None
    candidate = db_session.scalars(select(Candidate).where(Candidate.id_number == number)).first()
    if candidate is None:
        raise NotFound("没有该身份证号的考生。", code="candidate_not_found", detail={"field": "id_number"})
    completed = datetime(body.completed_on.year, body.completed_on.month, body.completed_on.day, tzinfo=UTC)
    row = Retraining(candidate_id=candidate.id, subject=body.subject, reference=body.reference,
                     completed_on=completed, recorded_by=current.id)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=current.actor, action="candidate.retrained", subject_type="candidate",
                 subject_id=candidate.id, details={"subject": body.subject, "reference": body.reference,
                                                   "completed_on": body.completed_on.isoformat()})
    return RetrainingRead(id=row.id, subject=row.subject, completed_on=row.completed_on, reference=row.reference)
