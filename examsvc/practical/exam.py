"""A practical sitting (实际操作考试) on the day: the seed, the draw, evaluators' sheets, decisions.

Every step is a log entry. The system draw is a pure function of the sitting's seed (committed when
the sitting opens, revealed when it closes) and the admission number, using the papers' keystream
(docs/assembly.md §2): for K1, K2, K3, K4 in that order, ``uniform(n)`` over the subject's item keys
in UTF-8 byte order picks the item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict, Forbidden, InvalidInput
from examsvc.papers.stream import Stream, candidate_seed
from examsvc.practical import rules, seeds
from examsvc.practical import service as banks
from examsvc.practical.document import PracticalItem, Subject
from examsvc.practical.models import PracticalDecision, PracticalDraw, PracticalMark
from examsvc.practical.rule import DrawBy, PracticalRule
from examsvc.practical.scoring import CriterionMark, SubjectScore, check_marks, combine, subject_score
from examsvc.sittings.checkin import checked_in
from examsvc.sittings.models import Sitting, SittingStatus, StaffRole
from examsvc.sittings.presence import present, require_chief_of
from examsvc.sittings.service import get as get_sitting

SHEET_FORMAT = "examsvc-practical-sheet/1"


def draw_items(items: Sequence[PracticalItem], seed: bytes, admission_number: str) -> dict[Subject, str]:
    """The system draw: one item key per subject, reproducible from the seed (see the module doc)."""
    stream = Stream(candidate_seed(seed, admission_number))
    drawn = {}
    for subject in Subject:
        keys = sorted((i.key for i in items if i.subject == subject), key=str.encode)
        drawn[subject] = keys[stream.uniform(len(keys))]
    return drawn


@dataclass(frozen=True)
class Context:
    sitting: Sitting
    rule: PracticalRule
    items: dict[str, PracticalItem]
    registration: Registration
    room_id: int


def context(db_session: Session, code: str, admission_number: str) -> Context:
    sitting = get_sitting(db_session=db_session, code=code)
    if sitting.practical_rule_id is None:
        raise Conflict("这不是实际操作考试场次。", code="not_a_practical_sitting", detail={"sitting": code})
    if sitting.status != SittingStatus.OPEN:
        raise Conflict("考试场次不在进行中。", code="sitting_not_open", detail={"sitting": code})
    row = rules.get(db_session=db_session, rule_id=sitting.practical_rule_id)
    document = banks.document_of(db_session=db_session, version_id=row.bank_version_id)
    registration, _, room_id = checked_in(db_session, sitting, admission_number)
    return Context(sitting, rules.rule_of(row), {i.key: i for i in document.items}, registration, room_id)


def require_evaluator(db_session: Session, ctx: Context, actor: Actor) -> None:
    """Only an evaluator assigned to the candidate's room and checked in on site may score or draw."""
    assigned = any(a.user_id == actor.user_id and a.role == StaffRole.EVALUATOR and a.room_id == ctx.room_id
                   for a in ctx.sitting.staff)
    if not assigned:
        raise Forbidden("只有安排在本考场的考评员可以评分。", code="not_evaluator_of_room",
                        detail={"sitting": ctx.sitting.code})
    if actor.user_id not in present(db_session, ctx.sitting):
        raise Forbidden("考评员须先在考点签到到岗。", code="evaluator_not_present",
                        detail={"sitting": ctx.sitting.code})


def visible_sheets(ctx: Context, sheets: Sequence[PracticalMark], state: SubjectState,
                   actor: Actor) -> list[PracticalMark]:
    """Sheets a viewer may see: the chief examiner all of them; an evaluator of the candidate's room
    their own, and the other's only once the subject is settled (double marking stays blind)."""
    if any(a.user_id == actor.user_id and a.role == StaffRole.CHIEF_EXAMINER for a in ctx.sitting.staff):
        return list(sheets)
    if not any(a.user_id == actor.user_id and a.role == StaffRole.EVALUATOR and a.room_id == ctx.room_id
               for a in ctx.sitting.staff):
        raise Forbidden("只有本考场的考评员或本场次主考官可以查看该考生。", code="not_evaluator_of_room",
                        detail={"sitting": ctx.sitting.code})
    if state.score is not None:
        return list(sheets)
    return [s for s in sheets if s.evaluator_id == actor.user_id]


def draws_of(db_session: Session, registration_id: int) -> dict[Subject, str]:
    return {Subject(d.subject): d.item_key for d in db_session.scalars(
        select(PracticalDraw).where(PracticalDraw.registration_id == registration_id))}


def draw(*, db_session: Session, code: str, admission_number: str, keys: KeyProvider, actor: Actor,
         chosen: dict[Subject, str] | None = None) -> dict[Subject, str]:
    """At the candidate's start: the system draws from the seed, or the evaluator records the lots the
    candidate drew (``chosen``), as the rule says. Either way it is logged and never redrawn."""
    ctx = context(db_session, code, admission_number)
    require_evaluator(db_session, ctx, actor)
    if draws_of(db_session, ctx.registration.id):
        raise Conflict("该考生已抽题，不能重抽。", code="already_drawn", detail={"admission_number": admission_number})
    if ctx.rule.draw_by == DrawBy.SYSTEM:
        if chosen:
            raise InvalidInput("本规则由系统抽题，不能指定项目。", code="system_draws", detail={"field": "items"})
        seed = seeds.unwrap(db_session, ctx.sitting, keys)
        drawn = draw_items(list(ctx.items.values()), seed, admission_number)
    else:
        if not chosen or set(chosen) != set(Subject):
            raise InvalidInput("考生抽签：须记录 K1–K4 每个科目抽到的项目编号。", code="draw_incomplete",
                               detail={"field": "items"})
        wrong = [s for s, key in chosen.items() if key not in ctx.items or ctx.items[key].subject != s]
        if wrong:
            raise InvalidInput("抽到的项目编号不属于该科目或不在题库中。", code="bad_draw",
                               detail={"field": "items", "subjects": [str(s) for s in wrong]})
        drawn = dict(chosen)
    for subject, key in drawn.items():
        db_session.add(PracticalDraw(sitting_id=ctx.sitting.id, registration_id=ctx.registration.id,
                                     subject=str(subject), item_key=key, drawn_by=str(ctx.rule.draw_by),
                                     recorded_by=actor.user_id))
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical.drawn", subject_type="sitting",
                 subject_id=ctx.sitting.id, details={"admission_number": admission_number,
                                                     "drawn_by": str(ctx.rule.draw_by),
                                                     "items": {str(s): k for s, k in drawn.items()}})
    return drawn


def sheet_document(ctx: Context, subject: Subject, item: PracticalItem, evaluator_id: int,
                   marks: Sequence[CriterionMark], score: SubjectScore) -> dict[str, Any]:
    return {"format": SHEET_FORMAT, "sitting": ctx.sitting.code, "candidate": ctx.registration.admission_number,
            "subject": str(subject), "item": item.key, "item_digest": item.digest(), "evaluator": evaluator_id,
            "marks": [{"code": m.code, "points": m.points, "veto_failed": m.veto_failed}
                      for m in sorted(marks, key=lambda m: m.code)],
            "score": score.tenths, "veto_failed": score.veto_failed}


def score(*, db_session: Session, code: str, admission_number: str, subject: Subject,
          marks: Sequence[CriterionMark], now: datetime, actor: Actor) -> PracticalMark:
    """An evaluator's sheet for one subject, sealed at once: it never changes afterwards."""
    ctx = context(db_session, code, admission_number)
    require_evaluator(db_session, ctx, actor)
    key = draws_of(db_session, ctx.registration.id).get(subject)
    if key is None:
        raise Conflict("该考生尚未抽题。", code="not_drawn", detail={"admission_number": admission_number})
    assert actor.user_id is not None
    exists = db_session.scalars(select(PracticalMark).where(
        PracticalMark.registration_id == ctx.registration.id, PracticalMark.subject == str(subject),
        PracticalMark.evaluator_id == actor.user_id)).first()
    if exists is not None:
        raise Conflict("评分已提交，不能修改；如有错误请申请复核。", code="already_scored",
                       detail={"admission_number": admission_number, "subject": str(subject)})
    item = ctx.items[key]
    check_marks(item, marks)
    result = subject_score(ctx.rule, item, marks)
    data = canonical_json(sheet_document(ctx, subject, item, actor.user_id, marks, result))
    row = PracticalMark(sitting_id=ctx.sitting.id, registration_id=ctx.registration.id, subject=str(subject),
                        evaluator_id=actor.user_id, document=data.decode(), digest=hashlib.sha256(data).hexdigest(),
                        tenths=result.tenths, veto_failed=result.veto_failed, submitted_at=now)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical.scored", subject_type="sitting",
                 subject_id=ctx.sitting.id, details={"admission_number": admission_number, "subject": str(subject),
                                                     "item": key, "sheet": row.digest, "score": row.tenths,
                                                     "veto_failed": row.veto_failed})
    return row


def marks_of(db_session: Session, registration_id: int) -> dict[Subject, list[PracticalMark]]:
    out: dict[Subject, list[PracticalMark]] = {}
    for row in db_session.scalars(select(PracticalMark).where(PracticalMark.registration_id == registration_id)
                                  .order_by(PracticalMark.evaluator_id)):
        out.setdefault(Subject(row.subject), []).append(row)
    return out


def decisions_of(db_session: Session, registration_id: int) -> dict[Subject, PracticalDecision]:
    return {Subject(d.subject): d for d in db_session.scalars(
        select(PracticalDecision).where(PracticalDecision.registration_id == registration_id))}


@dataclass(frozen=True)
class SubjectState:
    score: SubjectScore | None
    waiting_for: str | None  # "evaluators" or "chief_examiner", when there is no score yet


def subject_state(rule: PracticalRule, sheets: Sequence[PracticalMark],
                  decision: PracticalDecision | None) -> SubjectState:
    if decision is not None:
        return SubjectState(SubjectScore(decision.tenths, decision.veto_failed), None)
    if len(sheets) < rule.evaluators:
        return SubjectState(None, "evaluators")
    scores = [SubjectScore(s.tenths, s.veto_failed) for s in sheets]
    if rule.evaluators == 1:
        return SubjectState(scores[0], None)
    agreed = combine(rule, scores[0], scores[1])
    return SubjectState(agreed.score, None if agreed.score is not None else "chief_examiner")


def decide(*, db_session: Session, code: str, admission_number: str, subject: Subject, tenths: int,
           veto_failed: bool, reason: str, actor: Actor) -> PracticalDecision:
    """The chief examiner settles a subject the two evaluators disagree on."""
    ctx = context(db_session, code, admission_number)
    require_chief_of(ctx.sitting, actor)
    sheets = marks_of(db_session, ctx.registration.id).get(subject, [])
    state = subject_state(ctx.rule, sheets, decisions_of(db_session, ctx.registration.id).get(subject))
    if state.waiting_for != "chief_examiner":
        raise Conflict("该科目不需要主考官裁定（评分未齐、评分一致或已裁定）。", code="no_disagreement",
                       detail={"admission_number": admission_number, "subject": str(subject)})
    weight = ctx.rule.weights[subject] * 10
    if not 0 <= tenths <= weight:
        raise InvalidInput(f"裁定分数应在 0–{weight} 之间（单位：0.1分）。", code="bad_decision",
                           detail={"field": "score"})
    assert actor.user_id is not None
    row = PracticalDecision(sitting_id=ctx.sitting.id, registration_id=ctx.registration.id, subject=str(subject),
                            tenths=tenths, veto_failed=veto_failed, reason=reason, decided_by=actor.user_id)
    db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical.decided", subject_type="sitting",
                 subject_id=ctx.sitting.id, details={
                     "admission_number": admission_number, "subject": str(subject), "score": tenths,
                     "veto_failed": veto_failed, "reason": reason, "sheets": [s.digest for s in sheets]})
    return row


def sheet_json(row: PracticalMark) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(row.document)
    return parsed
