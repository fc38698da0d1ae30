"""Importing, publishing, retiring, exporting and comparing bank versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks import fingerprints, parts, repository
from examsvc.banks.document import (
    BankDocument,
    BankMeta,
    Industry,
    KnowledgePointData,
    Part,
    PersonKind,
    PersonnelCategory,
    Purpose,
)
from examsvc.banks.models import Bank, BankVersion, Question, VersionStatus
from examsvc.banks.problems import BankImportRejected, BankVersionExists, Problem, Severity
from examsvc.banks.validate import build_document
from examsvc.banks.xlsx_format import parse_xlsx
from examsvc.banks.yaml_format import read_yaml
from examsvc.db import utcnow
from examsvc.errors import Conflict, NotFound
from examsvc.lifecycle import advance

YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx",)


@dataclass(frozen=True)
class ImportResult:
    version: BankVersion
    created: bool  # False: the same content was already stored, nothing was written
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class QuestionChange:
    key: str
    type: str
    knowledge_point: str
    old_revision: int | None
    new_revision: int | None


@dataclass(frozen=True)
class VersionDiff:
    added: list[QuestionChange]
    changed: list[QuestionChange]
    retired: list[QuestionChange]


def parse_bank_file(data: bytes, filename: str, *, shown_as: str | None = None) -> BankDocument:
    """Reads and validates a YAML or xlsx bank file; ``BankImportRejected`` lists every problem.

    Problems name the file as ``shown_as`` (the CLI: the path as given, so two ``national.yaml`` in two
    folders differ), else by the base name of ``filename`` (an upload's name is never a path)."""
    name = shown_as or PurePath(filename).name or "upload"
    suffix = PurePath(filename).suffix.lower()
    if suffix in YAML_SUFFIXES:
        if data.startswith(b"PK\x03\x04"):
            raise BankImportRejected.one(name, "这是 Excel 文件，文件名应以 .xlsx 结尾。")
        return build_document(read_yaml(data, name))
    if suffix in XLSX_SUFFIXES:
        return parse_xlsx(data, name)
    raise BankImportRejected.one(name, "不支持的文件类型：只接受 .yaml、.yml 或 .xlsx。")


def _answer_column(answer: bool | str) -> str:
    if isinstance(answer, bool):
        return "T" if answer else "F"
    return answer


def import_documents(*, db_session: Session, documents: Sequence[BankDocument], actor: Actor) -> list[ImportResult]:
    """Stores documents read together (all or nothing), after the rules across parts, files and stored
    versions (examsvc.banks.parts) found no error; ``BankImportRejected`` lists every problem."""
    found = parts.check(db_session, documents)
    problems = [p for per_document in found for p in per_document]
    errors = [p for p in problems if p.severity == Severity.ERROR]
    if errors:
        refusal = BankVersionExists if all(parts.ONE_LABEL_ONE_CONTENT in p.message for p in errors) \
            else BankImportRejected
        raise refusal([*problems, *(w for d in documents for w in d.warnings)])
    return [_store(db_session, d, actor, (*d.warnings, *more)) for d, more in zip(documents, found, strict=True)]


def import_document(*, db_session: Session, document: BankDocument, actor: Actor) -> ImportResult:
    return import_documents(db_session=db_session, documents=[document], actor=actor)[0]


def _store(db_session: Session, document: BankDocument, actor: Actor, warnings: tuple[Problem, ...]) -> ImportResult:
    meta = document.meta
    digest = document.digest()
    bank = repository.get_bank(db_session, meta.code)
    if bank is None:
        bank = Bank(code=meta.code)
        db_session.add(bank)
        db_session.flush()
    same = repository.find_version(db_session, bank.id, part=meta.part, digest=digest)
    if same:
        return ImportResult(version=same[0], created=False, warnings=warnings)
    version = BankVersion(
        bank_id=bank.id, part=meta.part, version_label=meta.version, title=meta.title, province=meta.province,
        personnel_category=meta.personnel_category, industry=meta.industry, operation_item=meta.operation_item,
        catalogue_version=meta.catalogue_version, effective_date=meta.effective_date, content_digest=digest,
        purpose=meta.purpose, person_kinds=[str(k) for k in meta.person_kinds],
        question_count=len(document.questions), source_name=document.source[:255], status=VersionStatus.DRAFT,
        imported_by=actor.user_id, imported_at=utcnow(),
    )
    db_session.add(version)
    db_session.flush()

    # A key keeps its revision while its content is unchanged; new content gets the next number.
    revision_of: dict[tuple[str, str], int] = {}
    latest: dict[str, int] = {}
    for key, revision, question_digest in repository.question_history(db_session, bank.id):
        revision_of[(key, question_digest)] = revision
        latest[key] = max(latest.get(key, 0), revision)
    rows = []
    for q in document.questions:
        question_digest = q.digest()
        revision = revision_of.get((q.key, question_digest), latest.get(q.key, 0) + 1)
        rows.append({
            "bank_version_id": version.id, "key": q.key, "revision": revision, "type": str(q.type),
            "stem": q.stem, "options": [list(o) for o in q.options], "answer": _answer_column(q.answer),
            "explanation": q.explanation, "knowledge_point": q.knowledge_point, "level": str(q.level),
            "difficulty": q.difficulty, "legal_basis": q.legal_basis, "content_digest": question_digest,
        })
    repository.insert_knowledge_points(
        db_session, [{"bank_version_id": version.id, "code": kp.code, "title": kp.title}
                     for kp in document.knowledge_points])
    repository.insert_questions(db_session, rows)
    audit.record(db_session=db_session, actor=actor, action="bank.version.imported", subject_type="bank_version",
                 subject_id=version.id, details=_version_details(version) | {"source_name": version.source_name})
    return ImportResult(version=version, created=True, warnings=warnings)


def _version_details(version: BankVersion) -> dict[str, str | int]:
    return {"bank_code": version.bank_code, "part": version.part, "version": version.version_label,
            "content_digest": version.content_digest, "question_count": version.question_count}


def import_file(*, db_session: Session, data: bytes, filename: str, actor: Actor) -> ImportResult:
    return import_document(db_session=db_session, document=parse_bank_file(data, filename), actor=actor)


def get_version(*, db_session: Session, version_id: int) -> BankVersion:
    version = repository.get_version(db_session, version_id)
    if version is None:
        raise NotFound("题库版本不存在。", code="bank_version_not_found", detail={"version_id": version_id})
    return version


def get_bank(*, db_session: Session, code: str) -> Bank:
    bank = repository.get_bank(db_session, code)
    if bank is None:
        raise NotFound("题库不存在。", code="bank_not_found", detail={"bank_code": code})
    return bank


def list_banks(*, db_session: Session) -> list[Bank]:
    return repository.list_banks(db_session)


def list_versions(*, db_session: Session, bank_code: str | None = None) -> list[BankVersion]:
    bank_id = get_bank(db_session=db_session, code=bank_code).id if bank_code else None
    return repository.list_versions(db_session, bank_id)


def resolve_version(*, db_session: Session, bank_code: str, spec: str) -> BankVersion:
    """``LABEL`` (when one part has it) or ``PART/LABEL``, as admins type it on the command line."""
    bank = get_bank(db_session=db_session, code=bank_code)
    part, _, label = spec.rpartition("/")
    found = repository.find_version(db_session, bank.id, part=part or None, label=label)
    if len(found) != 1:
        problem = "版本不存在" if not found else "该版本号在国家和地方部分都有，请写成 part/版本号"
        raise NotFound(f"{problem}。", code="bank_version_not_found", detail={"bank_code": bank_code, "version": spec})
    return found[0]


def _advance(db_session: Session, version_id: int, actor: Actor, *, expected: VersionStatus,
             to: VersionStatus, message: str, code: str) -> BankVersion:
    """draft → published and published → retired: the only changes a version's status may make."""
    version = get_version(db_session=db_session, version_id=version_id)
    details: dict[str, object] = dict(_version_details(version))
    if version.status == expected:
        setattr(version, f"{to}_at", utcnow())
        setattr(version, f"{to}_by", actor.user_id)
        if to == VersionStatus.PUBLISHED:
            # Per-field fingerprints, so that verify-sitting names the question and field an owner edits
            # after publication (issue 15 item 4; banks.fingerprints).
            version.field_salt = fingerprints.new_salt()
            details["fields"] = fingerprints.of_questions(version.field_salt,
                                                          repository.questions(db_session, version.id))
    advance(db_session, version, expected=expected, to=to, actor=actor, action=f"bank.version.{to}",
            subject_type="bank_version", refusal=message, code=code, details=details)
    return version


def publish(*, db_session: Session, version_id: int, actor: Actor) -> BankVersion:
    return _advance(db_session, version_id, actor, expected=VersionStatus.DRAFT, to=VersionStatus.PUBLISHED,
                    message="只有草稿版本可以发布。", code="bank_version_not_draft")


def retire(*, db_session: Session, version_id: int, actor: Actor) -> BankVersion:
    return _advance(db_session, version_id, actor, expected=VersionStatus.PUBLISHED, to=VersionStatus.RETIRED,
                    message="只有已发布的版本可以停用。", code="bank_version_not_published")


def discard_draft(*, db_session: Session, version_id: int, actor: Actor) -> None:
    version = get_version(db_session=db_session, version_id=version_id)
    if version.status != VersionStatus.DRAFT:
        raise Conflict("只能删除草稿版本；已发布的版本不可更改。", code="bank_version_not_draft",
                       detail={"version_id": version_id, "status": version.status})
    details = _version_details(version)
    db_session.delete(version)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="bank.version.discarded", subject_type="bank_version",
                 subject_id=version_id, details=details)


def list_questions(*, db_session: Session, version_id: int) -> list[Question]:
    get_version(db_session=db_session, version_id=version_id)
    return repository.questions(db_session, version_id)


def document_of(*, db_session: Session, version_id: int) -> BankDocument:
    """The stored version as a document again (for export); its digest equals the stored one."""
    version = get_version(db_session=db_session, version_id=version_id)
    meta = BankMeta(code=version.bank_code, title=version.title, province=version.province, part=Part(version.part),
                    personnel_category=PersonnelCategory(version.personnel_category)
                    if version.personnel_category is not None else None,
                    industry=Industry(version.industry), version=version.version_label,
                    effective_date=version.effective_date, operation_item=version.operation_item,
                    catalogue_version=version.catalogue_version, purpose=Purpose(version.purpose),
                    person_kinds=tuple(PersonKind(k) for k in version.person_kinds))
    points = tuple(KnowledgePointData(code=kp.code, title=kp.title)
                   for kp in repository.knowledge_points(db_session, version.id))
    questions = tuple(fingerprints.question_data(q) for q in repository.questions(db_session, version.id))
    return BankDocument(meta=meta, knowledge_points=points, questions=questions)


@dataclass(frozen=True)
class CountRow:
    knowledge_point: str
    type: str
    level: str
    difficulty: int
    count: int


def counts(*, db_session: Session, version_id: int) -> list[CountRow]:
    get_version(db_session=db_session, version_id=version_id)
    return [CountRow(knowledge_point=r.knowledge_point, type=r.type, level=r.level, difficulty=r.difficulty,
                     count=r.count) for r in repository.counts(db_session, version_id)]


def diff(*, db_session: Session, from_version_id: int, to_version_id: int) -> VersionDiff:
    """What changed between two versions, by key and revision; never any question content."""
    old_version = get_version(db_session=db_session, version_id=from_version_id)
    new_version = get_version(db_session=db_session, version_id=to_version_id)
    if old_version.bank_id != new_version.bank_id:
        raise Conflict("只能比较同一题库的两个版本。", code="different_banks",
                       detail={"from": old_version.bank_code, "to": new_version.bank_code})
    old = repository.question_digests(db_session, from_version_id)
    new = repository.question_digests(db_session, to_version_id)
    added = [QuestionChange(k, new[k][2], new[k][3], None, new[k][0]) for k in sorted(new.keys() - old.keys())]
    retired = [QuestionChange(k, old[k][2], old[k][3], old[k][0], None) for k in sorted(old.keys() - new.keys())]
    changed = [QuestionChange(k, new[k][2], new[k][3], old[k][0], new[k][0])
               for k in sorted(old.keys() & new.keys()) if old[k][1] != new[k][1]]
    return VersionDiff(added=added, changed=changed, retired=retired)
