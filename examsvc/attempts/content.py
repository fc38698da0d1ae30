"""What a candidate's paper says: the opened paper document joined with the bank's question text.

Question text and answers come from published bank versions, which never change, so they are kept
in memory by content digest: a start storm reads each bank once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from examsvc.banks import service as banks_service
from examsvc.banks.document import QuestionType
from examsvc.banks.models import BankVersion
from examsvc.blueprints.models import BlueprintVersion
from examsvc.crypto.envelope import KeyProvider
from examsvc.errors import Conflict
from examsvc.papers import service as papers
from examsvc.papers.models import Paper, PaperSet, PaperSetStatus
from examsvc.results.scoring import PaperLine


@dataclass(frozen=True)
class BankQuestion:
    type: QuestionType
    stem: str
    options: dict[str, str]  # bank label → text
    answer: str  # "T"/"F" or sorted letters


K = TypeVar("K")
V = TypeVar("V")

_CACHE: dict[str, dict[str, BankQuestion]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_LIMIT = 16


def _bank(db_session: Session, version_id: int, digest: str) -> dict[str, BankQuestion]:
    with _CACHE_LOCK:
        found = _CACHE.get(digest)
    if found is not None:
        return found
    loaded = {q.key: BankQuestion(QuestionType(q.type), q.stem, {label: text for label, text in q.options}, q.answer)
              for q in banks_service.list_questions(db_session=db_session, version_id=version_id)}
    return _keep(_CACHE, digest, loaded)


def _keep(cache: dict[K, V], key: K, value: V) -> V:
    """Stores ``value`` in a cache of at most ``_CACHE_LIMIT`` entries, the oldest leaving first."""
    with _CACHE_LOCK:
        if len(cache) >= _CACHE_LIMIT:
            cache.pop(next(iter(cache)))
        cache[key] = value
    return value


_MERGED: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], BankQuestion]] = {}
_RULE_BANKS = select(BankVersion.part, BankVersion.id, BankVersion.content_digest).join(
    BlueprintVersion, or_(BlueprintVersion.national_bank_version_id == BankVersion.id,
                          BlueprintVersion.provincial_bank_version_id == BankVersion.id)).where(
    BlueprintVersion.id == bindparam("rule")).order_by(BankVersion.part)


def questions(db_session: Session, blueprint_version_id: int) -> dict[tuple[str, str], BankQuestion]:
    """(part, key) → question, for the bank versions the rule draws from: one query, then memory."""
    versions = db_session.execute(_RULE_BANKS, {"rule": blueprint_version_id}).all()
    digests = tuple((v.part, v.content_digest) for v in versions)
    with _CACHE_LOCK:
        found = _MERGED.get(digests)
    if found is not None:
        return found
    merged: dict[tuple[str, str], BankQuestion] = {}
    for version in versions:
        bank = _bank(db_session, version.id, version.content_digest)
        merged.update(((version.part, key), q) for key, q in bank.items())
    return _keep(_MERGED, digests, merged)


def paper_lines(document: dict[str, Any], bank: dict[tuple[str, str], BankQuestion]) -> list[PaperLine]:
    return [PaperLine(type=QuestionType(item["type"]), points=item["points"], options=item["options"],
                      correct=bank[(item["part"], item["key"])].answer)
            for item in document["items"]]


def paper_shape(document: dict[str, Any]) -> str:
    codes = {QuestionType.TRUE_FALSE: "t", QuestionType.SINGLE_CHOICE: "s", QuestionType.MULTIPLE_CHOICE: "m"}
    return ",".join(codes[QuestionType(item["type"])] + (str(len(item["options"])) if item["options"] else "")
                    for item in document["items"])


def for_candidate(document: dict[str, Any], bank: dict[tuple[str, str], BankQuestion]) -> list[dict[str, Any]]:
    """Stems and options in the candidate's order, relabelled A, B, …: never answers or explanations."""
    shown = []
    for position, item in enumerate(document["items"]):
        question = bank[(item["part"], item["key"])]
        shown.append({
            "position": position, "type": item["type"], "points": item["points"], "stem": question.stem,
            "options": [{"label": chr(ord("A") + i), "text": question.options[label]}
                        for i, label in enumerate(item["options"])],
        })
    return shown


@dataclass(frozen=True)
class OpenedPaper:
    paper: Paper
    paper_set: PaperSet
    document: dict[str, Any]
    bank: dict[tuple[str, str], BankQuestion]

    def lines(self) -> list[PaperLine]:
        return paper_lines(self.document, self.bank)

    def shape(self) -> str:
        return paper_shape(self.document)

    def for_candidate(self) -> list[dict[str, Any]]:
        return for_candidate(self.document, self.bank)


def find_paper(db_session: Session, sitting_code: str, admission_number: str) -> tuple[Paper, PaperSet]:
    row = db_session.execute(select(Paper, PaperSet).join(PaperSet, PaperSet.id == Paper.paper_set_id).where(
        PaperSet.sitting_code == sitting_code, Paper.candidate == admission_number)).first()
    if row is None:
        raise Conflict("该考生没有本场次的试卷，请联系考务管理员补充试卷。", code="no_paper",
                       detail={"admission_number": admission_number})
    paper, paper_set = row
    if paper_set.status not in (PaperSetStatus.OPENED, PaperSetStatus.CLOSED):
        raise Conflict("该考生的试卷尚未启封（补充试卷须经主考官审批）。", code="paper_sealed",
                       detail={"admission_number": admission_number, "paper_set_id": paper_set.id})
    return paper, paper_set


def open_paper(db_session: Session, paper: Paper, paper_set: PaperSet, keys: KeyProvider) -> OpenedPaper:
    papers.require_unsealed(paper_set)
    return OpenedPaper(paper=paper, paper_set=paper_set, document=papers.open_paper_document(paper, paper_set, keys),
                       bank=questions(db_session, paper_set.blueprint_version_id))
