"""What a certificate rests on: published results examsvc itself recorded (shared/domain.md).

- 特种作业操作证: a practical pass in the operation item, with a theory pass in the same item still valid
  on the practical's day (``eligibility.theory_pass_valid``, the rule the practical registration used);
- 合格证 (principals, safety managers): a theory pass in the personnel category, certified while it is
  valid (``eligibility.VALIDITY_MONTHS``).

Only the latest version of a result counts, and only once its sitting's results are published (signed by
the chief examiner). Bulk by design: a sitting's candidates in a few queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from examsvc.candidates.models import Registration
from examsvc.crypto.canonical_json import canonical_json
from examsvc.practical.models import PracticalResult
from examsvc.results import eligibility
from examsvc.results.models import Result, ResultsManifest
from examsvc.sittings.models import Sitting


@dataclass(frozen=True)
class Pass:
    kind: str  # "theory" or "practical"
    sitting_id: int
    sitting: str
    day: date
    digest: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "result_digest": self.digest, "sitting": self.sitting}

    def outcome(self) -> eligibility.Outcome:
        return eligibility.Outcome(self.sitting, self.day, True, True)


@dataclass(frozen=True)
class Basis:
    passes: tuple[Pass, ...]
    sitting_id: int  # the sitting of the last pass: where the certificate was earned

    def as_json(self) -> list[dict[str, Any]]:
        return [p.as_json() for p in self.passes]

    @cached_property
    def key(self) -> str:
        return hashlib.sha256(canonical_json(self.as_json())).hexdigest()


# Whose passes: candidate ids, or a query of them (a sitting's registrations: no list of thousands of parameters).
Candidates = Sequence[int] | Select[int]


def _passes(db_session: Session, model: type[Result] | type[PracticalResult], kind: str,
            candidate_ids: Candidates, subject: str) -> dict[int, list[Pass]]:
    latest = (select(model.registration_id, func.max(model.version).label("version"))
              .group_by(model.registration_id).subquery())
    published = select(ResultsManifest.sitting_id)
    query = (select(Registration.candidate_id, Sitting.id, Sitting.code, Sitting.scheduled_start, model.digest)
             .select_from(model)
             .join(latest, (latest.c.registration_id == model.registration_id) & (latest.c.version == model.version))
             .join(Registration, Registration.id == model.registration_id)
             .join(Sitting, Sitting.id == Registration.sitting_id)
             .where(Registration.candidate_id.in_(candidate_ids), Registration.subject == subject,
                    model.passed.is_(True), Sitting.id.in_(published)))
    if model is Result:
        query = query.where(Result.void.is_(False))
    found: dict[int, list[Pass]] = {}
    for candidate_id, sitting_id, code, start, digest in db_session.execute(query):
        found.setdefault(candidate_id, []).append(Pass(kind, sitting_id, code, start.date(), digest))
    for passes in found.values():
        passes.sort(key=lambda p: (p.day, p.sitting))
    return found


def special_operations(db_session: Session, candidate_ids: Candidates, subject: str) -> dict[int, list[Basis]]:
    """Per candidate, every (theory pass, practical pass) pair that qualifies, oldest practical first."""
    if isinstance(candidate_ids, Sequence) and not candidate_ids:
        return {}
    theory = _passes(db_session, Result, "theory", candidate_ids, subject)
    practical = _passes(db_session, PracticalResult, "practical", candidate_ids, subject)
    found: dict[int, list[Basis]] = {}
    for candidate_id, performed in practical.items():
        for done in performed:
            valid = [t for t in theory.get(candidate_id, []) if t.day <= done.day
                     and eligibility.theory_pass_valid([t.outcome()], done.day)]
            if valid:
                found.setdefault(candidate_id, []).append(Basis((valid[-1], done), done.sitting_id))
    return found


def competence(db_session: Session, candidate_ids: Candidates, subject: str, today: date) -> dict[int, list[Basis]]:
    """Per candidate, each theory pass in the category still valid ``today``."""
    if isinstance(candidate_ids, Sequence) and not candidate_ids:
        return {}
    theory = _passes(db_session, Result, "theory", candidate_ids, subject)
    return {candidate_id: [Basis((t,), t.sitting_id) for t in passes
                           if today < eligibility.add_months(t.day, eligibility.VALIDITY_MONTHS)]
            for candidate_id, passes in theory.items()}
