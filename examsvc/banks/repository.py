"""All bank queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from examsvc.banks.models import Bank, BankVersion, KnowledgePoint, Question


def get_bank(db_session: Session, code: str) -> Bank | None:
    return db_session.scalars(select(Bank).where(Bank.code == code)).one_or_none()


def list_banks(db_session: Session) -> list[Bank]:
    return list(db_session.scalars(select(Bank).order_by(Bank.code)))


def get_version(db_session: Session, version_id: int) -> BankVersion | None:
    return db_session.get(BankVersion, version_id)


def list_versions(db_session: Session, bank_id: int | None = None) -> list[BankVersion]:
    query = select(BankVersion).order_by(BankVersion.bank_id, BankVersion.part, BankVersion.id)
    if bank_id is not None:
        query = query.where(BankVersion.bank_id == bank_id)
    return list(db_session.scalars(query))


def find_version(db_session: Session, bank_id: int, *, part: str | None = None, label: str | None = None,
                 digest: str | None = None) -> list[BankVersion]:
    query = select(BankVersion).where(BankVersion.bank_id == bank_id)
    if part is not None:
        query = query.where(BankVersion.part == part)
    if label is not None:
        query = query.where(BankVersion.version_label == label)
    if digest is not None:
        query = query.where(BankVersion.content_digest == digest)
    return list(db_session.scalars(query.order_by(BankVersion.id)))


def question_history(db_session: Session, bank_id: int) -> Sequence[Any]:
    """(key, revision, content digest) of every stored question of the bank."""
    return db_session.execute(
        select(Question.key, Question.revision, Question.content_digest)
        .join(BankVersion, BankVersion.id == Question.bank_version_id)
        .where(BankVersion.bank_id == bank_id)
    ).all()


def insert_knowledge_points(db_session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        db_session.execute(insert(KnowledgePoint), rows)


def insert_questions(db_session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        db_session.execute(insert(Question), rows)


def knowledge_points(db_session: Session, version_id: int) -> list[KnowledgePoint]:
    return list(db_session.scalars(
        select(KnowledgePoint).where(KnowledgePoint.bank_version_id == version_id).order_by(KnowledgePoint.id)))


def questions(db_session: Session, version_id: int) -> list[Question]:
    return list(db_session.scalars(
        select(Question).where(Question.bank_version_id == version_id).order_by(Question.key)))


def question_digests(db_session: Session, version_id: int) -> dict[str, tuple[int, str, str, str]]:
    """key → (revision, digest, type, knowledge point), without loading any content."""
    rows = db_session.execute(
        select(Question.key, Question.revision, Question.content_digest, Question.type, Question.knowledge_point)
        .where(Question.bank_version_id == version_id)
    ).all()
    return {r.key: (r.revision, r.content_digest, r.type, r.knowledge_point) for r in rows}


def counts(db_session: Session, version_id: int) -> Sequence[Any]:
    return db_session.execute(
        select(Question.knowledge_point, Question.type, Question.level, Question.difficulty,
               func.count().label("count"))
        .where(Question.bank_version_id == version_id)
        .group_by(Question.knowledge_point, Question.type, Question.level, Question.difficulty)
        .order_by(Question.knowledge_point, Question.type, Question.level, Question.difficulty)
    ).all()


def keys_of_part(db_session: Session, bank_id: int, part: str) -> dict[str, str]:
    """key → the label of the first stored version of that part of the bank that uses it."""
    rows = db_session.execute(
        select(Question.key, BankVersion.version_label)
        .join(BankVersion, BankVersion.id == Question.bank_version_id)
        .where(BankVersion.bank_id == bank_id, BankVersion.part == part)
        .order_by(BankVersion.id.desc())
    ).all()
    return {r.key: r.version_label for r in rows}
