"""Work that spans sittings and candidates (conventions: cross-domain steps live in a flows module)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.candidates import service as candidates
from examsvc.identity import service as identity
from examsvc.identity.roles import AffiliationKind
from examsvc.sittings import service
from examsvc.sittings.models import StaffAssignment, StaffRole


def assign_staff(*, db_session: Session, code: str, user_id: int, role: StaffRole, room_code: str | None,
                 actor: Actor, substitution: bool = False) -> StaffAssignment:
    """Assigns a staff member after the 考教分离 check against the candidates already registered."""
    _refuse_trainers(db_session, code, user_id)
    return service.assign(db_session=db_session, code=code, user_id=user_id, role=role, room_code=room_code,
                          actor=actor, substitution=substitution)


def _refuse_trainers(db_session: Session, code: str, user_id: int) -> None:
    sitting = service.get(db_session=db_session, code=code)
    user = identity.get_user(db_session=db_session, user_id=user_id)
    trained_here = candidates.candidate_institutions(db_session, sitting.id)
    clash = sorted(a.organisation for a in user.affiliations
                   if a.kind == AffiliationKind.TRAINING_INSTITUTION and a.organisation in trained_here)
    if clash:
        raise service.staff_conflict("考教分离：该人员所属培训机构有考生参加本场次。", "trains_candidates",
                                     user_id=user_id, training_institutions=clash)


def check_staff(*, db_session: Session, code: str, user_id: int, role: StaffRole, room_code: str | None) -> None:
    """What ``assign_staff`` would refuse, without assigning (the console shows it before saving)."""
    _refuse_trainers(db_session, code, user_id)
    service.check_assignment(db_session=db_session, sitting=service.get(db_session=db_session, code=code),
                             user_id=user_id, role=role, room_code=room_code)
