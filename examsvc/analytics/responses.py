"""The single way analysis code reads responses: ``attempt_items`` rows as flat numpy arrays.

Attempts are rows ``0 … n-1`` (attempt id order); their items are concatenated in paper order, attempt
``a``'s items being ``offsets[a]:offsets[a+1]`` (papers of different rules may differ in length). The
packed columns are joined as bytes and decoded once (``np.frombuffer``), so 10,000 attempts cost one
query and a few copies, not a million ORM objects.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from examsvc.analytics.models import AttemptItems
from examsvc.attempts.models import Attempt
from examsvc.blueprints.models import BlueprintVersion
from examsvc.papers.models import Paper, PaperSet

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Responses:
    attempt_ids: IntArray  # [n]
    sitting_ids: IntArray  # [n]
    registration_ids: IntArray  # [n]
    paper_set_ids: IntArray  # [n]
    offsets: IntArray  # [n + 1]
    question_ids: npt.NDArray[np.int32]  # [m], question.id
    chosen: npt.NDArray[np.uint8]  # [m], bank-label bit mask (A=1, B=2 …; T=1, F=2; 0 none)
    awarded: npt.NDArray[np.uint16]  # [m], tenths
    possible: npt.NDArray[np.uint16]  # [m], tenths

    @property
    def attempts(self) -> int:
        return len(self.attempt_ids)

    @cached_property
    def rows(self) -> IntArray:
        """The attempt (row) of every item."""
        return np.repeat(np.arange(self.attempts, dtype=np.int64), np.diff(self.offsets))

    @cached_property
    def positions(self) -> IntArray:
        """Every item's position on its paper (0-based): the Moodle "slot" within a paper set."""
        return np.arange(len(self.question_ids), dtype=np.int64) - self.offsets[self.rows]


def empty() -> Responses:
    none = np.zeros(0, dtype=np.int64)
    return Responses(none, none, none, none, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                     np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.uint16))


def load(db_session: Session, *, bank_version_ids: Collection[int] | None = None,
         sitting_ids: Collection[int] | None = None, paper_set_ids: Collection[int] | None = None) -> Responses:
    """Every collected attempt matching all the filters given: of a paper set whose blueprint version
    draws from one of ``bank_version_ids``, of one of ``sitting_ids``, of one of ``paper_set_ids``."""
    query = (select(AttemptItems.attempt_id, AttemptItems.sitting_id, AttemptItems.registration_id,
                    Paper.paper_set_id, AttemptItems.question_ids, AttemptItems.chosen, AttemptItems.awarded,
                    AttemptItems.possible)
             .join(Attempt, Attempt.id == AttemptItems.attempt_id)
             .join(Paper, Paper.id == Attempt.paper_id)
             .order_by(AttemptItems.attempt_id))
    if bank_version_ids is not None:
        ids = list(bank_version_ids)
        query = (query.join(PaperSet, PaperSet.id == Paper.paper_set_id)
                 .join(BlueprintVersion, BlueprintVersion.id == PaperSet.blueprint_version_id)
                 .where(or_(BlueprintVersion.national_bank_version_id.in_(ids),
                            BlueprintVersion.provincial_bank_version_id.in_(ids))))
    if sitting_ids is not None:
        query = query.where(AttemptItems.sitting_id.in_(list(sitting_ids)))
    if paper_set_ids is not None:
        query = query.where(Paper.paper_set_id.in_(list(paper_set_ids)))
    rows = db_session.execute(query).all()
    if not rows:
        return empty()
    columns = list(zip(*rows, strict=True))
    question_ids = np.frombuffer(b"".join(columns[4]), dtype="<i4").astype(np.int32, copy=False)
    lengths = np.fromiter((len(b) // 4 for b in columns[4]), dtype=np.int64, count=len(rows))
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Responses(
        attempt_ids=np.asarray(columns[0], dtype=np.int64), sitting_ids=np.asarray(columns[1], dtype=np.int64),
        registration_ids=np.asarray(columns[2], dtype=np.int64),
        paper_set_ids=np.asarray(columns[3], dtype=np.int64), offsets=offsets, question_ids=question_ids,
        chosen=np.frombuffer(b"".join(columns[5]), dtype=np.uint8),
        awarded=np.frombuffer(b"".join(columns[6]), dtype="<u2").astype(np.uint16, copy=False),
        possible=np.frombuffer(b"".join(columns[7]), dtype="<u2").astype(np.uint16, copy=False))
