from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from examsvc.analytics import item_service
from examsvc.banks import service
from examsvc.banks.models import BankVersion
from examsvc.banks.schemas import (
    BankRead,
    BankVersionRead,
    CountRead,
    DiffRead,
    ImportRead,
    QuestionChangeRead,
    QuestionRead,
    problem_dicts,
)
from examsvc.banks.service import QuestionChange
from examsvc.banks.xlsx_format import write_xlsx
from examsvc.banks.yaml_format import write_yaml
from examsvc.db import DbSession
from examsvc.errors import NotFound
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.identity.service import end_read_transaction
from examsvc.uploads import import_body

router = APIRouter(tags=["banks"])

# Question content (stems, options, answers, explanations) is for bank administrators only;
# the others who plan exams see metadata and counts.
BankAdmin = Annotated[CurrentUser, Depends(require_roles(Role.BANK_ADMIN))]
MetadataReader = Annotated[CurrentUser, Depends(require_roles(
    Role.BANK_ADMIN, Role.EXAM_ADMIN, Role.CHIEF_EXAMINER, Role.AUDITOR, Role.SYSTEM_ADMIN))]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}},
    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}}}


def _read(version: BankVersion) -> BankVersionRead:
    return BankVersionRead.model_validate(version)


@router.get("/banks", response_model=list[BankRead], summary="Banks and their versions (metadata only)")
def list_banks(_: MetadataReader, db_session: DbSession) -> list[BankRead]:
    by_code: dict[str, list[BankVersionRead]] = {b.code: [] for b in service.list_banks(db_session=db_session)}
    for version in service.list_versions(db_session=db_session):
        by_code[version.bank_code].append(_read(version))
    return [BankRead(code=code, versions=versions) for code, versions in by_code.items()]


@router.post("/banks/import", response_model=ImportRead, status_code=status.HTTP_201_CREATED,
             openapi_extra=UPLOAD_DOC,
             summary="Import a bank file (YAML or xlsx, sent as the request body) as a draft version",
             description="Identical content already stored answers 200 with `created: false` and writes nothing. "
                         "Any error rejects the whole file: `detail.problems` lists every error with file, "
                         "line or row, and field.")
def import_bank(
    current: BankAdmin, db_session: DbSession, response: Response,
    body: Annotated[bytes, Depends(import_body)],
    filename: Annotated[str, Query(min_length=1, max_length=255, description="原文件名，决定按 YAML 还是 xlsx 读取")],
) -> ImportRead:
    # Parsing a large file takes seconds: it runs with no transaction open (on SQLite every transaction
    # holds the write lock, so the token check's read transaction ends first; issue 17 item 5).
    actor = current.actor
    end_read_transaction(db_session)
    document = service.parse_bank_file(body, filename)
    result = service.import_document(db_session=db_session, document=document, actor=actor)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return ImportRead(version=_read(result.version), created=result.created, warnings=problem_dicts(result.warnings))


@router.get("/bank-versions/{version_id}", response_model=BankVersionRead)
def get_version(version_id: int, _: MetadataReader, db_session: DbSession) -> BankVersionRead:
    return _read(service.get_version(db_session=db_session, version_id=version_id))


@router.get("/bank-versions/{version_id}/counts", response_model=list[CountRead],
            summary="Question counts per knowledge point x type x cognitive level x difficulty")
def counts(version_id: int, _: MetadataReader, db_session: DbSession) -> list[CountRead]:
    return [CountRead.model_validate(row, from_attributes=True)
            for row in service.counts(db_session=db_session, version_id=version_id)]


@router.get("/bank-versions/{version_id}/questions", response_model=list[QuestionRead],
            summary="Question content (bank administrators only)")
def questions(version_id: int, _: BankAdmin, db_session: DbSession) -> list[QuestionRead]:
    found = service.list_questions(db_session=db_session, version_id=version_id)
    return [QuestionRead.model_validate(q) for q in found]


@router.post("/bank-versions/{version_id}/publish", response_model=BankVersionRead,
             summary="Publish a draft: from now on it can never change")
def publish(version_id: int, current: BankAdmin, db_session: DbSession) -> BankVersionRead:
    return _read(service.publish(db_session=db_session, version_id=version_id, actor=current.actor))


@router.post("/bank-versions/{version_id}/retire", response_model=BankVersionRead,
             summary="Retire a published version (no new papers draw from it)")
def retire(version_id: int, current: BankAdmin, db_session: DbSession) -> BankVersionRead:
    return _read(service.retire(db_session=db_session, version_id=version_id, actor=current.actor))


@router.delete("/bank-versions/{version_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Discard a draft version (published versions cannot be deleted)")
def discard(version_id: int, current: BankAdmin, db_session: DbSession) -> None:
    service.discard_draft(db_session=db_session, version_id=version_id, actor=current.actor)


@router.get("/bank-versions/{version_id}/export", summary="Export a version as xlsx or YAML",
            responses={200: {"content": {XLSX_TYPE: {}, "application/yaml": {}}}})
def export(version_id: int, _: BankAdmin, db_session: DbSession,
           format: Literal["xlsx", "yaml"] = "xlsx") -> Response:
    version = service.get_version(db_session=db_session, version_id=version_id)
    document = service.document_of(db_session=db_session, version_id=version_id)
    name = f"{version.bank_code}-{version.part}-{version.version_label}.{format}"
    content, media_type = (write_xlsx(document), XLSX_TYPE) if format == "xlsx" else (
        write_yaml(document), "application/yaml; charset=utf-8")
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/banks/{bank_code}/diff", response_model=DiffRead,
            summary="Questions added, changed and retired between two versions (keys and revisions only)")
def diff(bank_code: str, _: MetadataReader, db_session: DbSession,
         from_version: Annotated[int, Query(alias="from")], to_version: Annotated[int, Query(alias="to")]) -> DiffRead:
    old = service.get_version(db_session=db_session, version_id=from_version)
    new = service.get_version(db_session=db_session, version_id=to_version)
    if old.bank_code != bank_code:
        raise NotFound("该版本不属于此题库。", code="bank_version_not_found",
                       detail={"bank_code": bank_code, "version_id": from_version})
    result = service.diff(db_session=db_session, from_version_id=from_version, to_version_id=to_version)
    review = item_service.revision_review(db_session, old, {c.key for c in result.changed + result.retired})

    def read(change: QuestionChange) -> QuestionChangeRead:
        return QuestionChangeRead(**asdict(change), review_flags=review.flags.get(change.key, []))

    return DiffRead(
        from_version=_read(old), to_version=_read(new), added=[read(c) for c in result.added],
        changed=[read(c) for c in result.changed], retired=[read(c) for c in result.retired],
        flagged_unrevised=review.unrevised,
    )
