"""The statistics page (统计, ``/staff/analysis/statistics``): a GET form (so the filters live in the URL and a
link reproduces the page), two server-side SVG charts (pass rate by group; sat and passed by month), the
table that is their accessible alternative, and the .xlsx link with the same query string. A thin shell
over ``examsvc.analytics.statistics``, read by the roles the API admits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from examsvc.analytics import statistics, statistics_chart
from examsvc.analytics.endpoints import READERS, as_json
from examsvc.analytics.statistics_filter import (
    ATTEMPT_LABELS,
    DIMENSION_LABELS,
    FIELD_LABELS,
    FILTER_FIELDS,
    KIND_LABELS,
    MAX_GROUPS,
    Dimension,
    StatisticsQuery,
    parse,
)
from examsvc.analytics.statistics_sheet import MEASURES
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.errors import ExamServiceError
from examsvc.identity.access import CurrentUser
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, staff_page

router = APIRouter(prefix="/staff/analysis", include_in_schema=False)
Reader = Annotated[CurrentUser, Depends(staff_page(*READERS))]
DEFAULT_GROUPS = (Dimension.SITE.value,)


def _rate_bars(found: statistics.Statistics) -> list[statistics_chart.Bar]:
    return [statistics_chart.Bar(" / ".join(row.labels) or "全部", row.counts.pass_rate,
                                 f"{row.counts.pass_rate:.1%}（{row.counts.passed}/{row.counts.sat}）")
            for row in found.rows if row.counts.pass_rate is not None]


@router.get("/statistics")
def statistics_page(request: Request, current: Reader, db_session: DbSession, settings: SettingsDep) -> Response:
    params = request.query_params
    groups = params.getlist("group_by") if "group_by" in params else list(DEFAULT_GROUPS)
    fields = {name: (params.get(name) or "").strip() for name in FILTER_FIELDS}
    chosen = [g for g in groups if g][:MAX_GROUPS]
    error: ExamServiceError | None = None
    found = months = None
    try:
        query = parse(groups, fields)
        found = statistics.compute(db_session, query, zone_name=settings.timezone)
        months = (found if query.group_by == (Dimension.MONTH,) else statistics.compute(
            db_session, StatisticsQuery((Dimension.MONTH,), query.filter), zone_name=settings.timezone))
    except ExamServiceError as refused:
        error, query = refused, StatisticsQuery()
    charts = []
    if found is not None and months is not None:
        grouped = "、".join(DIMENSION_LABELS[d] for d in found.query.group_by) or "全部"
        rate_title, month_title = f"按{grouped}的合格率", "按月份的参考人次与合格人次"
        charts = [(rate_title, statistics_chart.rate_bars("chart-rate", rate_title, _rate_bars(found))),
                  (month_title, statistics_chart.month_columns("chart-month", month_title, [
                      statistics_chart.Column(row.key[0] or "", row.counts.sat, row.counts.passed)
                      for row in months.rows]))]
    response = render(request, "staff/statistics.html", status_code=error.status_code if error else 200,
                      user=current.user, error=error, found=found, table=as_json(found) if found else None,
                      fields=fields, chosen=chosen + [""] * (MAX_GROUPS - len(chosen)), charts=charts,
                      dimensions=DIMENSION_LABELS, field_labels=FIELD_LABELS, kinds=KIND_LABELS,
                      attempts=ATTEMPT_LABELS, measures=[name for name, _ in MEASURES],
                      query=query.query_string if error is None else "")
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response
