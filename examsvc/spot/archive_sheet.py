"""The spot-exam archive as .xlsx (as the certificate register is, ``certificates.register_sheet``): a title
row naming the filters and the export date, a frozen Chinese header row, one row per examinee or group. ID
numbers are masked; names and enterprises typed by officers that look like formulas stay text
(``xlsx_container.text_row``)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from examsvc.banks.document import INDUSTRY_LABELS, PERSON_KIND_LABELS
from examsvc.spot.archive import (
    GROUP_LABELS,
    OUTCOME_LABELS,
    RETRAINING_LABELS,
    ArchiveFilter,
    Counts,
    ExamRow,
    Summary,
)
from examsvc.xlsx_container import as_text_cell, header_row, text_row

EXAMS_SHEET = "抽考记录"
SUMMARY_SHEET = "抽考统计"
FILTER_LABELS = {"city": "市", "industry": "行业", "enterprise": "单位", "post": "岗位", "kind": "人员类别",
                 "date_from": "检查日期起", "date_to": "检查日期止", "result": "结果", "retraining": "重新培训"}
EXAM_COLUMNS: tuple[tuple[str, float], ...] = (
    ("检查编号", 20), ("检查日期", 12), ("市", 10), ("行业", 14), ("被检查单位", 30), ("统一社会信用代码", 21),
    ("姓名", 10), ("身份证号", 20), ("岗位", 14), ("人员类别", 14), ("抽取顺序", 9), ("手工添加", 9),
    ("得分", 8), ("满分", 8), ("合格分", 8), ("结果", 8), ("重新培训", 12), ("证书编号", 18),
)
SUMMARY_MEASURES: tuple[tuple[str, float], ...] = (
    ("检查次数", 10), ("参考人数", 10), ("合格人数", 10), ("不合格人数", 11), ("缺考人数", 10), ("待重新培训", 11),
    ("合格率", 9),
)
PERCENT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"


def filter_text(wanted: ArchiveFilter) -> str:
    """The filters in words: a code is shown by its Chinese label."""
    labels: dict[str, dict[Any, str]] = {"industry": dict(INDUSTRY_LABELS), "kind": dict(PERSON_KIND_LABELS),
                                         "result": dict(OUTCOME_LABELS), "retraining": dict(RETRAINING_LABELS)}
    return "；".join(f"{FILTER_LABELS[name]} {labels.get(name, {}).get(getattr(wanted, name), value)}"
                    for name, value in wanted.params()) or "全部"


def _points(tenths: int | None) -> float | None:
    return None if tenths is None else tenths / 10


def _exam_values(row: ExamRow) -> list[Any]:
    return [row.inspection_code, row.inspected_on, row.city, row.industry_label, row.enterprise_name, row.credit_code,
            row.name, row.id_number_masked, row.post, row.kind_label or "", row.draw_order, "是" if row.manual else "",
            _points(row.score), _points(row.total_points), _points(row.pass_mark), row.outcome_label,
            row.retraining_label or "", row.certificate_number or ""]


def _book(title: str, sheet_name: str, columns: Sequence[tuple[str, float]]) -> tuple[Any, Any]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "1:2"
    head = WriteOnlyCell(sheet, value=title)
    head.font = Font(bold=True, size=13)
    sheet.append([as_text_cell(head)])
    sheet.append(header_row(sheet, (name for name, _ in columns)))
    return book, sheet


def _save(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def exams_workbook(rows: list[ExamRow], wanted: ArchiveFilter, today: date) -> bytes:
    from openpyxl.cell import WriteOnlyCell

    title = f"逢查必考抽考记录（导出日期 {today.isoformat()}，共 {len(rows)} 人；筛选：{filter_text(wanted)}）"
    book, sheet = _book(title, EXAMS_SHEET, EXAM_COLUMNS)
    for row in rows:
        values: list[Any] = text_row(sheet, _exam_values(row))
        cell = WriteOnlyCell(sheet, value=values[1])
        cell.number_format = DATE_FORMAT
        values[1] = cell
        sheet.append(values)
    return _save(book)


def _measures(counts: Counts) -> list[Any]:
    return [counts.inspections, counts.examined, counts.passed, counts.failed, counts.absent, counts.retraining_due,
            counts.pass_rate]


def summary_workbook(found: Summary, wanted: ArchiveFilter, today: date) -> bytes:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    columns = ((GROUP_LABELS[found.by], 36.0), *SUMMARY_MEASURES)
    book, sheet = _book(f"逢查必考抽考统计（按{GROUP_LABELS[found.by]}；导出日期 {today.isoformat()}；"
                        f"筛选：{filter_text(wanted)}）", SUMMARY_SHEET, columns)

    def append(values: list[Any], bold: bool = False) -> None:
        row: list[Any] = text_row(sheet, values)
        row[-1] = WriteOnlyCell(sheet, value=row[-1])
        row[-1].number_format = PERCENT
        if bold:
            row = [value if hasattr(value, "font") else WriteOnlyCell(sheet, value=value) for value in row]
            for cell in row:
                cell.font = Font(bold=True)
        sheet.append(row)

    for group in found.rows:
        append([group.label, *_measures(group.counts)])
    append(["合计", *_measures(found.total)], bold=True)
    return _save(book)
