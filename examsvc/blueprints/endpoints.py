from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from examsvc.banks import service as banks_service
from examsvc.banks.document import PersonKind
from examsvc.blueprints import service
from examsvc.blueprints.document import Blueprint, KnowledgePointQuota, Section
from examsvc.blueprints.schemas import BlueprintCreate, BlueprintRead, CellRead, Decision, FeasibilityRead, Passphrase
from examsvc.canonical_http import CANONICAL_RESPONSE, canonical_response
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role

router = APIRouter(prefix="/blueprints", tags=["blueprints"])
ExamAdmin = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN))]
ChiefExaminer = Annotated[CurrentUser, Depends(require_roles(Role.CHIEF_EXAMINER))]
Reader = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN, Role.CHIEF_EXAMINER, Role.AUDITOR))]


@router.post("", response_model=BlueprintRead, status_code=status.HTTP_201_CREATED,
             summary="Draft a new composition rule version (组卷规则)")
def create(body: BlueprintCreate, current: ExamAdmin, db_session: DbSession) -> BlueprintRead:
    national = banks_service.get_version(db_session=db_session, version_id=body.national_bank_version_id)
    rule = Blueprint(
        code=body.code, version=body.version, title=body.title, personnel_category=body.personnel_category,
        operation_item=body.operation_item, bank_code=national.bank_code,
        sections=tuple(Section(s.type, s.count, s.points) for s in body.sections),
        duration_minutes=body.duration_minutes, total_points=body.total_points, pass_mark=body.pass_mark,
        multiple_choice_rule=body.multiple_choice_rule, level_shares=dict(body.level_shares),
        level_tolerance=body.level_tolerance, difficulty_shares=dict(body.difficulty_shares),
        difficulty_tolerance=body.difficulty_tolerance,
        knowledge_point_quotas=tuple(KnowledgePointQuota(q.prefix, q.minimum, q.maximum)
                                     for q in body.knowledge_point_quotas),
        provincial_min_share=body.provincial_min_share, shuffle_questions=body.shuffle_questions,
        shuffle_options=body.shuffle_options, avoid_seen_questions=body.avoid_seen_questions,
        show_score=body.show_score, purpose=body.purpose,
        # In catalogue order, so that the same kinds given in another order make the same rule (and digest).
        person_kinds=tuple(sorted(body.person_kinds, key=list(PersonKind).index)),
    )
    row = service.create(db_session=db_session, blueprint=rule, national_bank_version_id=body.national_bank_version_id,
                         provincial_bank_version_id=body.provincial_bank_version_id, actor=current.actor)
    return BlueprintRead.of(row)


@router.get("", response_model=list[BlueprintRead])
def list_blueprints(_: Reader, db_session: DbSession) -> list[BlueprintRead]:
    return [BlueprintRead.of(r) for r in service.list_all(db_session=db_session)]


@router.get("/{blueprint_id}", response_model=BlueprintRead)
def get(blueprint_id: int, _: Reader, db_session: DbSession) -> BlueprintRead:
    return BlueprintRead.of(service.get(db_session=db_session, blueprint_id=blueprint_id))


@router.get("/{blueprint_id}/canonical", response_class=Response, responses=CANONICAL_RESPONSE,
            summary="The rule's exact canonical bytes (RFC 8785), as digested and signed")
def canonical(blueprint_id: int, _: Reader, db_session: DbSession) -> Response:
    return canonical_response(service.get(db_session=db_session, blueprint_id=blueprint_id).document)


@router.get("/{blueprint_id}/feasibility", response_model=FeasibilityRead,
            summary="Pool size against need, per section and quota, and trial draws")
def feasibility(blueprint_id: int, _: Reader, db_session: DbSession) -> FeasibilityRead:
    report = service.feasibility(db_session=db_session, blueprint_id=blueprint_id)
    return FeasibilityRead(feasible=report.feasible, trial_draws=report.trial_draws, failed_draws=report.failed_draws,
                           cells=[CellRead(section=c.section, quota=c.quota, need=c.need, pool=c.pool, ok=c.ok)
                                  for c in report.cells])


@router.post("/{blueprint_id}/submit", response_model=BlueprintRead)
def submit(blueprint_id: int, current: ExamAdmin, db_session: DbSession) -> BlueprintRead:
    return BlueprintRead.of(service.submit(db_session=db_session, blueprint_id=blueprint_id,
                                                       actor=current.actor))


@router.post("/{blueprint_id}/approve", response_model=BlueprintRead,
             summary="Approve with the chief examiner's own key (unlocked by their passphrase)")
def approve(blueprint_id: int, body: Passphrase, current: ChiefExaminer, db_session: DbSession) -> BlueprintRead:
    return BlueprintRead.of(service.approve(db_session=db_session, blueprint_id=blueprint_id,
                                                        passphrase=body.passphrase, actor=current.actor))


@router.post("/{blueprint_id}/reject", response_model=BlueprintRead)
def reject(blueprint_id: int, body: Decision, current: ChiefExaminer, db_session: DbSession) -> BlueprintRead:
    return BlueprintRead.of(service.reject(db_session=db_session, blueprint_id=blueprint_id,
                                                       reason=body.reason, actor=current.actor))


@router.post("/{blueprint_id}/retire", response_model=BlueprintRead)
def retire(blueprint_id: int, current: ExamAdmin, db_session: DbSession) -> BlueprintRead:
    return BlueprintRead.of(service.retire(db_session=db_session, blueprint_id=blueprint_id,
                                                       actor=current.actor))
