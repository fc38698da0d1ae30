"""What the signals read about a sitting and its history: the collected items (attempt_items), the seats of
the check-ins, the attempts' times, the save journal's times and positions, the results' pass flags, and
question keys and types (never stems or options). Queries only; the signals are computed elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.analytics import responses
from examsvc.analytics.models import AttemptItems
from examsvc.attempts.models import AnswerSave, Attempt
from examsvc.banks.models import Question
from examsvc.candidates.models import Registration
from examsvc.results.models import Result
from examsvc.sites.models import Room, Seat
from examsvc.sittings.models import CandidateCheckIn, Sitting


@dataclass(frozen=True)
class CollectedAttempt:
    attempt_id: int
    sitting_id: int
    admission_number: str
    institution: str  # "" where none was sent
    question_ids: npt.NDArray[np.int32]
    chosen: npt.NDArray[np.uint8]
    correct: npt.NDArray[np.bool_]
    score: int  # tenths
    total_points: int
    passed: bool | None
    started_at: datetime
    submitted_at: datetime | None
    pause_credit_ms: int
    room_id: int | None = None
    room_code: str | None = None
    seat: int | None = None

    @property
    def share(self) -> float:
        return self.score / self.total_points if self.total_points else 0.0

    @property
    def working_seconds(self) -> float | None:
        if self.submitted_at is None:
            return None
        return max(0.0, (self.submitted_at - self.started_at).total_seconds() - self.pause_credit_ms / 1000)


def collected(db_session: Session, sitting_ids: Sequence[int]) -> list[CollectedAttempt]:
    """Every collected attempt of these sittings, in attempt id order (the items through
    ``analytics.responses.load``, the one way analysis reads them), with its candidate, times, pass flag
    and the seat of its check-in."""
    if not sitting_ids:
        return []
    loaded = responses.load(db_session, sitting_ids=sitting_ids)
    if not loaded.attempts:
        return []
    rows = {row[0]: row[1:] for row in db_session.execute(
        select(Attempt.id, Registration.admission_number, Registration.training_institution, Attempt.started_at,
               Attempt.submitted_at, Attempt.pause_credit_ms, Result.passed, Seat.room_id, Room.code, Seat.number)
        .join(AttemptItems, AttemptItems.attempt_id == Attempt.id)
        .join(Registration, Registration.id == Attempt.registration_id)
        .outerjoin(Result, (Result.digest == AttemptItems.result_digest)
                   & (Result.registration_id == AttemptItems.registration_id))
        .outerjoin(CandidateCheckIn, CandidateCheckIn.registration_id == Attempt.registration_id)
        .outerjoin(Seat, Seat.id == CandidateCheckIn.seat_id)
        .outerjoin(Room, Room.id == Seat.room_id)
        .where(AttemptItems.sitting_id.in_(list(sitting_ids))))}
    correct = (loaded.possible > 0) & (loaded.awarded >= loaded.possible)
    out = []
    for a, attempt_id in enumerate(loaded.attempt_ids.tolist()):
        lo, hi = int(loaded.offsets[a]), int(loaded.offsets[a + 1])
        admission, institution, started, submitted, pause_ms, passed, room_id, room_code, seat = rows[attempt_id]
        out.append(CollectedAttempt(
            attempt_id=attempt_id, sitting_id=int(loaded.sitting_ids[a]), admission_number=admission,
            institution=institution or "", question_ids=loaded.question_ids[lo:hi], chosen=loaded.chosen[lo:hi],
            correct=correct[lo:hi], score=int(loaded.awarded[lo:hi].sum()),
            total_points=int(loaded.possible[lo:hi].sum()), passed=passed, started_at=started,
            submitted_at=submitted, pause_credit_ms=pause_ms, room_id=room_id, room_code=room_code, seat=seat))
    return out


def related_sittings(db_session: Session, sitting: Sitting) -> tuple[list[int], list[int]]:
    """Sittings of the same composition rule (the same exam): those scheduled before this one (its
    history) and all of them up to and including this one (the province's reference)."""
    if sitting.blueprint_version_id is None:
        return [], [sitting.id]
    rows = db_session.execute(select(Sitting.id, Sitting.scheduled_start).where(
        Sitting.blueprint_version_id == sitting.blueprint_version_id,
        Sitting.scheduled_start <= sitting.scheduled_start)).all()
    earlier = [sid for sid, start in rows if start < sitting.scheduled_start and sid != sitting.id]
    upto = sorted({sid for sid, _ in rows} | {sitting.id})
    return earlier, upto


@dataclass(frozen=True)
class QuestionLabel:
    key: str
    type: str


def question_labels(db_session: Session, ids: Sequence[int]) -> dict[int, QuestionLabel]:
    """Key and type of each question id: what staff who may not read content are shown."""
    if not ids:
        return {}
    rows = db_session.execute(select(Question.id, Question.key, Question.type).where(
        Question.id.in_([int(i) for i in ids]))).all()
    return {qid: QuestionLabel(key, qtype) for qid, key, qtype in rows}


def save_times(db_session: Session, attempt_ids: Sequence[int]) -> dict[int, list[tuple[datetime, int]]]:
    """Each attempt's accepted saves: (saved_at, position), in journal order."""
    out: dict[int, list[tuple[datetime, int]]] = {a: [] for a in attempt_ids}
    if not attempt_ids:
        return out
    for attempt_id, saved_at, position in db_session.execute(
            select(AnswerSave.attempt_id, AnswerSave.saved_at, AnswerSave.position)
            .where(AnswerSave.attempt_id.in_(list(attempt_ids))).order_by(AnswerSave.id)):
        out[attempt_id].append((saved_at, position))
    return out


def label_text(mask: int, question_type: str) -> str:
    """A bank-label mask as staff read it: T/F for true/false, letters for choices, "" for none."""
    if mask == 0:
        return ""
    if question_type == "true_false":
        return {1: "T", 2: "F"}.get(mask, "?")
    return "".join(chr(ord("A") + k) for k in range(8) if mask >> k & 1)
