"""The statistics as an .xlsx workbook, written as the certificate register is (register_sheet): a title row
naming the filters, a frozen header row in Chinese, one row per group, then the total. Group names come
from what training institutions and employers typed, so formula-looking text is written as text
(``examsvc.xlsx_container.text_row``)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from examsvc.analytics.statistics import Counts, Statistics
from examsvc.analytics.statistics_filter import DIMENSION_LABELS, FIELD_LABELS
from examsvc.xlsx_container import as_text_cell, header_row, text_row

SHEET = "统计"
MEASURES: tuple[tuple[str, float], ...] = (
    ("参考人次", 10), ("合格人次", 10), ("不合格人次", 11), ("作废（违纪）人次", 15), ("合格率", 9),
    ("平均分", 9), ("取得资格人次", 13), ("发证数", 9),
)
PERCENT = "0.0%"


def measures(counts: Counts) -> list[Any]:
    return [counts.sat, counts.passed, counts.failed, counts.void, counts.pass_rate, counts.mean_score,
            counts.qualified, counts.certificates]


def headers(statistics: Statistics) -> list[str]:
    return [DIMENSION_LABELS[d] for d in statistics.query.group_by] + [name for name, _ in MEASURES]


def filter_text(statistics: Statistics) -> str:
    pairs = [(name, value) for name, value in statistics.query.params() if name != "group_by"]
    return "；".join(f"{FIELD_LABELS[name]} {value}" for name, value in pairs) or "全部"


def workbook(statistics: Statistics, title: str, today: date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    groups = len(statistics.query.group_by)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    widths = [24.0] * groups + [width for _, width in MEASURES]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "1:2"
    head = WriteOnlyCell(sheet, value=f"{title} 考试统计（导出日期 {today.isoformat()}；"
                                      f"筛选：{filter_text(statistics)}）")
    head.font = Font(bold=True, size=13)
    sheet.append([as_text_cell(head)])
    sheet.append(header_row(sheet, headers(statistics)))

    def append(values: list[Any], bold: bool = False) -> None:
        row: list[Any] = text_row(sheet, values)
        rate = groups + 4
        if row[rate] is not None:
            cell = WriteOnlyCell(sheet, value=row[rate])
            cell.number_format = PERCENT
            row[rate] = cell
        if bold:
            for n, value in enumerate(row):
                # WriteOnlyCell is a factory function, not a class: a cell is told by its font attribute.
                cell = value if hasattr(value, "font") else WriteOnlyCell(sheet, value=value)
                cell.font = Font(bold=True)
                row[n] = cell
        sheet.append(row)

    for found in statistics.rows:
        append([*found.labels, *measures(found.counts)])
    append(["合计", *[""] * (groups - 1), *measures(statistics.total)] if groups else measures(statistics.total),
           bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
