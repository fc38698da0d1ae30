"""Collecting ``attempt_items``: what item analysis and the integrity signals read (docs/analytics.md (item analysis)).

For every attempt of a sitting whose results are published (a results manifest exists), one row from
the current result version, the sealed paper and the sealed answer sheet:

- ``question_ids``: each paper item's (part, key) → ``question.id`` of the bank versions the paper set's
  blueprint version names; the paper's revision must be that question's (else the bank changed under a
  published sitting, which the database triggers forbid: refused loudly rather than mis-attributed);
- ``chosen``: the sheet's displayed labels mapped back to the bank's (``results.scoring.bank_labels``)
  as a bit mask A=1, B=2, C=4 … (true/false: T=1, F=2); 0 for no or an unusable response;
- ``awarded``: the current result version's per-item points, ``possible``: the paper's, in tenths.

Void results (a candidate removed for a violation, 暂行办法 art. 21) are not collected, and a review that
voids a result deletes its row: a sheet cut short by removal is not a measure of the questions. Idempotent:
a row whose result digest is the current one is left alone; a reviewed result (a new digest) replaces it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from examsvc.analytics.models import AttemptItems
from examsvc.attempts import content
from examsvc.attempts.models import AnswerSheet, Attempt
from examsvc.banks.document import QuestionType
from examsvc.banks.models import BankVersion, Question
from examsvc.blueprints.models import BlueprintVersion
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict
from examsvc.papers import service as papers_service
from examsvc.papers.models import Paper, PaperSet
from examsvc.results.models import Result
from examsvc.results.scoring import PaperLine, bank_labels
from examsvc.sittings.models import Sitting

TRUE_FALSE_BITS = {"T": 1, "F": 2}


def label_mask(line: PaperLine, response: str) -> int:
    """The bank labels a displayed response names, as a bit mask (0: none or unusable)."""
    labels = bank_labels(line, response)
    if line.type == QuestionType.TRUE_FALSE:
        return TRUE_FALSE_BITS.get(labels, 0)
    mask = 0
    for label in labels:
        mask |= 1 << (ord(label) - ord("A"))
    return mask


def answer_mask(question_type: str, answer: str) -> int:
    """A bank answer ("T", "F" or sorted letters) as the same bit mask."""
    if question_type == QuestionType.TRUE_FALSE:
        return TRUE_FALSE_BITS.get(answer, 0)
    mask = 0
    for label in answer:
        mask |= 1 << (ord(label) - ord("A"))
    return mask


@dataclass(frozen=True)
class Collected:
    sitting: str
    written: int  # rows inserted or replaced
    unchanged: int  # rows already derived from the current result
    removed: int  # rows of results that became void


def _question_ids(db_session: Session, blueprint_version_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(part, key) → (question.id, revision) for the bank versions the blueprint version names."""
    rows = db_session.execute(
        select(BankVersion.part, Question.key, Question.id, Question.revision)
        .join(BankVersion, BankVersion.id == Question.bank_version_id)
        .join(BlueprintVersion, or_(BlueprintVersion.national_bank_version_id == BankVersion.id,
                                    BlueprintVersion.provincial_bank_version_id == BankVersion.id))
        .where(BlueprintVersion.id == blueprint_version_id)).all()
    return {(part, key): (question_id, revision) for part, key, question_id, revision in rows}


def collect_results(db_session: Session, *, sitting: Sitting, keys: KeyProvider,
                    current: Sequence[Result]) -> Collected:
    """Brings the rows of ``current`` (current result versions of the sitting, published) up to date.
    Called by results publication and review in their transaction, and by the backfill. Flushes only."""
    if sitting.blueprint_version_id is None:
        return Collected(sitting.code, 0, 0, 0)
    wanted = [r.attempt_id for r in current]
    existing = {row.attempt_id: row for row in db_session.scalars(
        select(AttemptItems).where(AttemptItems.attempt_id.in_(wanted)))}
    removed = unchanged = 0
    stale = []
    for result in current:
        row = existing.get(result.attempt_id)
        if result.void:
            if row is not None:
                db_session.delete(row)
                removed += 1
        elif row is None or row.result_digest != result.digest:
            stale.append(result)
        else:
            unchanged += 1
    if not stale:
        db_session.flush()
        return Collected(sitting.code, 0, unchanged, removed)
    derived = derive(db_session, sitting=sitting, keys=keys, results=stale)
    for result in stale:
        values = derived[result.attempt_id]
        row = existing.get(result.attempt_id)
        if row is None:
            db_session.add(AttemptItems(attempt_id=result.attempt_id, sitting_id=sitting.id,
                                        registration_id=result.registration_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
    db_session.flush()
    return Collected(sitting.code, len(stale), unchanged, removed)


def derive(db_session: Session, *, sitting: Sitting, keys: KeyProvider,
           results: Sequence[Result]) -> dict[int, dict[str, Any]]:
    """attempt id → the ``attempt_items`` values ``results`` (not void) derive from the sealed papers and sheets:
    what collection writes and ``check`` compares."""
    ids = [r.attempt_id for r in results]
    attempts = {a.id: a for a in db_session.scalars(select(Attempt).where(Attempt.id.in_(ids)))}
    sheets = {s.attempt_id: s for s in db_session.scalars(select(AnswerSheet).where(AnswerSheet.attempt_id.in_(ids)))}
    papers = {p.id: p for p in db_session.scalars(select(Paper).where(
        Paper.id.in_([a.paper_id for a in attempts.values()])))}
    paper_sets = {s.id: s for s in db_session.scalars(select(PaperSet).where(
        PaperSet.id.in_({p.paper_set_id for p in papers.values()})))}
    id_maps: dict[int, dict[tuple[str, str], tuple[int, int]]] = {}
    banks: dict[int, dict[tuple[str, str], content.BankQuestion]] = {}
    for paper_set in paper_sets.values():
        papers_service.require_unsealed(paper_set)
        if paper_set.blueprint_version_id not in banks:
            banks[paper_set.blueprint_version_id] = content.questions(db_session, paper_set.blueprint_version_id)
            id_maps[paper_set.blueprint_version_id] = _question_ids(db_session, paper_set.blueprint_version_id)
    out: dict[int, dict[str, Any]] = {}
    for result in results:
        attempt = attempts[result.attempt_id]
        paper = papers[attempt.paper_id]
        paper_set = paper_sets[paper.paper_set_id]
        sheet = sheets.get(attempt.id)
        if sheet is None:
            raise Conflict("答卷缺失，无法汇总试题分析数据。", code="answer_sheet_missing",
                           detail={"sitting": sitting.code, "attempt_id": attempt.id})
        # One bank lookup per paper set, not per paper (content.open_paper queries each time).
        opened = content.OpenedPaper(paper=paper, paper_set=paper_set, bank=banks[paper_set.blueprint_version_id],
                                     document=papers_service.open_paper_document(paper, paper_set, keys))
        values = _row_values(sitting=sitting.code, attempt=attempt, opened=opened,
                             id_map=id_maps[paper_set.blueprint_version_id], sheet=sheet,
                             result_document=json.loads(result.document), result_digest=result.digest)
        out[attempt.id] = values
    return out


def _row_values(*, sitting: str, attempt: Attempt, opened: content.OpenedPaper,
                id_map: dict[tuple[str, str], tuple[int, int]], sheet: AnswerSheet,
                result_document: dict[str, Any], result_digest: str) -> dict[str, Any]:
    items = opened.document["items"]
    lines = opened.lines()
    awarded: Sequence[int] = result_document["items"]
    if len(awarded) != len(items) or result_document["paper"] != opened.paper.digest \
            or result_document["answer_sheet"] != sheet.digest:
        raise Conflict("成绩、试卷与答卷不一致，无法汇总试题分析数据。", code="result_mismatch",
                       detail={"sitting": sitting, "attempt_id": attempt.id})
    responses = {a["position"]: a["response"] for a in json.loads(sheet.document)["answers"]}
    question_ids = []
    for position, item in enumerate(items):
        found = id_map.get((item["part"], item["key"]))
        if found is None or found[1] != item["revision"]:
            # Names the key and revision only: never question content.
            raise Conflict("试卷中的试题在题库版本中找不到对应修订。", code="question_not_in_bank_version",
                           detail={"sitting": sitting, "attempt_id": attempt.id, "position": position,
                                   "key": item["key"], "revision": item["revision"]})
        question_ids.append(found[0])
    chosen = [label_mask(line, responses.get(position, "")) for position, line in enumerate(lines)]
    return {
        "question_ids": np.asarray(question_ids, dtype="<i4").tobytes(),
        "chosen": np.asarray(chosen, dtype="u1").tobytes(),
        "awarded": np.asarray(awarded, dtype="<u2").tobytes(),
        "possible": np.asarray([line.points for line in lines], dtype="<u2").tobytes(),
        "score": int(result_document["score"]), "total_points": int(result_document["total_points"]),
        "result_digest": result_digest, "paper_digest": opened.paper.digest, "sheet_digest": sheet.digest,
    }
