"""The questions a candidate has already seen, for "a retake never repeats a question" (组卷规则).

Seen = the question keys of the papers the same person (same ID number) started in earlier paper
sets: papers are immutable and set ids only grow, so the answer for a set never changes and
``papers rederive`` recomputes exactly what assembly used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts.models import Attempt
from examsvc.candidates.models import Registration
from examsvc.papers.models import Paper, PaperSet


def seen_questions(db_session: Session, admission_numbers: Sequence[str], *, before_set_id: int,
                   open_document: Callable[[Paper, PaperSet], dict[str, Any]]) -> dict[str, frozenset[str]]:
    people = {number: person for number, person in db_session.execute(
        select(Registration.admission_number, Registration.candidate_id).where(
            Registration.admission_number.in_(list(admission_numbers))))} if admission_numbers else {}
    if not people:
        return {}
    rows = db_session.execute(
        select(Registration.candidate_id, Paper, PaperSet)
        .join(Attempt, Attempt.registration_id == Registration.id)
        .join(Paper, Paper.id == Attempt.paper_id)
        .join(PaperSet, PaperSet.id == Paper.paper_set_id)
        .where(Registration.candidate_id.in_(set(people.values())), PaperSet.id < before_set_id)).all()
    by_person: dict[int, set[str]] = {}
    for candidate_id, paper, paper_set in rows:
        document = open_document(paper, paper_set)
        by_person.setdefault(candidate_id, set()).update(item["key"] for item in document["items"])
    return {number: frozenset(by_person[person]) for number, person in people.items() if person in by_person}
