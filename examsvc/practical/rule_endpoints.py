from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from examsvc.blueprints.schemas import Decision, Passphrase
from examsvc.canonical_http import CANONICAL_RESPONSE, canonical_response
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.practical import rules
from examsvc.practical import service as banks
from examsvc.practical.document import Subject
from examsvc.practical.models import PracticalRuleVersion
from examsvc.practical.rule import DEFAULT_WEIGHTS, DrawBy, PracticalRule

router = APIRouter(prefix="/practical-rules", tags=["practical"])
ExamAdmin = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN))]
ChiefExaminer = Annotated[CurrentUser, Depends(require_roles(Role.CHIEF_EXAMINER))]
Reader = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN, Role.CHIEF_EXAMINER, Role.AUDITOR))]


class PracticalRuleCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "SX-LV-PRAC", "version": "1", "title": "低压电工作业实际操作考试", "operation_item": "1.2",
        "bank_version_id": 1, "weights": {"K1": 20, "K2": 40, "K3": 20, "K4": 20}, "pass_mark": 80,
        "duration_minutes": 60, "draw_by": "system", "evaluators": 2, "disagreement_margin": 5}]})

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
    title: str = Field(min_length=1, max_length=200)
    operation_item: str = Field(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$")
    bank_version_id: int
    weights: dict[Subject, int] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    pass_mark: int = 80
    duration_minutes: int = 60
    draw_by: DrawBy = DrawBy.SYSTEM
    evaluators: int = 2
    disagreement_margin: int = 5


class PracticalRuleDocument(BaseModel):
    """The whole rule as signed: every field of its canonical form (docs/rules.md), defaults included."""

    format: str
    code: str
    version: str
    title: str
    operation_item: str
    bank_code: str
    weights: dict[Subject, int] = Field(description="points per subject, summing to 100")
    pass_mark: int = Field(description="points of 100")
    duration_minutes: int
    draw_by: DrawBy
    evaluators: int
    disagreement_margin: int


class PracticalRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    version: str
    title: str
    digest: str
    bank_version_id: int
    status: str
    author_id: int | None
    decided_by: int | None
    decision_reason: str | None
    approval_note: str | None
    created_at: datetime
    rule: PracticalRuleDocument = Field(
        description="the rule's content; its exact signed bytes: GET /practical-rules/{id}/canonical")

    @classmethod
    def of(cls, row: PracticalRuleVersion) -> PracticalRuleRead:
        return cls.model_validate({**{name: getattr(row, name) for name in cls.model_fields if name != "rule"},
                                   "rule": PracticalRuleDocument.model_validate_json(row.document)})


@router.post("", response_model=PracticalRuleRead, status_code=status.HTTP_201_CREATED,
             summary="Draft a practical exam rule version (实操考试规则)")
def create(body: PracticalRuleCreate, current: ExamAdmin, db_session: DbSession) -> PracticalRuleRead:
    bank = banks.get_version(db_session=db_session, version_id=body.bank_version_id)
    rule = PracticalRule(code=body.code, version=body.version, title=body.title, operation_item=body.operation_item,
                         bank_code=bank.code, weights=dict(body.weights), pass_mark=body.pass_mark,
                         duration_minutes=body.duration_minutes, draw_by=body.draw_by, evaluators=body.evaluators,
                         disagreement_margin=body.disagreement_margin)
    return PracticalRuleRead.of(rules.create(db_session=db_session, rule=rule,
                                                         bank_version_id=body.bank_version_id, actor=current.actor))


@router.get("/{rule_id}", response_model=PracticalRuleRead)
def get(rule_id: int, _: Reader, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.of(rules.get(db_session=db_session, rule_id=rule_id))


@router.get("/{rule_id}/canonical", response_class=Response, responses=CANONICAL_RESPONSE,
            summary="The rule's exact canonical bytes (RFC 8785), as digested and signed")
def canonical(rule_id: int, _: Reader, db_session: DbSession) -> Response:
    return canonical_response(rules.get(db_session=db_session, rule_id=rule_id).document)


@router.post("/{rule_id}/submit", response_model=PracticalRuleRead, summary="Submit a draft for approval")
def submit(rule_id: int, current: ExamAdmin, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.of(rules.submit(db_session=db_session, rule_id=rule_id, actor=current.actor))


@router.post("/{rule_id}/approve", response_model=PracticalRuleRead,
             summary="Approve with the chief examiner's own key (not the author)")
def approve(rule_id: int, body: Passphrase, current: ChiefExaminer, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.of(rules.approve(db_session=db_session, rule_id=rule_id,
                                                          passphrase=body.passphrase, actor=current.actor))


@router.post("/{rule_id}/reject", response_model=PracticalRuleRead, summary="Reject with a reason")
def reject(rule_id: int, body: Decision, current: ChiefExaminer, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.of(rules.reject(db_session=db_session, rule_id=rule_id, reason=body.reason,
                                                         actor=current.actor))


@router.post("/{rule_id}/retire", response_model=PracticalRuleRead, summary="Retire an approved rule")
def retire(rule_id: int, current: ExamAdmin, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.of(rules.retire(db_session=db_session, rule_id=rule_id, actor=current.actor))
