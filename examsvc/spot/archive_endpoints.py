"""The spot-exam archive over HTTP (存档备查): lists, summaries and their .xlsx (examsvc/spot/archive.py).

Enforcement officers read the inspections they took part in (others' are simply not listed); exam admins,
auditors and inspectors read the province's. ID numbers are masked in every list and export."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from examsvc.banks.document import INDUSTRY_LABELS, Industry, PersonKind
from examsvc.certificates.service import today_in
from examsvc.certificates.views import XLSX
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import PROVINCE_READERS, Role
from examsvc.spot import archive, archive_sheet
from examsvc.spot.models import InspectionStatus, Retraining

router = APIRouter(prefix="/spot", tags=["spot exams"])
Reader = Annotated[CurrentUser, Depends(require_roles(Role.ENFORCEMENT_OFFICER, *PROVINCE_READERS))]


def officer_scope(current: CurrentUser) -> int | None:
    """None: the province's readers see every inspection; an officer, only their own."""
    return None if any(current.has(r) for r in PROVINCE_READERS) else current.id


def archive_query(city: Annotated[str | None, Query(max_length=50, description="所在市 (exact)")] = None,
                  industry: Industry | None = None,
                  enterprise: Annotated[str | None, Query(max_length=200,
                                                          description="part of the name, or the credit code")] = None,
                  post: Annotated[str | None, Query(max_length=100, description="part of the post")] = None,
                  kind: PersonKind | None = None, date_from: date | None = None, date_to: date | None = None,
                  result: archive.Outcome | None = None, retraining: Retraining | None = None) -> archive.ArchiveFilter:
    # The typed parameters document the API; the one parser (shared with the page) decides.
    given = {"city": city, "industry": industry, "enterprise": enterprise, "post": post, "kind": kind,
             "date_from": date_from, "date_to": date_to, "result": result, "retraining": retraining}
    return archive.parse_filter({k: None if v is None else str(v) for k, v in given.items()})


ArchiveQuery = Annotated[archive.ArchiveFilter, Depends(archive_query)]


def _summary_json(found: archive.Summary) -> dict[str, Any]:
    def counts(c: archive.Counts) -> dict[str, Any]:
        return {**asdict(c), "pass_rate": c.pass_rate}

    return {"by": found.by, "by_label": archive.GROUP_LABELS[found.by],
            "rows": [{"key": r.key, "label": r.label, **counts(r.counts)} for r in found.rows],
            "total": counts(found.total)}


Limit = Annotated[int, Query(ge=1, le=archive.MAX_PAGE)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/inspections", summary="The archive's inspections (officers: their own; province readers: all)")
def list_inspections(current: Reader, db_session: DbSession, wanted: ArchiveQuery, limit: Limit = 100,
                     offset: Offset = 0) -> dict[str, Any]:
    total, found = archive.inspections(db_session, wanted, officer_id=officer_scope(current), limit=limit,
                                       offset=offset)
    counts = archive.exam_counts(db_session, [i.id for i in found])
    return {"total": total, "inspections": [{
        "id": i.id, "code": i.code, "enterprise_name": i.enterprise_name, "credit_code": i.credit_code,
        "industry": i.industry, "industry_label": INDUSTRY_LABELS[Industry(i.industry)], "city": i.city,
        "inspected_on": i.inspected_on, "status": i.status,
        "status_label": archive.STATUS_LABELS[InspectionStatus(i.status)], "draw_count": i.draw_count,
        "roster_size": i.roster_size, "lead_officer_id": i.lead_officer_id, "second_officer_id": i.second_officer_id,
        "closed_at": i.closed_at, **{k: v for k, v in asdict(counts[i.id]).items() if k != "inspections"}}
        for i in found]}


@router.get("/exams", summary="The archive's examinees with their spot exams; filter by city, industry, enterprise, "
                              "post, kind, date, result, re-training (ID numbers masked)")
def list_exams(current: Reader, db_session: DbSession, wanted: ArchiveQuery, limit: Limit = 100,
               offset: Offset = 0) -> dict[str, Any]:
    scope = officer_scope(current)
    rows = archive.exam_rows(db_session, wanted, officer_id=scope, limit=limit, offset=offset)
    return {"total": archive.count_examinees(db_session, wanted, officer_id=scope), "exams": [asdict(r) for r in rows]}


@router.get("/summary", summary="Counts and pass rate by city, industry, enterprise or post")
def summary(current: Reader, db_session: DbSession, wanted: ArchiveQuery,
            by: archive.GroupBy = archive.GroupBy.CITY) -> dict[str, Any]:
    return _summary_json(archive.summary(db_session, wanted, by, officer_id=officer_scope(current)))


def _xlsx(content: bytes, name: str, today: date) -> Response:
    return Response(content=content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}-{today.isoformat()}.xlsx"'})


@router.get("/exams.xlsx", summary="The examinees as .xlsx (same filters; ID numbers masked)", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def exams_workbook(current: Reader, db_session: DbSession, settings: SettingsDep, wanted: ArchiveQuery) -> Response:
    today = today_in(settings)
    rows = archive.exam_rows(db_session, wanted, officer_id=officer_scope(current))
    return _xlsx(archive_sheet.exams_workbook(rows, wanted, today), "spot-exams", today)


@router.get("/summary.xlsx", summary="The summary as .xlsx (same filters and grouping)", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def summary_workbook(current: Reader, db_session: DbSession, settings: SettingsDep, wanted: ArchiveQuery,
                     by: archive.GroupBy = archive.GroupBy.CITY) -> Response:
    today = today_in(settings)
    found = archive.summary(db_session, wanted, by, officer_id=officer_scope(current))
    return _xlsx(archive_sheet.summary_workbook(found, wanted, today), f"spot-summary-{by}", today)
