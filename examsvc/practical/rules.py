"""Practical rules' lifecycle, as composition rules': an exam admin drafts and submits; a chief examiner
who is not the author approves with their own key (or rejects with a reason); approved → retired."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import sign_note
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotFound
from examsvc.examiners import service as examiners
from examsvc.lifecycle import advance
from examsvc.practical import service as banks
from examsvc.practical.models import PracticalRuleVersion
from examsvc.practical.rule import PracticalRule, from_canonical, validate


def get(*, db_session: Session, rule_id: int) -> PracticalRuleVersion:
    row = db_session.get(PracticalRuleVersion, rule_id)
    if row is None:
        raise NotFound("实操考试规则不存在。", code="practical_rule_not_found", detail={"practical_rule_id": rule_id})
    return row


def rule_of(row: PracticalRuleVersion) -> PracticalRule:
    return from_canonical(json.loads(row.document))


def create(*, db_session: Session, rule: PracticalRule, bank_version_id: int, actor: Actor) -> PracticalRuleVersion:
    validate(rule)
    bank = banks.get_version(db_session=db_session, version_id=bank_version_id)
    if bank.code != rule.bank_code or bank.operation_item != rule.operation_item:
        raise InvalidInput("实操题库版本与规则的题库编号或操作项目不符。", code="practical_bank_mismatch",
                           detail={"bank_version_id": bank_version_id, "expected_bank": rule.bank_code,
                                   "expected_operation_item": rule.operation_item})
    if db_session.scalars(select(PracticalRuleVersion).where(PracticalRuleVersion.code == rule.code,
                                                             PracticalRuleVersion.version == rule.version)).first():
        raise Conflict("该规则已有此版本号：修改规则请建立新版本。", code="practical_rule_version_exists",
                       detail={"code": rule.code, "version": rule.version})
    row = PracticalRuleVersion(code=rule.code, version=rule.version, title=rule.title,
                               document=canonical_json(rule.canonical()).decode(), digest=rule.digest(),
                               bank_version_id=bank_version_id, status="draft", author_id=actor.user_id)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical_rule.drafted",
                 subject_type="practical_rule", subject_id=row.id,
                 details={"code": rule.code, "version": rule.version, "digest": row.digest,
                          "bank_digest": bank.content_digest})
    return row


def _move(db_session: Session, row: PracticalRuleVersion, expected: str, to: str, actor: Actor,
          details: dict[str, Any] | None = None) -> PracticalRuleVersion:
    advance(db_session, row, expected=expected, to=to, actor=actor, action=f"practical_rule.{to}",
            subject_type="practical_rule", refusal="实操考试规则当前状态不允许此操作。",
            code="practical_rule_wrong_status", details={"digest": row.digest, **(details or {})})
    return row


def submit(*, db_session: Session, rule_id: int, actor: Actor) -> PracticalRuleVersion:
    return _move(db_session, get(db_session=db_session, rule_id=rule_id), "draft", "submitted", actor)


def _decide(row: PracticalRuleVersion, actor: Actor) -> None:
    if actor.user_id is None or actor.user_id == row.author_id:
        raise Forbidden("起草人不能审批自己起草的规则。", code="self_approval", detail={"practical_rule_id": row.id})
    if row.status != "submitted":
        raise Conflict("只有已提交的规则可以审批。", code="practical_rule_wrong_status",
                       detail={"practical_rule_id": row.id, "status": row.status})
    row.decided_by = actor.user_id
    row.decided_at = utcnow()


def approve(*, db_session: Session, rule_id: int, passphrase: str, actor: Actor) -> PracticalRuleVersion:
    row = get(db_session=db_session, rule_id=rule_id)
    _decide(row, actor)
    bank = banks.get_version(db_session=db_session, version_id=row.bank_version_id)
    if bank.status != "published":
        raise Conflict("规则引用的实操题库版本尚未发布或已停用。", code="practical_bank_not_published",
                       detail={"bank_version_id": bank.id})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    row.approval_note = sign_note(f"examsvc practical rule approval\n{row.code} {row.version}\nrule {row.digest}\n"
                                  f"bank {bank.code} {bank.version_label} {bank.content_digest}\n", signer)
    return _move(db_session, row, "submitted", "approved", actor, {"approval_note": row.approval_note})


def reject(*, db_session: Session, rule_id: int, reason: str, actor: Actor) -> PracticalRuleVersion:
    row = get(db_session=db_session, rule_id=rule_id)
    _decide(row, actor)
    row.decision_reason = reason
    return _move(db_session, row, "submitted", "rejected", actor, {"reason": reason})


def retire(*, db_session: Session, rule_id: int, actor: Actor) -> PracticalRuleVersion:
    return _move(db_session, get(db_session=db_session, rule_id=rule_id), "approved", "retired", actor)
