"""Scheduling sittings and assigning their staff, refusing every conflict by name.

Conflicts refused here: a start in the past (unless an exam admin marks the sitting as a correction,
with a reason that is logged); a room taken by another sitting in an overlapping span (``timing.room_span``);
a staff member without the role; a chief examiner who is also a proctor or
evaluator of the sitting (no 越位/错位); one person in two overlapping sittings (no 缺位); proctors and
evaluators outside the sitting's rooms; a second chief examiner. 考教分离 against the candidates'
training institutions is checked by ``flows.assign_staff`` and at registration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.identity import service as identity
from examsvc.practical import rules as practical_rules
from examsvc.sites import rooms as site_rooms
from examsvc.sites import service as sites
from examsvc.sittings import timing
from examsvc.sittings.models import Sitting, SittingRoom, SittingStatus, StaffAssignment, StaffRole

PER_ROOM = (StaffRole.PROCTOR, StaffRole.EVALUATOR)


def get(*, db_session: Session, code: str) -> Sitting:
    sitting = db_session.scalars(select(Sitting).where(Sitting.code == code)).first()
    if sitting is None:
        raise NotFound("考试场次不存在。", code="sitting_not_found", detail={"sitting": code})
    return sitting


def list_all(*, db_session: Session, staff_user_id: int | None = None) -> list[Sitting]:
    """Every sitting, or with ``staff_user_id`` those the user is assigned to."""
    query = select(Sitting).order_by(Sitting.scheduled_start, Sitting.code)
    if staff_user_id is not None:
        query = query.where(Sitting.id.in_(select(StaffAssignment.sitting_id).where(
            StaffAssignment.user_id == staff_user_id)))
    return list(db_session.scalars(query))


def _rule(db_session: Session, blueprint_id: int | None, practical_rule_id: int | None) -> tuple[str, int]:
    """The approved rule's digest and duration: a composition rule (theory) or a practical rule."""
    if (blueprint_id is None) == (practical_rule_id is None):
        raise InvalidInput("请指定理论考试的组卷规则或实操考试规则（二者之一）。", code="one_rule_required",
                           detail={"field": "blueprint_id"})
    if blueprint_id is not None:
        rule = blueprints.get(db_session=db_session, blueprint_id=blueprint_id)
        if rule.status != BlueprintStatus.APPROVED:
            raise Conflict("考试场次只能使用已批准的组卷规则。", code="blueprint_not_approved",
                           detail={"blueprint_id": blueprint_id, "status": rule.status})
        parsed = blueprints.rule_of(rule)
        if parsed.purpose == "spot":
            raise InvalidInput("抽考（逢查必考）规则只用于执法检查，不能用于考试场次。", code="spot_rule",
                               detail={"field": "blueprint_id", "blueprint_id": blueprint_id})
        return rule.digest, parsed.duration_minutes
    assert practical_rule_id is not None
    row = practical_rules.get(db_session=db_session, rule_id=practical_rule_id)
    if row.status != "approved":
        raise Conflict("考试场次只能使用已批准的实操考试规则。", code="practical_rule_not_approved",
                       detail={"practical_rule_id": practical_rule_id, "status": row.status})
    return row.digest, practical_rules.rule_of(row).duration_minutes


def theory_rule(db_session: Session, sitting: Sitting) -> BlueprintVersion:
    if sitting.blueprint_version_id is None:
        raise Conflict("这是实际操作考试场次，没有理论试卷和答卷。", code="not_a_theory_sitting",
                       detail={"sitting": sitting.code})
    return blueprints.get(db_session=db_session, blueprint_id=sitting.blueprint_version_id)


def create(*, db_session: Session, code: str, title: str, blueprint_id: int | None, site_code: str,
           room_codes: list[str], scheduled_start: datetime, late_entry_minutes: int, proctors_per_room: int,
           actor: Actor, now: datetime, practical_rule_id: int | None = None,
           correction_reason: str | None = None) -> Sitting:
    """``correction_reason``: the exam admin's explicit mark that this records a sitting whose start has
    passed (a correction of the schedule); without it a start in the past is refused."""
    if correction_reason is not None and not correction_reason.strip():
        raise InvalidInput("更正须说明原因。", code="correction_reason_required", detail={"field": "correction_reason"})
    if scheduled_start < now and correction_reason is None:
        raise InvalidInput("计划开考时间已过，不能安排；如为更正已发生的场次，请标明更正并说明原因。",
                           code="scheduled_in_past", detail={"field": "scheduled_start",
                                                             "scheduled_start": audit.rfc3339(scheduled_start),
                                                             "now": audit.rfc3339(now)})
    digest, duration = _rule(db_session, blueprint_id, practical_rule_id)
    if db_session.scalars(select(Sitting).where(Sitting.code == code)).first() is not None:
        raise Conflict("考试场次编号已存在。", code="sitting_code_taken", detail={"sitting": code})
    if not room_codes or len(set(room_codes)) != len(room_codes):
        raise InvalidInput("至少需要一个考场，且不能重复。", code="bad_rooms", detail={"rooms": room_codes})
    site = sites.get_site(db_session=db_session, code=site_code)
    # Locked (in order) until the sitting is stored: two admins booking one room at once are taken in turn.
    by_code = {c: site_rooms.get_room(db_session=db_session, site_code=site_code, code=c, lock=True).id
               for c in sorted(room_codes)}
    room_ids = [by_code[c] for c in room_codes]
    sitting = Sitting(code=code, title=title, blueprint_version_id=blueprint_id, practical_rule_id=practical_rule_id,
                      site_id=site.id, scheduled_start=scheduled_start, duration_minutes=duration,
                      late_entry_minutes=late_entry_minutes, proctors_per_room=proctors_per_room,
                      status=SittingStatus.SCHEDULED, created_by=actor.user_id)
    _refuse_double_booking(db_session, sitting, dict(zip(room_ids, room_codes, strict=True)))
    sitting.rooms = [SittingRoom(room_id=room_id) for room_id in room_ids]
    db_session.add(sitting)
    db_session.flush()
    details: dict[str, object] = {
        "sitting": code, "site": site_code, "rooms": room_codes,
        ("blueprint_digest" if blueprint_id is not None else "practical_rule_digest"): digest,
        "scheduled_start": audit.rfc3339(scheduled_start), "duration_minutes": sitting.duration_minutes}
    if correction_reason is not None:
        details["correction"] = {"reason": correction_reason, "scheduled_in_past": scheduled_start < now}
    audit.record(db_session=db_session, actor=actor, action="sitting.scheduled", subject_type="sitting",
                 subject_id=sitting.id, details=details)
    return sitting


def _refuse_double_booking(db_session: Session, sitting: Sitting, rooms: dict[int, str]) -> None:
    """One sitting per room at a time, over the whole span a room may be needed (``timing.room_span``):
    two sittings in one room put two candidates on each seat's workstation."""
    span = timing.room_span(sitting)
    for other, room_id in db_session.execute(select(Sitting, SittingRoom.room_id).join(SittingRoom).where(
            SittingRoom.room_id.in_(rooms), Sitting.status != SittingStatus.CLOSED).order_by(
            Sitting.scheduled_start, SittingRoom.room_id)).unique():
        if timing.overlaps(span, timing.room_span(other)):
            start, end = timing.room_span(other)
            raise Conflict(f"考场 {rooms[room_id]} 已安排给时间重叠的场次 {other.code}。", code="room_double_booked",
                           detail={"room": rooms[room_id], "other_sitting": other.code,
                                   "other_span": [audit.rfc3339(start), audit.rfc3339(end)]})


def staff_conflict(message: str, conflict: str, **detail: object) -> Conflict:
    return Conflict(message, code="staff_conflict", detail={"conflict": conflict, **detail})


def assign(*, db_session: Session, code: str, user_id: int, role: StaffRole, room_code: str | None,
           actor: Actor, substitution: bool = False) -> StaffAssignment:
    """Before opening, the exam admin assigns; once open, only the chief examiner's substitution does
    (``substitution``): an admin must not be able to slip a new proctor into a running room."""
    sitting = get(db_session=db_session, code=code)
    room_id = check_assignment(db_session=db_session, sitting=sitting, user_id=user_id, role=role,
                               room_code=room_code, substitution=substitution)
    assignment = StaffAssignment(sitting_id=sitting.id, user_id=user_id, role=str(role), room_id=room_id,
                                 assigned_by=actor.user_id)
    db_session.add(assignment)
    db_session.flush()
    db_session.refresh(sitting)
    audit.record(db_session=db_session, actor=actor, action="sitting.staff_assigned", subject_type="sitting",
                 subject_id=sitting.id, details={"user_id": user_id, "role": str(role), "room": room_code})
    return assignment


def check_assignment(*, db_session: Session, sitting: Sitting, user_id: int, role: StaffRole, room_code: str | None,
                     substitution: bool = False) -> int | None:
    """Every conflict that refuses the assignment, raised by name; the room's id otherwise. Writes nothing:
    the console shows the conflicts before saving with the very checks the save makes."""
    code = sitting.code
    if sitting.status == SittingStatus.CLOSED:
        raise Conflict("考试场次已结束。", code="sitting_closed", detail={"sitting": code})
    if sitting.status != SittingStatus.SCHEDULED and not substitution:
        raise Conflict("开考后的人员变动须由主考官办理替换。", code="sitting_not_scheduled",
                       detail={"sitting": code, "status": sitting.status})
    user = identity.get_user(db_session=db_session, user_id=user_id)
    if role not in user.role_names:
        raise staff_conflict("该人员没有此角色，不能如此安排。", "missing_role", user_id=user_id, role=str(role))
    room_id = None
    if role in PER_ROOM:
        if room_code is None:
            raise InvalidInput("监考员和考评员必须指定考场。", code="room_required", detail={"role": str(role)})
        room_id = site_rooms.get_room(db_session=db_session, site_code=sitting.site.code, code=room_code).id
        if room_id not in {r.room_id for r in sitting.rooms}:
            raise staff_conflict("该考场不属于本场次。", "room_not_in_sitting", room=room_code)
    elif room_code is not None:
        raise InvalidInput("主考官和巡考员不按考场安排。", code="room_not_allowed", detail={"role": str(role)})
    mine = [a for a in sitting.staff if a.user_id == user_id]
    if role == StaffRole.CHIEF_EXAMINER:
        other_chief = [a for a in sitting.staff if a.role == StaffRole.CHIEF_EXAMINER and a.user_id != user_id]
        if other_chief:
            raise staff_conflict("本场次已有主考官。", "second_chief_examiner",
                                 chief_examiner_id=other_chief[0].user_id)
    in_room = any(a.role in PER_ROOM for a in mine) if role == StaffRole.CHIEF_EXAMINER else (
        role in PER_ROOM and any(a.role == StaffRole.CHIEF_EXAMINER for a in mine))
    if in_room:
        raise staff_conflict("主考官不能同时担任本场次的监考员或考评员。", "chief_examiner_also_in_room",
                             user_id=user_id)
    if any(a.role == role and a.room_id == room_id for a in mine):
        raise staff_conflict("该人员已按此角色安排在本场次。", "already_assigned", user_id=user_id, role=str(role))
    if any(a.role in PER_ROOM and a.room_id != room_id for a in mine) and role in PER_ROOM:
        raise staff_conflict("同一人员不能同时在两个考场。", "two_rooms", user_id=user_id)
    window = timing.exam_window(sitting)
    for other in db_session.scalars(select(Sitting).join(StaffAssignment).where(
            StaffAssignment.user_id == user_id, Sitting.id != sitting.id,
            Sitting.status != SittingStatus.CLOSED)).unique():
        if timing.overlaps(window, timing.exam_window(other)):
            raise staff_conflict("该人员已安排在时间重叠的另一场次。", "overlapping_sitting", user_id=user_id,
                          other_sitting=other.code)
    return room_id


def unassign(*, db_session: Session, code: str, assignment_id: int, reason: str, actor: Actor) -> None:
    sitting = get(db_session=db_session, code=code)
    assignment = db_session.get(StaffAssignment, assignment_id)
    if assignment is None or assignment.sitting_id != sitting.id:
        raise NotFound("该安排不存在。", code="assignment_not_found", detail={"assignment_id": assignment_id})
    if sitting.status != SittingStatus.SCHEDULED:
        raise Conflict("开考后的人员变动须走替换流程（主考官批准）。", code="sitting_not_scheduled",
                       detail={"sitting": code, "status": sitting.status})
    details = {"user_id": assignment.user_id, "role": assignment.role, "room_id": assignment.room_id,
               "reason": reason}
    db_session.delete(assignment)
    db_session.flush()
    db_session.refresh(sitting)
    audit.record(db_session=db_session, actor=actor, action="sitting.staff_unassigned", subject_type="sitting",
                 subject_id=sitting.id, details=details)

