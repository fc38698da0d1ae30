"""Practical banks in YAML (reviewable) and in the workbook layout bank staff use.

Workbook sheets: ``题库信息`` (字段 | 值), ``考核项目`` (one row per item) and ``评分标准`` (one row per
criterion, naming its item's 编号). Multi-entry cells (设备器材, 扣分标准, 依据) hold one entry per line.
"""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from examsvc.banks.problems import Problem
from examsvc.banks.validate import RawRecord
from examsvc.banks.xlsx_format import _check_container
from examsvc.banks.yaml_format import YamlReader, compose
from examsvc.practical.document import FORMAT, PracticalBankDocument
from examsvc.practical.validate import (
    CRITERION_FIELDS,
    ITEM_FIELDS,
    META_FIELDS,
    PracticalImportRejected,
    RawItem,
    RawPracticalBank,
    build_document,
)

META_SHEET, ITEMS_SHEET, CRITERIA_SHEET = "题库信息", "考核项目", "评分标准"
META_ROWS = {"题库编号": "code", "题库名称": "title", "省份": "province", "操作项目": "operation_item",
             "操作项目名称": "operation_item_name", "版本": "version", "生效日期": "effective_date", "依据": "sources"}
ITEM_COLUMNS = {"编号": "key", "科目": "subject", "名称": "title", "限时（分钟）": "time_limit_minutes",
                "满分": "full_marks", "考核要求": "task", "设备器材": "equipment"}
CRITERION_COLUMNS = {"项目编号": "item", "序号": "code", "评分项": "name", "配分": "points",
                     "扣分标准": "deductions", "否决项": "veto", "否决条件": "veto_rule"}


# Text in the format (question_banks/practical/README.md): an unquoted 2026.10 or 1.20 is refused, not
# read as the number 2026.1 (issue 17 item 1; banks.yaml_format.YamlReader.text).
_TEXT = frozenset({"code", "title", "province", "operation_item", "operation_item_name", "version", "key",
                   "subject", "task"})
_CRITERION_TEXT = frozenset({"name", "veto_rule"})  # a criterion's code is a number


def parse_practical_file(data: bytes, filename: str) -> PracticalBankDocument:
    name = PurePath(filename).name or "upload"
    suffix = PurePath(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return build_document(read_yaml(data, name))
    if suffix == ".xlsx":
        return build_document(read_xlsx(data, name))
    raise PracticalImportRejected.one(name, "不支持的文件类型：只接受 .yaml、.yml 或 .xlsx。")


def read_yaml(data: bytes, file: str) -> RawPracticalBank:
    root = compose(data, file, PracticalImportRejected)
    reader = YamlReader(file)
    top = reader.mapping(root, ("format", "bank", "items"), "文件顶层")
    format_node = top.get("format")
    if format_node is None or reader.value(format_node) != FORMAT:
        reader.problem(format_node or root, f"“format”应为 {FORMAT}。", field="format")
    meta = reader.record(top["bank"], META_FIELDS, "题库信息", _TEXT) if "bank" in top else RawRecord(line=None)
    if "bank" not in top:
        reader.problem(None, "缺少“bank”部分（题库信息）。", field="bank")
    items = []
    for node in reader.sequence(top.get("items"), "items"):
        fields = reader.mapping(node, ITEM_FIELDS, "考核项目")
        criteria_node = fields.pop("criteria", None)
        record = RawRecord(line=node.start_mark.line + 1)
        for name, value_node in fields.items():
            record.values[name] = reader.text(value_node, name)[0] if name in _TEXT else reader.value(value_node)
            record.lines[name] = value_node.start_mark.line + 1
        criteria = [reader.record(c, CRITERION_FIELDS, "评分标准", _CRITERION_TEXT)
                    for c in reader.sequence(criteria_node, "criteria")] if criteria_node is not None else []
        items.append(RawItem(record=record, criteria=criteria))
    return RawPracticalBank(file=file, meta=meta, items=items, problems=reader.problems)


def _rows(ws: Any) -> list[tuple[int, dict[str, Any]]]:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        values = {header[i]: (v.strip() if isinstance(v, str) else v) for i, v in enumerate(row) if i < len(header)}
        if any(v not in (None, "") for v in values.values()):
            out.append((number, values))
    return out


def read_xlsx(data: bytes, file: str) -> RawPracticalBank:
    _check_container(data, file)
    from openpyxl import load_workbook  # here: importing openpyxl costs every CLI command otherwise

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    missing = [s for s in (META_SHEET, ITEMS_SHEET, CRITERIA_SHEET) if s not in workbook.sheetnames]
    if missing:
        raise PracticalImportRejected.one(file, f"缺少工作表：{'、'.join(missing)}。")
    meta = RawRecord(line=1)
    for number, row in enumerate(workbook[META_SHEET].iter_rows(values_only=True), start=1):
        if row and row[0] in META_ROWS and len(row) > 1:
            name = META_ROWS[str(row[0])]
            meta.values[name] = row[1].strip() if isinstance(row[1], str) else row[1]
            meta.lines[name] = number
    items: dict[str, RawItem] = {}
    order: list[RawItem] = []
    for number, values in _rows(workbook[ITEMS_SHEET]):
        record = RawRecord(line=number)
        for column, name in ITEM_COLUMNS.items():
            if column in values:
                record.values[name] = values[column]
                record.lines[name] = number
        item = RawItem(record=record)
        order.append(item)
        items.setdefault(str(values.get("编号") or ""), item)
    raw = RawPracticalBank(file=file, meta=meta, items=order,
                           sheet_of={"meta": META_SHEET, "item": ITEMS_SHEET, "criterion": CRITERIA_SHEET},
                           field_names={name: column for table in (META_ROWS, ITEM_COLUMNS, CRITERION_COLUMNS)
                                        for column, name in table.items()})
    for number, values in _rows(workbook[CRITERIA_SHEET]):
        record = RawRecord(line=number)
        for column, name in CRITERION_COLUMNS.items():
            if column in values and name != "item":
                record.values[name] = values[column]
                record.lines[name] = number
        owner = items.get(str(values.get("项目编号") or ""))
        if owner is None:
            raw.problems.append(Problem(file=file, sheet=CRITERIA_SHEET, line=number, field="项目编号",
                                        message="“考核项目”表中没有这个项目编号。"))
            continue
        owner.criteria.append(record)
    workbook.close()
    return raw


def write_xlsx(document: PracticalBankDocument) -> bytes:
    """The workbook layout, filled: it imports back to the same digest."""
    from openpyxl import Workbook

    workbook = Workbook()
    meta_sheet = workbook.active
    assert meta_sheet is not None
    meta_sheet.title = META_SHEET
    meta = document.meta.canonical()
    for column, name in META_ROWS.items():
        value = meta[name]
        meta_sheet.append([column, "\n".join(value) if isinstance(value, list) else value])
    items_sheet = workbook.create_sheet(ITEMS_SHEET)
    items_sheet.append(list(ITEM_COLUMNS))
    criteria_sheet = workbook.create_sheet(CRITERIA_SHEET)
    criteria_sheet.append(list(CRITERION_COLUMNS))
    for item in sorted(document.items, key=lambda i: i.key.encode()):
        items_sheet.append([item.key, str(item.subject), item.title, item.time_limit_minutes, item.full_marks,
                            item.task, "\n".join(item.equipment)])
        for c in item.criteria:
            criteria_sheet.append([item.key, c.code, c.name, c.points, "\n".join(c.deductions),
                                   "是" if c.veto else "否", c.veto_rule or ""])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
