"""The flagged questions (待复核试题) as an .xlsx workbook for a bank committee: a title row, a frozen header
row, one row per flagged question. The stem column is present only for bank_admin (题库管理员); other
readers get keys and numbers. Formula-looking text is written as text (``xlsx_container.text_row``)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from examsvc.analytics.item_service import FLAG_TEXT
from examsvc.xlsx_container import as_text_cell, header_row, text_row

SHEET = "待复核试题"
TYPE_TEXT = {"true_false": "判断题", "single_choice": "单选题", "multiple_choice": "多选题"}
PART_TEXT = {"national": "全国", "provincial": "本省"}
COLUMNS: tuple[tuple[str, float], ...] = (
    ("题库部分", 8), ("试题编号", 14), ("修订号", 7), ("题型", 8), ("知识点", 10), ("作答人数", 9),
    ("难度系数", 9), ("标准差", 8), ("区分度(%)", 10), ("区分效率(%)", 11), ("点二列相关", 10),
    ("高低分组区分度", 13), ("选项选择率(高分组/低分组)", 34), ("复核原因", 40),
)
STEM_COLUMN = ("题干", 60)


def _options(row: Mapping[str, Any]) -> str:
    return "；".join(f"{o['label']}{'(答案)' if o['is_key'] else ''} {_pct(o['upper'])}/{_pct(o['lower'])}"
                    for o in row["options"])


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _round(value: float | None, digits: int) -> float | str:
    return "—" if value is None else round(value, digits)


def workbook(title: str, rows: Sequence[Mapping[str, Any]], stems: Mapping[int, str] | None) -> bytes:
    """``stems``: question id → stem, for bank_admin only (None: no stem column at all)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = COLUMNS + ((STEM_COLUMN,) if stems is not None else ())
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{len(rows) + 2}"
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=13)
    sheet.append([as_text_cell(heading)])
    sheet.append(header_row(sheet, (name for name, _ in columns)))
    for row in rows:
        values: list[Any] = [
            PART_TEXT.get(row["part"], row["part"]), row["key"], row["revision"],
            TYPE_TEXT.get(row["type"], row["type"]),
            row["knowledge_point"], row["exposure"], _round(row["facility"], 3), _round(row["sd"], 3),
            _round(row["discrimination_index"], 1), _round(row["discriminative_efficiency"], 1),
            _round(row["point_biserial"], 3), _round(row["upper_lower"], 3), _options(row),
            "；".join(FLAG_TEXT[f] for f in row["flags"])]
        if stems is not None:
            values.append(stems.get(row["question_id"], ""))
        sheet.append(text_row(sheet, values))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
