"""Composition rules: drafted by an exam admin, approved (signed) by a chief examiner who is not the author."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks import service as banks_service
from examsvc.banks.document import PERSON_KIND_LABELS, Level, PersonKind, Purpose, QuestionType
from examsvc.banks.models import BankVersion, VersionStatus
from examsvc.blueprints.document import Blueprint, RulePurpose, from_canonical, validate
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.crypto.canonical_json import canonical_digest, canonical_json
from examsvc.crypto.signed_note import sign_note
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotFound
from examsvc.examiners import service as examiners
from examsvc.lifecycle import advance
from examsvc.papers.assembly import PoolQuestion
from examsvc.papers.feasibility import FeasibilityReport, check


def get(*, db_session: Session, blueprint_id: int) -> BlueprintVersion:
    row = db_session.get(BlueprintVersion, blueprint_id)
    if row is None:
        raise NotFound("组卷规则不存在。", code="blueprint_not_found", detail={"blueprint_id": blueprint_id})
    return row


def list_all(*, db_session: Session) -> list[BlueprintVersion]:
    return list(db_session.scalars(select(BlueprintVersion).order_by(BlueprintVersion.code, BlueprintVersion.id)))


def rule_of(row: BlueprintVersion) -> Blueprint:
    return from_canonical(json.loads(row.document))


def create(*, db_session: Session, blueprint: Blueprint, national_bank_version_id: int,
           provincial_bank_version_id: int | None, actor: Actor) -> BlueprintVersion:
    validate(blueprint)
    for version_id, part in ((national_bank_version_id, "national"), (provincial_bank_version_id, "provincial")):
        if version_id is None:
            continue
        bank_version = banks_service.get_version(db_session=db_session, version_id=version_id)
        if bank_version.bank_code != blueprint.bank_code or bank_version.part != part:
            raise InvalidInput("题库版本与规则的题库或部分不符。", code="bank_version_mismatch",
                               detail={"bank_version_id": version_id, "expected_bank": blueprint.bank_code,
                                       "expected_part": part})
        _check_bank_purpose(blueprint, bank_version)
    exists = db_session.scalars(select(BlueprintVersion).where(
        BlueprintVersion.code == blueprint.code, BlueprintVersion.version == blueprint.version)).first()
    if exists is not None:
        raise Conflict("该规则已有此版本号：修改规则请建立新版本。", code="blueprint_version_exists",
                       detail={"code": blueprint.code, "version": blueprint.version})
    row = BlueprintVersion(code=blueprint.code, version=blueprint.version, title=blueprint.title,
                           document=canonical_json(blueprint.canonical()).decode(), digest=blueprint.digest(),
                           national_bank_version_id=national_bank_version_id,
                           provincial_bank_version_id=provincial_bank_version_id, status=BlueprintStatus.DRAFT,
                           author_id=actor.user_id)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="blueprint.created", subject_type="blueprint_version",
                 subject_id=row.id, details={"code": row.code, "version": row.version, "digest": row.digest})
    return row


def _check_bank_purpose(blueprint: Blueprint, bank_version: BankVersion) -> None:
    """A spot rule draws from 应知应会 banks only, for kinds of person they serve; a qualification rule
    never draws from them (issue 22)."""
    detail: dict[str, Any] = {"bank_version_id": bank_version.id, "bank_code": bank_version.bank_code}
    awareness = bank_version.purpose == Purpose.AWARENESS
    if blueprint.purpose == RulePurpose.SPOT and not awareness:
        raise InvalidInput("逢查必考规则只能使用应知应会题库。", code="bank_purpose_mismatch",
                           detail=detail | {"field": "national_bank_version_id", "bank_purpose": bank_version.purpose})
    if blueprint.purpose != RulePurpose.SPOT and awareness:
        raise InvalidInput("考核组卷规则不能使用应知应会题库：逢查必考请建立 purpose 为 spot 的规则。",
                           code="bank_purpose_mismatch",
                           detail=detail | {"field": "national_bank_version_id", "bank_purpose": bank_version.purpose})
    served = {PersonKind(k) for k in bank_version.person_kinds}
    others = [k for k in blueprint.person_kinds if k not in served]
    if others:
        raise InvalidInput("受检人员类型不在题库的适用人员之内：" + "、".join(PERSON_KIND_LABELS[k] for k in others)
                           + "。", code="person_kinds_not_served",
                           detail=detail | {"field": "person_kinds", "not_served": [str(k) for k in others],
                                            "bank_person_kinds": list(bank_version.person_kinds)})


def bank_versions(db_session: Session, row: BlueprintVersion) -> list[BankVersion]:
    ids = [i for i in (row.national_bank_version_id, row.provincial_bank_version_id) if i is not None]
    return [banks_service.get_version(db_session=db_session, version_id=i) for i in ids]


def bank_digests(db_session: Session, row: BlueprintVersion) -> dict[str, str]:
    """The content digests of the bank versions a rule draws from, by part (no question is loaded)."""
    return {v.part: v.content_digest for v in bank_versions(db_session, row)}


def pool(db_session: Session, row: BlueprintVersion) -> tuple[list[PoolQuestion], dict[str, str]]:
    """What assembly may draw from (metadata only) and the banks' digests by part."""
    questions: list[PoolQuestion] = []
    digests: dict[str, str] = {}
    for version in bank_versions(db_session, row):
        digests[version.part] = version.content_digest
        questions.extend(
            PoolQuestion(key=q.key, revision=q.revision, part=version.part, type=QuestionType(q.type),
                         knowledge_point=q.knowledge_point, level=Level(q.level), difficulty=q.difficulty,
                         option_labels="".join(label for label, _ in q.options))
            for q in banks_service.list_questions(db_session=db_session, version_id=version.id))
    return questions, digests


def feasibility(*, db_session: Session, blueprint_id: int) -> FeasibilityReport:
    row = get(db_session=db_session, blueprint_id=blueprint_id)
    questions, _ = pool(db_session, row)
    return check(rule_of(row), questions)


def _move(db_session: Session, row: BlueprintVersion, expected: BlueprintStatus, to: BlueprintStatus,
          actor: Actor, details: dict[str, Any] | None = None) -> BlueprintVersion:
    advance(db_session, row, expected=expected, to=to, actor=actor, action=f"blueprint.{to}",
            subject_type="blueprint_version", refusal="组卷规则当前状态不允许此操作。", code="blueprint_wrong_status",
            details={"digest": row.digest, **(details or {})})
    return row


def submit(*, db_session: Session, blueprint_id: int, actor: Actor) -> BlueprintVersion:
    row = get(db_session=db_session, blueprint_id=blueprint_id)
    row.submitted_at = utcnow()
    return _move(db_session, row, BlueprintStatus.DRAFT, BlueprintStatus.SUBMITTED, actor)


def _decide(db_session: Session, row: BlueprintVersion, actor: Actor) -> None:
    if actor.user_id is None or actor.user_id == row.author_id:
        raise Forbidden("起草人不能审批自己起草的组卷规则。", code="self_approval",
                        detail={"blueprint_id": row.id})
    row.decided_by = actor.user_id
    row.decided_at = utcnow()


def field_digests(document: dict[str, Any]) -> dict[str, str]:
    """field → SHA-256 (16 hex) of the RFC 8785 encoding of its value, for each field of a rule document."""
    return {field: canonical_digest(value)[:16] for field, value in document.items()}


def approval_text(row: BlueprintVersion, versions: list[BankVersion]) -> str:
    lines = ["examsvc blueprint approval", f"{row.code} {row.version}", f"blueprint {row.digest}"]
    lines += [f"bank {v.part} {v.bank_code} {v.version_label} {v.content_digest}" for v in versions]
    return "\n".join(lines) + "\n"


def approve(*, db_session: Session, blueprint_id: int, passphrase: str, actor: Actor) -> BlueprintVersion:
    row = get(db_session=db_session, blueprint_id=blueprint_id)
    if row.status != BlueprintStatus.SUBMITTED:
        raise Conflict("只有已提交的组卷规则可以审批。", code="blueprint_wrong_status",
                       detail={"blueprint_id": row.id, "status": row.status})
    _decide(db_session, row, actor)
    versions = bank_versions(db_session, row)
    unpublished = [v.id for v in versions if v.status != VersionStatus.PUBLISHED]
    if unpublished:
        raise Conflict("规则引用的题库版本尚未发布或已停用。", code="bank_version_not_published",
                       detail={"bank_version_ids": unpublished})
    report = feasibility(db_session=db_session, blueprint_id=blueprint_id)
    if not report.feasible:
        raise Conflict("题库无法满足该组卷规则，不能批准。", code="blueprint_infeasible", detail={
            "cells": [{"section": c.section, "quota": c.quota, "need": c.need, "pool": c.pool}
                      for c in report.cells if not c.ok],
            "failed_trial_draws": report.failed_draws})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    row.approval_note = sign_note(approval_text(row, versions), signer)
    # Per-field digests of the rule, so that verify-sitting names the field (duration, title, show_score…)
    # an owner edits after approval (issue 15 item 5).
    return _move(db_session, row, BlueprintStatus.SUBMITTED, BlueprintStatus.APPROVED, actor,
                 {"approval_note": row.approval_note, "fields": field_digests(json.loads(row.document))})


def reject(*, db_session: Session, blueprint_id: int, reason: str, actor: Actor) -> BlueprintVersion:
    row = get(db_session=db_session, blueprint_id=blueprint_id)
    if row.status == BlueprintStatus.SUBMITTED:
        _decide(db_session, row, actor)
        row.decision_reason = reason
    return _move(db_session, row, BlueprintStatus.SUBMITTED, BlueprintStatus.REJECTED, actor, {"reason": reason})


def retire(*, db_session: Session, blueprint_id: int, actor: Actor) -> BlueprintVersion:
    row = get(db_session=db_session, blueprint_id=blueprint_id)
    return _move(db_session, row, BlueprintStatus.APPROVED, BlueprintStatus.RETIRED, actor)
