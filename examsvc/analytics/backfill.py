"""``examsvc analytics collect``: collecting the published sittings that results publication did not
(sittings published before issue 21, or after a restore); ``examsvc analytics check``: every collected row
against what the sealed paper, the sealed answer sheet and the current result derive (``attempt_items`` is
derived data a database owner could edit to steer item analysis and hide a signal)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.analytics.collect import Collected, collect_results, derive
from examsvc.analytics.models import AttemptItems
from examsvc.crypto.envelope import KeyProvider
from examsvc.results import service as results
from examsvc.sittings import service as sittings
from examsvc.sittings.models import Sitting


def _chosen(db_session: Session, sitting_code: str | None) -> list[Sitting]:
    if sitting_code is not None:
        return [sittings.get(db_session=db_session, code=sitting_code)]
    return list(db_session.scalars(select(Sitting).where(Sitting.blueprint_version_id.is_not(None))
                                   .order_by(Sitting.id)))


def backfill(db_session: Session, *, keys: KeyProvider, sitting_code: str | None = None) -> list[Collected]:
    """Every published theory sitting, or the one named (``sitting_not_found`` if there is none)."""
    done = []
    for sitting in _chosen(db_session, sitting_code):
        if sitting.blueprint_version_id is None or not results.manifests(db_session, sitting.id):
            continue
        current = [result for _, result in results.current_results(db_session, sitting.id)]
        done.append(collect_results(db_session, sitting=sitting, keys=keys, current=current))
    return done


COMPARED = ("registration_id", "question_ids", "chosen", "awarded", "possible", "score", "total_points",
            "result_digest", "paper_digest", "sheet_digest")


def check(db_session: Session, *, keys: KeyProvider, sitting_code: str | None = None) -> list[str]:
    """One ``FAILED`` line per collected row that differs from its derivation (naming the field, never a
    value), per missing row and per row that should not be there (a void or superseded result, an
    unpublished sitting)."""
    failures = []
    for sitting in _chosen(db_session, sitting_code):
        stored = {row.attempt_id: row for row in db_session.scalars(
            select(AttemptItems).where(AttemptItems.sitting_id == sitting.id))}
        published = sitting.blueprint_version_id is not None and bool(results.manifests(db_session, sitting.id))
        current = [r for _, r in results.current_results(db_session, sitting.id) if not r.void] if published else []
        derived = derive(db_session, sitting=sitting, keys=keys, results=current) if current else {}
        where = f"attempt_items[sitting={sitting.code}"
        for result in current:
            row = stored.pop(result.attempt_id, None)
            if row is None:
                failures.append(f"FAILED analytics: {where}, attempt={result.attempt_id}] missing: run "
                                f"examsvc analytics collect --sitting {sitting.code}")
                continue
            values = {**derived[result.attempt_id], "registration_id": result.registration_id}
            for name in COMPARED:
                if getattr(row, name) != values[name]:
                    failures.append(f"FAILED analytics: {where}, attempt={result.attempt_id}].{name} differs from "
                                    "the sealed paper, answer sheet and current result")
        for attempt_id in sorted(stored):
            failures.append(f"FAILED analytics: {where}, attempt={attempt_id}] has no current published result "
                            "that is not void")
    return failures
