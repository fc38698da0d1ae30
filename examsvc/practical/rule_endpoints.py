from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from examsvc.blueprints.schemas import Decision, Passphrase
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.practical import rules
from examsvc.practical import service as banks
from examsvc.practical.document import Subject
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


@router.post("", response_model=PracticalRuleRead, status_code=status.HTTP_201_CREATED,
             summary="Draft a practical exam rule version (实操考试规则)")
def create(body: PracticalRuleCreate, current: ExamAdmin, db_session: DbSession) -> PracticalRuleRead:
    bank = banks.get_version(db_session=db_session, version_id=body.bank_version_id)
    rule = PracticalRule(code=body.code, version=body.version, title=body.title, operation_item=body.operation_item,
                         bank_code=bank.code, weights=dict(body.weights), pass_mark=body.pass_mark,
                         duration_minutes=body.duration_minutes, draw_by=body.draw_by, evaluators=body.evaluators,
                         disagreement_margin=body.disagreement_margin)
    return PracticalRuleRead.model_validate(rules.create(db_session=db_session, rule=rule,
                                                         bank_version_id=body.bank_version_id, actor=current.actor))


@router.get("/{rule_id}", response_model=PracticalRuleRead)
def get(rule_id: int, _: Reader, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.model_validate(rules.get(db_session=db_session, rule_id=rule_id))


@router.post("/{rule_id}/submit", response_model=PracticalRuleRead, summary="Submit a draft for approval")
def submit(rule_id: int, current: ExamAdmin, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.model_validate(rules.submit(db_session=db_session, rule_id=rule_id, actor=current.actor))


@router.post("/{rule_id}/approve", response_model=PracticalRuleRead,
             summary="Approve with the chief examiner's own key (not the author)")
def approve(rule_id: int, body: Passphrase, current: ChiefExaminer, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.model_validate(rules.approve(db_session=db_session, rule_id=rule_id,
                                                          passphrase=body.passphrase, actor=current.actor))


@router.post("/{rule_id}/reject", response_model=PracticalRuleRead, summary="Reject with a reason")
def reject(rule_id: int, body: Decision, current: ChiefExaminer, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.model_validate(rules.reject(db_session=db_session, rule_id=rule_id, reason=body.reason,
                                                         actor=current.actor))


@router.post("/{rule_id}/retire", response_model=PracticalRuleRead, summary="Retire an approved rule")
def retire(rule_id: int, current: ExamAdmin, db_session: DbSession) -> PracticalRuleRead:
    return PracticalRuleRead.model_validate(rules.retire(db_session=db_session, rule_id=rule_id, actor=current.actor))
