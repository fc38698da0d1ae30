"""The statistics API (统计, docs/analytics.md (statistics)): ``GET /analytics/statistics`` as JSON and
``GET /analytics/statistics.xlsx`` with the same query string. Read province-wide by those who read the
certificate register province-wide: exam administration, auditors, inspectors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from examsvc.analytics import statistics, statistics_sheet
from examsvc.analytics.statistics_filter import DIMENSION_LABELS, TEXT_LIMITS, StatisticsQuery, parse
from examsvc.certificates.service import today_in
from examsvc.certificates.views import XLSX
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import PROVINCE_READERS

router = APIRouter(prefix="/analytics", tags=["analytics"])
READERS = PROVINCE_READERS
Reader = Annotated[CurrentUser, Depends(require_roles(*READERS))]


def statistics_query(
        group_by: Annotated[list[str] | None, Query(max_length=8, description=(
            "groupings, comma-separated or repeated (at most 3): " + ", ".join(DIMENSION_LABELS)))] = None,
        date_from: Annotated[str | None, Query(max_length=10, description="sitting's local date, YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, Query(max_length=10)] = None,
        site: Annotated[str | None, Query(max_length=TEXT_LIMITS["site"], description="site code")] = None,
        city: Annotated[str | None, Query(max_length=TEXT_LIMITS["city"])] = None,
        category: Annotated[str | None, Query(max_length=TEXT_LIMITS["category"])] = None,
        subject: Annotated[str | None, Query(max_length=TEXT_LIMITS["subject"])] = None,
        institution: Annotated[str | None, Query(max_length=TEXT_LIMITS["institution"])] = None,
        employer: Annotated[str | None, Query(max_length=TEXT_LIMITS["employer"])] = None,
        kind: Annotated[str | None, Query(max_length=10, description="theory | practical")] = None,
        attempt: Annotated[str | None, Query(max_length=10, description="first | retake")] = None,
) -> StatisticsQuery:
    given = {"date_from": date_from, "date_to": date_to, "site": site, "city": city, "category": category,
             "subject": subject, "institution": institution, "employer": employer, "kind": kind, "attempt": attempt}
    return parse(group_by or [], {k: v for k, v in given.items() if v is not None})


Wanted = Annotated[StatisticsQuery, Depends(statistics_query)]


def _counts(counts: statistics.Counts) -> dict[str, Any]:
    return {"sat": counts.sat, "passed": counts.passed, "failed": counts.failed, "void": counts.void,
            "pass_rate": None if counts.pass_rate is None else round(counts.pass_rate, 4),
            "mean_score": counts.mean_score, "qualified": counts.qualified, "certificates": counts.certificates}


def as_json(found: statistics.Statistics) -> dict[str, Any]:
    dims = [str(d) for d in found.query.group_by]
    return {"group_by": dims, "filters": dict(p for p in found.query.params() if p[0] != "group_by"),
            "rows": [{"key": dict(zip(dims, row.key, strict=True)), "labels": dict(zip(dims, row.labels, strict=True)),
                      **_counts(row.counts)} for row in found.rows],
            "total": _counts(found.total)}


@router.get("/statistics", summary="Counts and pass rates (统计), grouped and filtered; docs/analytics.md (statistics)")
def get_statistics(_: Reader, db_session: DbSession, settings: SettingsDep, wanted: Wanted) -> dict[str, Any]:
    return as_json(statistics.compute(db_session, wanted, zone_name=settings.timezone))


@router.get("/statistics.xlsx", summary="The same statistics as .xlsx (Chinese headers)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
def statistics_workbook(_: Reader, db_session: DbSession, settings: SettingsDep, wanted: Wanted) -> Response:
    today = today_in(settings)
    found = statistics.compute(db_session, wanted, zone_name=settings.timezone)
    content = statistics_sheet.workbook(found, settings.certificate_authority_name, today)
    return Response(content=content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="statistics-{today.isoformat()}.xlsx"'})
