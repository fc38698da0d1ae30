"""Registering candidates for a sitting: all or nothing, every refusal named by row and column.

Refused: a bad ID number or name; an age outside the configured range on the sitting's day; a
candidate already registered for this sitting or booked into an overlapping one; a name that
differs from the one registered before under the same ID number; for 考教分离, a candidate
from a training institution that one of the sitting's staff is affiliated with; and a candidate whose
results in the subject forbid another attempt (a valid pass, a failed retake without re-training, a
result not yet published: ``results.eligibility``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.document import CATEGORY_LABELS, PersonnelCategory
from examsvc.banks.problems import Problem
from examsvc.blueprints import service as blueprints
from examsvc.candidates import binding
from examsvc.candidates.id_number import parse_id_number
from examsvc.candidates.models import Candidate, Registration
from examsvc.candidates.sheets import CandidateSheet, RegistrationRejected, read_candidates
from examsvc.identity.models import StaffAffiliation
from examsvc.identity.roles import AffiliationKind
from examsvc.practical import rules as practical_rules
from examsvc.results import eligibility
from examsvc.sittings import timing
from examsvc.sittings.models import Sitting, SittingStatus, StaffAssignment
from examsvc.sittings.service import get as get_sitting
from examsvc.sittings.service import theory_rule

_CHUNK = 500


def staff_institutions(db_session: Session, sitting_id: int) -> dict[str, int]:
    """Training institutions the sitting's staff are affiliated with → one such staff member's id."""
    rows = db_session.execute(
        select(StaffAffiliation.organisation, StaffAssignment.user_id)
        .join(StaffAssignment, StaffAssignment.user_id == StaffAffiliation.user_id)
        .where(StaffAssignment.sitting_id == sitting_id,
               StaffAffiliation.kind == AffiliationKind.TRAINING_INSTITUTION)).all()
    return {row.organisation: row.user_id for row in rows}


def candidate_institutions(db_session: Session, sitting_id: int) -> set[str]:
    return {i for i in db_session.scalars(select(Registration.training_institution).where(
        Registration.sitting_id == sitting_id)) if i}


def register(*, db_session: Session, code: str, sheet: CandidateSheet, min_age: int, max_age: int,
             actor: Actor) -> list[Registration]:
    """``sheet`` is read (``sheets.read_sheet``) by the caller before its transaction begins."""
    filename = sheet.file
    sitting = get_sitting(db_session=db_session, code=code)
    if sitting.status != SittingStatus.SCHEDULED:
        raise RegistrationRejected.one(filename, "场次已开考或结束，不能再登记考生。")
    day = sitting.scheduled_start.date()
    rows, problems = read_candidates(sheet, today=day)
    practical = sitting.practical_rule_id is not None
    if practical:
        assert sitting.practical_rule_id is not None
        practical_rule = practical_rules.rule_of(practical_rules.get(db_session=db_session,
                                                                     rule_id=sitting.practical_rule_id))
        personnel, subject = PersonnelCategory.SPECIAL_OPERATIONS, practical_rule.operation_item
    else:
        rule = blueprints.rule_of(theory_rule(db_session, sitting))
        if rule.personnel_category is None:  # a spot rule (逢查必考, issue 22): nobody registers for it
            raise RegistrationRejected.one(filename, "该场次的组卷规则是逢查必考规则，不能登记考生。")
        personnel, subject = rule.personnel_category, rule.operation_item or str(rule.personnel_category)
    category, category_label = str(personnel), CATEGORY_LABELS[personnel]
    window = timing.exam_window(sitting)
    forbidden = staff_institutions(db_session, sitting.id)
    existing: dict[str, Candidate] = {}
    booked: dict[int, str] = {}
    ids = [r.id_number for r in rows]
    for i in range(0, len(ids), _CHUNK):  # bounded IN lists: SQLite caps bound parameters
        existing.update((c.id_number, c) for c in db_session.scalars(
            select(Candidate).where(Candidate.id_number.in_(ids[i:i + _CHUNK]))))
    known_ids = [c.id for c in existing.values()]
    for i in range(0, len(known_ids), _CHUNK):
        for registration, other in db_session.execute(
                select(Registration, Sitting).join(Sitting, Sitting.id == Registration.sitting_id)
                .where(Sitting.status != SittingStatus.CLOSED,
                       Registration.candidate_id.in_(known_ids[i:i + _CHUNK]))).all():
            if other.id == sitting.id or timing.overlaps(window, timing.exam_window(other)):
                booked[registration.candidate_id] = other.code
    histories = eligibility.outcomes(db_session, known_ids, subject, exclude_sitting_id=sitting.id)
    retrained = eligibility.retrained_on(db_session, known_ids, subject)
    for row in rows:
        def refuse(field: str, message: str, row_line: int = row.line) -> None:
            problems.append(Problem(file=filename, line=row_line, field=field, message=message))

        age = parse_id_number(row.id_number).age_on(day)
        if not min_age <= age <= max_age:
            refuse("身份证号", f"考试当日年龄 {age} 岁，不在 {min_age}–{max_age} 岁的报考范围内。")
        known = existing.get(row.id_number)
        if known is not None and known.name != row.name:
            refuse("姓名", "姓名与该身份证号已登记的姓名不一致。")
        if known is not None and known.id in booked:
            other_code = booked[known.id]
            refuse("身份证号", "该考生已登记在本场次。" if other_code == code else
                   f"该考生已登记在时间重叠的场次 {other_code}。")
        history = histories.get(known.id, []) if known is not None else []
        if practical and not eligibility.theory_pass_valid(history, day):
            refuse("身份证号", f"该考生没有有效期内的本作业项目（{subject}）理论考试合格成绩，不能参加实际操作考试。")
        elif not practical:
            why = eligibility.theory_refusal(history, retrained.get(known.id) if known else None, day)
            if why:
                refuse("身份证号", why)
        if row.personnel_category and row.personnel_category not in (category, category_label):
            refuse("人员类别", f"本场次考试的人员类别是{category_label}。")
        if row.training_institution and row.training_institution in forbidden:
            refuse("培训机构", f"考教分离：本场次的考务人员（用户 {forbidden[row.training_institution]}）"
                               "与该培训机构有关联。")
    if problems:
        raise RegistrationRejected(sorted(problems, key=lambda p: p.line or 0))
    count = db_session.scalar(select(func.count()).select_from(Registration).where(
        Registration.sitting_id == sitting.id)) or 0
    made: list[Registration] = []
    bindings: dict[str, dict[str, object]] = {}
    for seq, row in enumerate(rows, start=count + 1):
        candidate = existing.get(row.id_number)
        if candidate is None:
            candidate = Candidate(id_number=row.id_number, name=row.name, photo_digest=row.photo_digest,
                                  training_institution=row.training_institution, employer=row.employer)
            db_session.add(candidate)
            db_session.flush()
        salt = binding.new_salt()
        registration = Registration(sitting_id=sitting.id, candidate_id=candidate.id,
                                    admission_number=f"{sitting.scheduled_start:%y%m%d}{sitting.id:04d}{seq:04d}",
                                    training_institution=row.training_institution, personnel_category=category,
                                    subject=subject, binding_salt=salt)
        db_session.add(registration)
        made.append(registration)
        bindings[registration.admission_number] = binding.binding(
            sitting=code, admission_number=registration.admission_number, candidate_id=candidate.id,
            name=candidate.name, id_number=candidate.id_number, salt=salt,
            facts=binding.tracked_facts(registration, candidate))
    db_session.flush()
    # The log names who was registered by admission number; ID numbers and names enter it only as salted
    # digests (candidates.binding), which verify-sitting re-computes from the rows (issue 15 item 1).
    audit.record(db_session=db_session, actor=actor, action="sitting.candidates_registered", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": code, "source": filename, "count": len(made),
                                                 "admission_numbers": [r.admission_number for r in made],
                                                 "bindings": bindings})
    return made


def registrations(*, db_session: Session, code: str) -> list[Registration]:
    sitting = get_sitting(db_session=db_session, code=code)
    return list(db_session.scalars(select(Registration).where(Registration.sitting_id == sitting.id)
                                   .order_by(Registration.admission_number)))
