"""Item analysis of a bank version, as the API, the page, the export and the bank diff read it.

Responses come only through ``responses.load``; the statistics only from ``items``. Question content
(the stem) is read only when the caller may see it (bank_admin) and asks for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.analytics import items, responses
from examsvc.analytics.collect import answer_mask
from examsvc.banks.models import Bank, BankVersion, Question
from examsvc.errors import InvalidInput, NotFound
from examsvc.papers.models import PaperSet

PARTS = ("national", "provincial")
FLAG_TEXT = {  # what a reader sees (pages, the export)
    "negative_discrimination": "区分度为负",
    "low_efficiency": f"区分效率低于{items.EFFICIENCY_MIN:g}%",
    "facility_out_of_range": f"难度系数超出{items.FACILITY_LOW:g}–{items.FACILITY_HIGH:g}",
    "unused_distractor": "有无人选择的干扰项",
    "upper_prefers_distractor": "高分组更多选择干扰项",
}


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    key: str
    part: str
    revision: int
    type: str
    knowledge_point: str
    answer: str
    option_labels: tuple[str, ...]  # bank labels ("A"…; "T", "F" for true/false)


@dataclass(frozen=True)
class Analysis:
    versions: list[BankVersion]
    questions: list[QuestionInfo]  # of the versions asked, in part and key order
    stats: items.ItemStats
    attempts: int
    min_responses: int

    def rows(self) -> list[dict[str, Any]]:
        return [row for info in self.questions if (row := self.row(info)) is not None]

    def row(self, info: QuestionInfo) -> dict[str, Any] | None:
        """A question's statistics as plain values; None if no collected paper held it."""
        try:
            i = self.stats.index_of(info.id)
        except KeyError:
            return None
        s = self.stats
        labels = info.option_labels
        options = [{"label": label, "is_key": label in info.answer, "share": _num(s.option_share[i, bit]),
                    "upper": _num(s.upper_share[i, bit]), "lower": _num(s.lower_share[i, bit])}
                   for bit, label in enumerate(labels)]
        return {
            "question_id": info.id, "key": info.key, "part": info.part, "revision": info.revision, "type": info.type,
            "knowledge_point": info.knowledge_point, "exposure": int(s.exposure[i]),
            "facility": _num(s.facility[i]), "sd": _num(s.sd[i]),
            "discrimination_index": _num(s.discrimination_index[i]),
            "discriminative_efficiency": _num(s.discriminative_efficiency[i]),
            "point_biserial": _num(s.point_biserial[i]), "group_size": int(s.group_size[i]),
            "upper_lower": _num(s.upper_lower[i]), "options": options,
            "flags": [name for name in items.FLAGS if bool(s.flags[name][i])],
        }


def _num(value: float | np.floating[Any]) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 6)


def versions_of(db_session: Session, *, bank_code: str, version_label: str,
                part: str | None = None) -> list[BankVersion]:
    if part is not None and part not in PARTS:
        raise InvalidInput("题库部分只能是 national 或 provincial。", code="bad_part", detail={"field": "part"})
    query = (select(BankVersion).join(Bank, Bank.id == BankVersion.bank_id)
             .where(Bank.code == bank_code, BankVersion.version_label == version_label).order_by(BankVersion.part))
    if part is not None:
        query = query.where(BankVersion.part == part)
    found = list(db_session.scalars(query))
    if not found:
        raise NotFound("题库版本不存在。", code="bank_version_not_found",
                       detail={"field": "version", "bank": bank_code, "version": version_label})
    return found


def questions_of(db_session: Session, version_ids: Sequence[int]) -> list[QuestionInfo]:
    rows = db_session.execute(
        select(Question.id, Question.key, BankVersion.part, Question.revision, Question.type, Question.knowledge_point,
               Question.answer, Question.options)
        .join(BankVersion, BankVersion.id == Question.bank_version_id)
        .where(Question.bank_version_id.in_(list(version_ids))).order_by(BankVersion.part, Question.key)).all()
    return [QuestionInfo(id=r.id, key=r.key, part=r.part, revision=r.revision, type=r.type,
                         knowledge_point=r.knowledge_point, answer=r.answer,
                         option_labels=("T", "F") if r.type == "true_false" else tuple(o[0] for o in r.options))
            for r in rows]


def keys_of(questions: Sequence[QuestionInfo]) -> items.QuestionKeys:
    return items.QuestionKeys(
        question_ids=np.asarray([q.id for q in questions], dtype=np.int32),
        answer_masks=np.asarray([answer_mask(q.type, q.answer) for q in questions], dtype=np.uint8),
        option_counts=np.asarray([len(q.option_labels) for q in questions], dtype=np.int64))


def analyse_versions(db_session: Session, versions: Sequence[BankVersion], *,
                     min_responses: int | None = None) -> Analysis:
    """Over every collected attempt whose paper was drawn from one of ``versions``; the rest of each test
    includes the candidate's questions of the other part too (docs/analytics.md (item analysis))."""
    if min_responses is None:
        min_responses = items.MIN_RESPONSES
    ids = [v.id for v in versions]
    loaded = responses.load(db_session, bank_version_ids=ids)
    questions = questions_of(db_session, ids)
    stats = items.analyse(loaded, keys_of(questions), min_responses=min_responses)
    return Analysis(versions=list(versions), questions=questions, stats=stats, attempts=loaded.attempts,
                    min_responses=min_responses)


def stems(db_session: Session, question_ids: Sequence[int]) -> dict[int, str]:
    """Question text: only for callers who may read bank content (bank_admin)."""
    return {qid: stem for qid, stem in db_session.execute(
        select(Question.id, Question.stem).where(Question.id.in_(list(question_ids))))}


def flags_by_key(db_session: Session, version: BankVersion) -> dict[str, list[str]]:
    """Key → the review flags its question carries in this version's item analysis (flagged ones only)."""
    analysis = analyse_versions(db_session, [version])
    return {row["key"]: row["flags"] for row in analysis.rows() if row["flags"]}


def paper_set_statistics(db_session: Session, paper_set_id: int) -> items.PaperSetStatistics | None:
    """None if nothing of the set is collected yet (results unpublished)."""
    if db_session.get(PaperSet, paper_set_id) is None:
        raise NotFound("试卷集不存在。", code="paper_set_not_found", detail={"paper_set_id": paper_set_id})
    loaded = responses.load(db_session, paper_set_ids=[paper_set_id])
    if loaded.attempts == 0:
        return None
    return items.paper_set_statistics(loaded)


@dataclass(frozen=True)
class RevisionReview:
    """Which questions flagged in a version's item analysis the next version revised (the bank diff)."""

    flags: dict[str, list[str]]  # key → flags in the older version
    unrevised: list[str]  # flagged keys whose content the newer version kept


def revision_review(db_session: Session, older: BankVersion, revised_keys: set[str]) -> RevisionReview:
    """``revised_keys``: the keys the diff lists as changed or retired."""
    flags = flags_by_key(db_session, older)
    return RevisionReview(flags=flags, unrevised=sorted(k for k in flags if k not in revised_keys))
