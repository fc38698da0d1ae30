"""The item-analysis page (试题分析, ``/staff/analysis/items``) for bank admins: a bank version's per-question
statistics with review flags, filters in the URL (bank, version, part, flagged only, page), and the link to
the API's .xlsx export of the flagged list. The numbers are ``analytics.item_service``'s, as the API's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from examsvc.analytics import item_service, items
from examsvc.analytics.flagged_sheet import PART_TEXT, TYPE_TEXT
from examsvc.banks import service as banks
from examsvc.db import DbSession
from examsvc.errors import ExamServiceError, InvalidInput
from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import Role
from examsvc.web.certificate_views import Page, page_number
from examsvc.web.pages import render
from examsvc.web.staff_access import ERROR_HEADER, staff_page

router = APIRouter(prefix="/staff/analysis", include_in_schema=False)
BankAdmin = Annotated[CurrentUser, Depends(staff_page(Role.BANK_ADMIN))]
PAGE_SIZE = 50
FIELD_LIMIT = 40


@dataclass(frozen=True)
class Wanted:
    bank: str
    version: str
    part: str
    flagged: bool

    def query(self) -> str:
        fields = {"bank": self.bank, "version": self.version, "part": self.part, "flagged": "1" if self.flagged else ""}
        return urlencode({k: v for k, v in fields.items() if v})

    def export_query(self) -> str:
        fields = {"bank": self.bank, "version": self.version, "part": self.part}
        return urlencode({k: v for k, v in fields.items() if v})


def _wanted(params: dict[str, str]) -> Wanted:
    bank, version, part = (params.get(name, "").strip() for name in ("bank", "version", "part"))
    for name, value in (("bank", bank), ("version", version)):
        if len(value) > FIELD_LIMIT:
            raise InvalidInput("筛选条件过长。", code="field_too_long", detail={"field": name})
    if part not in ("", *item_service.PARTS):
        raise InvalidInput("题库部分只能是全国或本省。", code="bad_part", detail={"field": "part"})
    return Wanted(bank=bank, version=version, part=part, flagged=params.get("flagged") == "1")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _flag_text(flag: str, row: dict[str, Any]) -> str:
    """The flag as the export writes it, and which way or which option, so nobody has to work it out."""
    text = item_service.FLAG_TEXT[flag]
    distractors = [o for o in row["options"] if not o["is_key"]]
    if flag == "facility_out_of_range" and row["facility"] is not None:
        return text + ("（过易）" if row["facility"] > items.FACILITY_HIGH else "（过难）")
    if flag == "unused_distractor":
        return text + "（" + "、".join(o["label"] for o in distractors if o["share"] == 0) + "）"
    if flag == "upper_prefers_distractor":
        weakest = min((o["upper"] for o in row["options"] if o["is_key"] and o["upper"] is not None), default=None)
        preferred = [o["label"] for o in distractors
                     if weakest is not None and o["upper"] is not None and o["upper"] > weakest]
        return text + ("（" + "、".join(preferred) + "）" if preferred else "")
    return text


def _shown(row: dict[str, Any], min_responses: int) -> dict[str, Any]:
    def num(value: float | None, digits: int) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    return row | {
        "part_text": PART_TEXT.get(row["part"], row["part"]), "type_text": TYPE_TEXT.get(row["type"], row["type"]),
        "facility_text": num(row["facility"], 2), "sd_text": num(row["sd"], 2),
        "di_text": num(row["discrimination_index"], 1), "de_text": num(row["discriminative_efficiency"], 1),
        "pb_text": num(row["point_biserial"], 2), "ul_text": num(row["upper_lower"], 2),
        "option_lines": [{"label": o["label"], "is_key": o["is_key"], "share": _pct(o["share"]),
                          "upper": _pct(o["upper"]), "lower": _pct(o["lower"])} for o in row["options"]],
        "flag_texts": [_flag_text(f, row) for f in row["flags"]],
        "too_few": row["exposure"] < min_responses,
    }


@router.get("/items")
def items_page(request: Request, current: BankAdmin, db_session: DbSession) -> Response:
    params = dict(request.query_params)
    error: ExamServiceError | None = None
    listed, attempts, flagged_count = None, 0, 0
    wanted = Wanted("", "", "", False)
    try:
        wanted = _wanted(params)
        if wanted.bank and wanted.version:
            versions = item_service.versions_of(db_session, bank_code=wanted.bank, version_label=wanted.version,
                                                part=wanted.part or None)
            analysis = item_service.analyse_versions(db_session, versions)
            rows = analysis.rows()
            attempts, flagged_count = analysis.attempts, sum(1 for r in rows if r["flags"])
            if wanted.flagged:
                rows = [r for r in rows if r["flags"]]
            pages = max(1, -(-len(rows) // PAGE_SIZE))
            number = min(page_number(params.get("page", "1")), pages)
            shown = rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
            listed = Page([_shown(r, analysis.min_responses) for r in shown], number, pages, len(rows))
    except ExamServiceError as refused:
        error = refused
    versions_known = sorted({(v.bank_code, v.version_label) for v in banks.list_versions(db_session=db_session)})
    response = render(request, "staff/analysis_items.html", status_code=error.status_code if error else 200,
                      user=current.user, wanted=wanted, listed=listed, attempts=attempts, flagged_count=flagged_count,
                      error=error, bank_codes=sorted({b for b, _ in versions_known}),
                      version_labels=sorted({v for _, v in versions_known}), flag_texts=item_service.FLAG_TEXT,
                      min_responses=items.MIN_RESPONSES, parts=PART_TEXT)
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response
