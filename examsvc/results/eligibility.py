"""Who may sit a subject again: pass validity, one retake (补考), re-training after a failed retake.

Per candidate and subject (the special-operations item code, or the personnel category), counting
published results only, and only those after the candidate's last recorded re-training:

- a pass is valid for ``VALIDITY_MONTHS`` (暂行办法 art. 10): sitting the same theory exam again
  inside it is refused; a practical exam needs such a valid pass (``theory_pass_valid``);
- after a first failed attempt, one retake is allowed within ``VALIDITY_MONTHS`` of it (order No. 30
  art. 13); a failed retake means re-training, recorded by an exam admin, before a new first attempt;
- *(design)* a first failure older than ``VALIDITY_MONTHS`` with no retake has lapsed: the next
  sitting is a new first attempt;
- a candidate whose earlier result in the subject is not published yet waits for it;
- a void result (removal for a violation) counts as a failed attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts.models import Attempt
from examsvc.candidates.models import Registration
from examsvc.results.models import Result, ResultsManifest, Retraining
from examsvc.sittings.models import Sitting

VALIDITY_MONTHS = 12


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Outcome:
    sitting: str
    day: date
    published: bool
    passed: bool


def outcomes(db_session: Session, candidate_ids: Sequence[int], subject: str,
             exclude_sitting_id: int | None = None) -> dict[int, list[Outcome]]:
    """Each candidate's attempts in the subject (latest result version), oldest first."""
    if not candidate_ids:
        return {}
    published = set(db_session.scalars(select(ResultsManifest.sitting_id).distinct()))
    rows = db_session.execute(
        select(Registration.candidate_id, Sitting.id, Sitting.code, Sitting.scheduled_start, Result.version,
               Result.passed)
        .join(Sitting, Sitting.id == Registration.sitting_id)
        .join(Attempt, Attempt.registration_id == Registration.id)
        .outerjoin(Result, Result.registration_id == Registration.id)
        .where(Registration.candidate_id.in_(candidate_ids), Registration.subject == subject)
        .order_by(Sitting.scheduled_start, Result.version)).all()
    latest: dict[tuple[int, int], Outcome] = {}
    for candidate_id, sitting_id, code, start, _, passed in rows:
        if sitting_id == exclude_sitting_id:
            continue
        latest[(candidate_id, sitting_id)] = Outcome(code, start.date(), sitting_id in published, bool(passed))
    found: dict[int, list[Outcome]] = {}
    for (candidate_id, _), outcome in latest.items():
        found.setdefault(candidate_id, []).append(outcome)
    for history in found.values():
        history.sort(key=lambda o: o.day)
    return found


def retrained_on(db_session: Session, candidate_ids: Sequence[int], subject: str) -> dict[int, date]:
    if not candidate_ids:
        return {}
    latest: dict[int, date] = {}
    for candidate_id, completed in db_session.execute(select(Retraining.candidate_id, Retraining.completed_on).where(
            Retraining.candidate_id.in_(candidate_ids), Retraining.subject == subject)):
        day = completed.date() if isinstance(completed, datetime) else completed
        latest[candidate_id] = max(latest.get(candidate_id, day), day)
    return latest


def _failure_cycle(relevant: list[Outcome], on: date) -> list[Outcome]:
    """The failures of the current cycle on ``on``: since the last pass, from the first that has not lapsed.
    Two or more means a failed retake (re-training first)."""
    last_pass = max((o.day for o in relevant if o.passed), default=None)
    cycle = [o for o in relevant if not o.passed and (last_pass is None or o.day > last_pass)]
    while cycle and on >= add_months(cycle[0].day, VALIDITY_MONTHS):
        if len(cycle) >= 2 and cycle[1].day < add_months(cycle[0].day, VALIDITY_MONTHS):
            return cycle
        cycle = cycle[1:]
    return cycle


def theory_refusal(history: Iterable[Outcome], retrained: date | None, on: date) -> str | None:
    """Why the candidate may not sit the subject's theory exam on ``on``, or None."""
    relevant = [o for o in history if retrained is None or o.day > retrained]
    pending = [o for o in relevant if not o.published]
    if pending:
        return f"该考生在场次 {pending[0].sitting} 的成绩尚未发布，发布后才能再次报考。"
    passes = [o for o in relevant if o.passed and on < add_months(o.day, VALIDITY_MONTHS)]
    if passes:
        return f"该考生已于 {passes[-1].day.isoformat()} 通过本科目考试，成绩在有效期内，无需再考。"
    if len(_failure_cycle(relevant, on)) >= 2:
        return "该考生补考仍不合格，须重新参加安全技术培训后方可报考（培训记录由考务管理员登记）。"
    return None


def is_retake(history: Iterable[Outcome], retrained: date | None, on: date) -> bool:
    """Whether an attempt on ``on`` was the retake (补考): the rule above, applied to the attempts before it,
    finds exactly one failure in the current cycle (a failure that lapsed, or a new cycle after re-training
    or a pass, makes it a first attempt). For statistics; registration refuses what this would call a third."""
    relevant = [o for o in history if o.day < on and (retrained is None or o.day > retrained)]
    return len(_failure_cycle(relevant, on)) == 1


def theory_pass_valid(history: Iterable[Outcome], on: date) -> bool:
    """A practical exam needs a published theory pass in the subject that is still valid on ``on``."""
    return any(o.published and o.passed and on < add_months(o.day, VALIDITY_MONTHS) for o in history)
