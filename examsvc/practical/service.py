"""Importing, publishing and retiring practical bank versions (实操题库), like question bank versions:
all files of one call or none, an identical re-import is a no-op, published versions never change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.files import Kind, collect
from examsvc.banks.problems import Problem
from examsvc.db import utcnow
from examsvc.errors import Conflict, NotFound
from examsvc.lifecycle import advance
from examsvc.practical.document import Criterion, PracticalBankDocument, PracticalItem, PracticalMeta, Subject
from examsvc.practical.files import parse_practical_file
from examsvc.practical.models import PracticalBankVersion, PracticalItemRow
from examsvc.practical.validate import PracticalImportRejected


@dataclass(frozen=True)
class Imported:
    version: PracticalBankVersion
    created: bool


def import_document(*, db_session: Session, document: PracticalBankDocument, source_name: str,
                    actor: Actor) -> Imported:
    meta, digest = document.meta, document.digest()
    existing = db_session.scalars(select(PracticalBankVersion).where(
        PracticalBankVersion.code == meta.code, PracticalBankVersion.version_label == meta.version)).first()
    if existing is not None:
        if existing.content_digest == digest:
            return Imported(existing, created=False)
        raise Conflict("该实操题库已有此版本号但内容不同：修改内容请使用新的版本号。", code="practical_version_exists",
                       detail={"code": meta.code, "version": meta.version})
    version = PracticalBankVersion(
        code=meta.code, version_label=meta.version, title=meta.title, province=meta.province,
        operation_item=meta.operation_item, operation_item_name=meta.operation_item_name,
        effective_date=meta.effective_date, sources=list(meta.sources), content_digest=digest,
        item_count=len(document.items), source_name=source_name[:255], status="draft", imported_by=actor.user_id)
    db_session.add(version)
    db_session.flush()
    db_session.add_all(PracticalItemRow(
        version_id=version.id, key=i.key, subject=str(i.subject), title=i.title,
        time_limit_minutes=i.time_limit_minutes, full_marks=i.full_marks, task=i.task, equipment=list(i.equipment),
        criteria=[c.canonical() for c in i.criteria], content_digest=i.digest()) for i in document.items)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="practical_bank.imported",
                 subject_type="practical_bank_version", subject_id=version.id,
                 details={"code": meta.code, "version": meta.version, "content_digest": digest,
                          "items": len(document.items), "by_subject": document.counts()})
    return Imported(version, created=True)


def import_files(*, db_session: Session, files: Iterable[tuple[str, bytes]], actor: Actor,
                 publish: bool = False) -> list[Imported]:
    """Every file (named by its path as given), or nothing: the problems of all files are reported together."""
    return import_parsed(db_session=db_session, documents=parse_files(files, paths=True), actor=actor,
                         publish=publish)


def parse_files(files: Iterable[tuple[str, bytes]], *, paths: bool = False) -> list[tuple[str, PracticalBankDocument]]:
    """Every file parsed and validated (no database needed), or every problem of all of them. With
    ``paths`` (the CLI) a problem names the file by the path given, else by its base name (an upload)."""
    problems: list[Problem] = []
    documents = []
    for name, data in files:
        try:
            documents.append((name, parse_practical_file(data, name, shown_as=name if paths else None)))
        except PracticalImportRejected as rejected:
            problems.extend(rejected.problems)
    if problems:
        raise PracticalImportRejected(problems)
    return documents


def import_parsed(*, db_session: Session, documents: list[tuple[str, PracticalBankDocument]], actor: Actor,
                  publish: bool = False) -> list[Imported]:
    done = [import_document(db_session=db_session, document=d, source_name=n, actor=actor) for n, d in documents]
    if publish:
        for imported in done:
            if imported.version.status == "draft":
                set_status(db_session=db_session, version_id=imported.version.id, to="published", actor=actor)
    return done


def import_paths(*, db_session: Session, paths: Iterable[Path], actor: Actor, publish: bool) -> list[Imported]:
    # Type and size checked before reading; theory bank files in a folder are skipped (banks.files).
    collected = collect(paths, kind=Kind.PRACTICAL)
    if collected.problems:
        raise PracticalImportRejected(collected.problems)
    return import_files(db_session=db_session, files=[(f.name, f.data) for f in collected.files],
                        actor=actor, publish=publish)


def get_version(*, db_session: Session, version_id: int) -> PracticalBankVersion:
    version = db_session.get(PracticalBankVersion, version_id)
    if version is None:
        raise NotFound("实操题库版本不存在。", code="practical_version_not_found", detail={"version_id": version_id})
    return version


def list_versions(*, db_session: Session) -> list[PracticalBankVersion]:
    return list(db_session.scalars(select(PracticalBankVersion).order_by(PracticalBankVersion.code,
                                                                         PracticalBankVersion.id)))


def items(*, db_session: Session, version_id: int) -> list[PracticalItemRow]:
    get_version(db_session=db_session, version_id=version_id)
    return list(db_session.scalars(select(PracticalItemRow).where(PracticalItemRow.version_id == version_id)
                                   .order_by(PracticalItemRow.key)))


_MOVES = {"published": "draft", "retired": "published"}


def set_status(*, db_session: Session, version_id: int, to: str, actor: Actor) -> PracticalBankVersion:
    """draft → published → retired, each logged; nothing else."""
    version = get_version(db_session=db_session, version_id=version_id)
    if to not in _MOVES:
        raise Conflict("只能发布或停用实操题库版本。", code="practical_wrong_status", detail={"to": to})
    if version.status == _MOVES[to]:  # else ``advance`` refuses, naming the status
        if to == "published":
            version.published_at = utcnow()
        else:
            version.retired_at = utcnow()
    advance(db_session, version, expected=_MOVES[to], to=to, actor=actor, action=f"practical_bank.{to}",
            subject_type="practical_bank_version", refusal="实操题库版本当前状态不允许此操作。",
            code="practical_wrong_status", details={"code": version.code, "version": version.version_label,
                                                    "content_digest": version.content_digest})
    return version


def load_samples_if_empty(*, db_session: Session, folder: Path) -> list[Imported]:
    """On a fresh database, import and publish the sample practical banks; otherwise do nothing."""
    if db_session.scalars(select(PracticalBankVersion.id).limit(1)).first() is not None or not folder.is_dir():
        return []
    return import_paths(db_session=db_session, paths=[folder], actor=Actor.system("sample banks"), publish=True)


def document_of(*, db_session: Session, version_id: int) -> PracticalBankDocument:
    """The stored version as a document again (for export); its digest equals the stored one."""
    version = get_version(db_session=db_session, version_id=version_id)
    meta = PracticalMeta(code=version.code, title=version.title, province=version.province,
                         operation_item=version.operation_item, operation_item_name=version.operation_item_name,
                         version=version.version_label, effective_date=version.effective_date,
                         sources=tuple(version.sources))
    return PracticalBankDocument(meta=meta, items=tuple(
        PracticalItem(key=i.key, subject=Subject(i.subject), title=i.title, time_limit_minutes=i.time_limit_minutes,
                      full_marks=i.full_marks, task=i.task, equipment=tuple(i.equipment),
                      criteria=tuple(Criterion(code=int(c["code"]), name=str(c["name"]),
                                               points=int(c["points"]),
                                               deductions=tuple(c["deductions"]),
                                               veto=bool(c["veto"]), veto_rule=c["veto_rule"])
                                     for c in i.criteria))
        for i in items(db_session=db_session, version_id=version_id)))
