"""Examiner presence (no 缺位、越位、错位) and opening a sitting.

Staff check in themselves, logged in on an approved workstation of the sitting's own site. A sitting
opens only inside its start window, by its own chief examiner, with the chief examiner and every
room's minimum of proctors present, and with the chief examiner's passphrase: opening releases the
papers' key, which until then is sealed to the chief examiner (docs/security.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.crypto.envelope import KeyProvider
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput
from examsvc.examiners import exchange
from examsvc.examiners import service as examiners
from examsvc.papers import service as papers
from examsvc.papers.models import PaperSetStatus
from examsvc.practical import rules as practical_rules
from examsvc.practical import seeds as practical_seeds
from examsvc.sites import rooms as site_rooms
from examsvc.sites.models import Workstation
from examsvc.sittings import flows
from examsvc.sittings.models import Presence, Sitting, SittingStatus, StaffAssignment, StaffRole
from examsvc.sittings.service import get


def present(db_session: Session, sitting: Sitting) -> dict[int, Presence]:
    rows = db_session.scalars(select(Presence).where(Presence.sitting_id == sitting.id,
                                                     Presence.checked_out_at.is_(None)))
    return {p.user_id: p for p in rows}


def check_in(*, db_session: Session, code: str, user_id: int, workstation: Workstation, actor: Actor) -> Presence:
    sitting = get(db_session=db_session, code=code)
    if sitting.status == SittingStatus.CLOSED:
        raise Conflict("考试场次已结束。", code="sitting_closed", detail={"sitting": code})
    if not any(a.user_id == user_id for a in sitting.staff):
        raise Forbidden("您未被安排在本场次（不得越位、错位）。", code="not_assigned", detail={"sitting": code})
    if workstation.site_id != sitting.site_id:
        raise Forbidden("只能在本场次考点的考试机上签到。", code="wrong_site",
                        detail={"sitting": code, "workstation_id": workstation.id})
    if user_id in present(db_session, sitting):
        raise Conflict("已经签到。", code="already_present", detail={"sitting": code})
    earlier = db_session.scalars(select(Presence).where(Presence.sitting_id == sitting.id,
                                                        Presence.user_id == user_id)).first()
    if earlier is not None:
        raise Conflict("签退后再次到岗须由主考官安排替换。", code="checked_out", detail={"sitting": code})
    presence = Presence(sitting_id=sitting.id, user_id=user_id, workstation_id=workstation.id, checked_in_at=utcnow())
    db_session.add(presence)
    db_session.flush()
    # Every column of the row is in the entry: verify-sitting compares them (issue 15).
    audit.record(db_session=db_session, actor=actor, action="sitting.staff_checked_in", subject_type="sitting",
                 subject_id=sitting.id, details={"user_id": user_id, "workstation_id": workstation.id,
                                                 "checked_in_at": audit.rfc3339(presence.checked_in_at)})
    return presence


def require_chief_of(sitting: Sitting, actor: Actor) -> None:
    if not any(a.user_id == actor.user_id and a.role == StaffRole.CHIEF_EXAMINER for a in sitting.staff):
        raise Forbidden("只有本场次的主考官可以执行此操作。", code="not_this_chief_examiner",
                        detail={"sitting": sitting.code})


def check_out(*, db_session: Session, code: str, user_id: int, reason: str, actor: Actor) -> Presence:
    """A staff member leaves, with a reason, approved by the sitting's chief examiner."""
    sitting = get(db_session=db_session, code=code)
    require_chief_of(sitting, actor)
    presence = present(db_session, sitting).get(user_id)
    if presence is None:
        raise InvalidInput("该人员未在岗。", code="not_present", detail={"user_id": user_id})
    presence.checked_out_at = utcnow()
    presence.checkout_reason = reason
    presence.checkout_approved_by = actor.user_id
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="sitting.staff_checked_out", subject_type="sitting",
                 subject_id=sitting.id, details={"user_id": user_id, "reason": reason,
                                                 "checked_out_at": audit.rfc3339(presence.checked_out_at)})
    return presence


def missing_staff(db_session: Session, sitting: Sitting) -> list[dict[str, Any]]:
    """What keeps the sitting from opening: an absent chief examiner, rooms short of proctors."""
    here = present(db_session, sitting)
    missing: list[dict[str, Any]] = []
    chiefs = [a.user_id for a in sitting.staff if a.role == StaffRole.CHIEF_EXAMINER]
    if not chiefs or chiefs[0] not in here:
        missing.append({"role": "chief_examiner", "assigned": bool(chiefs)})
    proctors = present_proctors(db_session, sitting)
    for room in sitting.rooms:
        count = proctors.get(room.room_id, 0)
        if count < sitting.proctors_per_room:
            missing.append({"role": "proctor", "room": _room_code(db_session, room.room_id), "present": count,
                            "required": sitting.proctors_per_room})
        if sitting.practical_rule_id is not None:  # a practical room needs the rule's evaluators on site too
            needed = practical_rules.rule_of(practical_rules.get(db_session=db_session,
                                                                 rule_id=sitting.practical_rule_id)).evaluators
            here_now = sum(1 for a in sitting.staff if a.role == StaffRole.EVALUATOR and a.room_id == room.room_id
                           and a.user_id in here)
            if here_now < needed:
                missing.append({"role": "evaluator", "room": _room_code(db_session, room.room_id), "present": here_now,
                                "required": needed})
    return missing


def _room_code(db_session: Session, room_id: int) -> str:
    """Details name rooms by code, as requests do (issue 16 item 15)."""
    return site_rooms.codes(db_session=db_session, room_ids=[room_id]).get(room_id, str(room_id))


def present_proctors(db_session: Session, sitting: Sitting, room_id: int | None = None) -> dict[int, int]:
    """Room → its assigned proctors checked in now, in one query (every start of a start storm asks)."""
    query = select(StaffAssignment.room_id, func.count()).join(Presence, and_(
        Presence.sitting_id == StaffAssignment.sitting_id, Presence.user_id == StaffAssignment.user_id,
        Presence.checked_out_at.is_(None))).where(
        StaffAssignment.sitting_id == sitting.id, StaffAssignment.role == StaffRole.PROCTOR).group_by(
        StaffAssignment.room_id)
    if room_id is not None:
        query = query.where(StaffAssignment.room_id == room_id)
    return {row[0]: row[1] for row in db_session.execute(query) if row[0] is not None}


def room_staffed(db_session: Session, sitting: Sitting, room_id: int) -> bool:
    """New starts in a room are refused while it is below its proctor minimum (as for opening)."""
    return present_proctors(db_session, sitting, room_id).get(room_id, 0) >= sitting.proctors_per_room


def open_sitting(*, db_session: Session, code: str, passphrase: str, now: datetime, window_minutes: int,
                 keys: KeyProvider, actor: Actor) -> Sitting:
    """Opens the sitting and releases its papers' key: the chief examiner's passphrase unlocks the key the
    data keys are sealed to (issue 14 item 13). A wrong passphrase opens nothing (the request rolls back)."""
    sitting = get(db_session=db_session, code=code)
    require_chief_of(sitting, actor)
    if sitting.status != SittingStatus.SCHEDULED:
        raise Conflict("考试场次不在待开考状态。", code="sitting_not_scheduled",
                       detail={"sitting": code, "status": sitting.status})
    earliest = sitting.scheduled_start - timedelta(minutes=window_minutes)
    if now < earliest:
        raise Conflict("未到开考时间窗口。", code="too_early",
                       detail={"sitting": code, "opens_at": audit.rfc3339(earliest)})
    missing = missing_staff(db_session, sitting)
    if missing:
        raise Conflict("考务人员未按要求到岗，不能开考。", code="staff_missing",
                       detail={"sitting": code, "missing": missing})
    if sitting.blueprint_version_id is not None:
        papers.require_ready_to_open(db_session=db_session, sitting_code=code)
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    chief_key = exchange.private_key(db_session, actor.user_id, signer, actor)
    released = []
    for paper_set in papers.sets_of_sitting(db_session=db_session, sitting_code=code):
        if paper_set.status == PaperSetStatus.APPROVED:  # an unapproved supplement waits for its approval
            papers.release(db_session=db_session, paper_set=paper_set, chief_key=chief_key, keys=keys, actor=actor)
            released.append(paper_set.id)
    if sitting.practical_rule_id is not None:
        # Made now, so before the opening there is no seed to keep from anyone (docs/security.md).
        practical_seeds.commit_seed(db_session, sitting, keys, actor)
    sitting.status = SittingStatus.OPEN
    sitting.opened_at = now
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="sitting.opened", subject_type="sitting",
                 subject_id=sitting.id, details={"sitting": code, "paper_sets_opened": released,
                                                 "examiner_key": signer.name})
    return sitting


def substitute(*, db_session: Session, code: str, out_user_id: int, in_user_id: int, room_code: str, reason: str,
               actor: Actor) -> None:
    """The chief examiner replaces a proctor of a room: the leaving one is checked out with the reason,
    the new one is assigned through every conflict check and must then check in on site."""
    sitting = get(db_session=db_session, code=code)
    require_chief_of(sitting, actor)
    if not any(a.user_id == out_user_id and a.role == StaffRole.PROCTOR for a in sitting.staff):
        raise InvalidInput("被替换人员不是本场次的监考员。", code="not_a_proctor_here", detail={"user_id": out_user_id})
    if out_user_id in present(db_session, sitting):
        check_out(db_session=db_session, code=code, user_id=out_user_id, reason=reason, actor=actor)
    flows.assign_staff(db_session=db_session, code=code, user_id=in_user_id, role=StaffRole.PROCTOR,
                       room_code=room_code, actor=actor, substitution=True)
    audit.record(db_session=db_session, actor=actor, action="sitting.staff_substituted", subject_type="sitting",
                 subject_id=sitting.id, details={"out_user_id": out_user_id, "in_user_id": in_user_id,
                                                 "room": room_code, "reason": reason})


def require_room_authority(db_session: Session, sitting: Sitting, room_id: int, actor: Actor) -> None:
    """Proctor actions in a room: a proctor of that room who is checked in, or the sitting's chief examiner."""
    if any(a.user_id == actor.user_id and a.role == StaffRole.CHIEF_EXAMINER for a in sitting.staff):
        return
    assigned = any(a.user_id == actor.user_id and a.role == StaffRole.PROCTOR and a.room_id == room_id
                   for a in sitting.staff)
    if not assigned or actor.user_id not in present(db_session, sitting):
        raise Forbidden("只有在岗的本考场监考员或本场次主考官可以执行此操作。", code="not_proctor_of_room",
                        detail={"sitting": sitting.code, "room": _room_code(db_session, room_id)})
