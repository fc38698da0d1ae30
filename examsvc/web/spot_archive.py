"""The spot-exam archive page (逢查必考档案, ``/staff/spot/archive``) for the province's readers (exam admins,
auditors, inspectors): a GET form of filters (the URL reproduces the page), the summary by city, industry,
enterprise or post, the examinees (ID numbers masked), and the .xlsx links with the same query string. A
thin shell over ``examsvc.spot.archive``; enforcement officers use the API or their own inspection pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from examsvc.banks.document import INDUSTRY_LABELS, PERSON_KIND_LABELS
from examsvc.db import DbSession
from examsvc.errors import ExamServiceError
from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import PROVINCE_READERS
from examsvc.spot import archive
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, staff_page

router = APIRouter(prefix="/staff/spot", include_in_schema=False)
Reader = Annotated[CurrentUser, Depends(staff_page(*PROVINCE_READERS))]
SHOWN = 200  # rows on the page; the export has them all


@router.get("/archive")
def archive_page(request: Request, current: Reader, db_session: DbSession) -> Response:
    params = request.query_params
    fields = {name: (params.get(name) or "").strip() for name in (*archive.FILTER_FIELDS, "by")}
    error: ExamServiceError | None = None
    rows: list[archive.ExamRow] = []
    found = None
    query = ""
    try:
        wanted, by = archive.parse_filter(fields), archive.parse_group(fields["by"])
        rows = archive.exam_rows(db_session, wanted, officer_id=None)
        found = archive.summarize(rows, by)
        query = urlencode([*wanted.params(), ("by", str(by))])
    except ExamServiceError as refused:
        error = refused
    response = render(request, "staff/spot_archive.html", status_code=error.status_code if error else 200,
                      user=current.user, error=error, fields=fields, found=found, rows=rows[:SHOWN],
                      total=len(rows), shown=SHOWN, query=query, field_labels=archive.FIELD_LABELS,
                      industries=INDUSTRY_LABELS, kinds=PERSON_KIND_LABELS, outcomes=archive.OUTCOME_LABELS,
                      retrainings=archive.RETRAINING_LABELS, groups=archive.GROUP_LABELS)
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response
