"""A candidate's overall outcome in an operation item: theory passed and practical passed (with the
theory pass still valid on the practical's day) → qualified, the input to certificates later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.candidates.models import Registration
from examsvc.practical.models import PracticalResult
from examsvc.results import eligibility
from examsvc.results.models import ResultsManifest
from examsvc.sittings.models import Sitting


@dataclass(frozen=True)
class Qualification:
    subject: str
    theory_passed_on: date | None
    practical_passed_on: date | None
    qualified: bool


def practical_passes(db_session: Session, candidate_id: int, subject: str) -> list[date]:
    latest = (select(PracticalResult.registration_id, func.max(PracticalResult.version).label("version"))
              .group_by(PracticalResult.registration_id).subquery())
    published = select(ResultsManifest.sitting_id)
    rows = db_session.execute(
        select(Sitting.scheduled_start).select_from(PracticalResult)
        .join(latest, (latest.c.registration_id == PracticalResult.registration_id)
              & (latest.c.version == PracticalResult.version))
        .join(Registration, Registration.id == PracticalResult.registration_id)
        .join(Sitting, Sitting.id == Registration.sitting_id)
        .where(Registration.candidate_id == candidate_id, Registration.subject == subject,
               PracticalResult.passed.is_(True), Sitting.id.in_(published))).all()
    return sorted(start.date() for (start,) in rows)


def qualification(db_session: Session, candidate_id: int, subject: str) -> Qualification:
    theory = [o for o in eligibility.outcomes(db_session, [candidate_id], subject).get(candidate_id, [])
              if o.published and o.passed]
    practical = practical_passes(db_session, candidate_id, subject)
    qualified = next((day for day in practical if eligibility.theory_pass_valid(
        [o for o in theory if o.day <= day], day)), None)
    return Qualification(subject=subject, theory_passed_on=theory[-1].day if theory else None,
                         practical_passed_on=qualified or (practical[-1] if practical else None),
                         qualified=qualified is not None)
