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
from examsvc.banks.xlsx_format import open_bank_workbook
from examsvc.banks.yaml_format import YamlReader, compose
from examsvc.practical.document import FORMAT, PracticalBankDocument
from examsvc.practical.validate import (
    CRITERION_FIELDS,
    ITEM_FIELDS,
    MAX_CRITERIA,
    MAX_ITEMS,
    META_FIELDS,
    PracticalImportRejected,
    RawItem,
    RawPracticalBank,
    build_document,
)
from examsvc.xlsx_container import (
    Missing,
    column_letter,
    header_columns,
    header_of,
    read_rows,
    row_problems,
    sheet_problems,
    text_row,
    validated,
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


def parse_practical_file(data: bytes, filename: str, *, shown_as: str | None = None) -> PracticalBankDocument:
    """Problems name the file as ``shown_as`` (the CLI: the path as given, so two files of one name in two
    folders differ), else by the base name of ``filename`` (an upload's name is never a path)."""
    name = shown_as or PurePath(filename).name or "upload"
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return build_document(read_yaml(data, name))
    if suffix == ".xlsx":
        return parse_xlsx(data, name)
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


def _header_columns(header: list[str], table: dict[str, str], sheet: str, file: str, problems: list[Problem],
                    missing: Missing) -> dict[int, str]:
    # Every column of the layout is required (an absent 否决项 column would quietly drop every veto).
    return header_columns(header, table, required=table, file=file, sheet=sheet, problems=problems, missing=missing)


def _table(workbook: Any, file: str, sheet: str, table: dict[str, str], limit: int, problems: list[Problem],
           missing: Missing) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of a sheet with a header row, as {field: value}; formulas and hidden rows named."""
    rows: list[tuple[int, dict[str, Any]]] = []
    columns: dict[int, str] | None = None
    header: list[str] = []
    headerless: set[int] = set()
    for row in read_rows(workbook, file, sheet, problems):
        if row.number == 1:
            header = header_of(row)
            problems.extend(row_problems(row, file=file, sheet=sheet, header=header))
            columns = _header_columns(header, table, sheet, file, problems, missing)
            continue
        if columns is None:
            columns = _header_columns([], table, sheet, file, problems, missing)
        if row.is_blank():
            continue
        if len(rows) >= limit:
            problems.append(Problem(file=file, sheet=sheet, line=row.number,
                                    message=f"行数过多（不超过 {limit} 行）。"))
            break
        problems.extend(row_problems(row, file=file, sheet=sheet, header=header))
        values = {}
        for index, value in enumerate(row.values):
            if index in columns:
                values[columns[index]] = value.strip() if isinstance(value, str) else value
            elif (index >= len(header) or not header[index]) and index not in headerless and not (
                    value is None or (isinstance(value, str) and not value.strip())) and not any(
                    where == sheet for where, _ in missing):
                headerless.add(index)  # named once per column
                problems.append(Problem(file=file, sheet=sheet, line=row.number, field=column_letter(index),
                                        message="这一列没有表头，其中的内容不会导入：请填写表头或删除内容。"))
        rows.append((row.number, values))
    if columns is None and sheet in workbook.sheetnames:
        _header_columns([], table, sheet, file, problems, missing)
    return rows


def _read_meta(workbook: Any, file: str, problems: list[Problem]) -> RawRecord:
    meta = RawRecord(line=None)
    for row in read_rows(workbook, file, META_SHEET, problems):
        label = str(row.values[0]).strip() if row.values and row.values[0] is not None else ""
        problems.extend(row_problems(row, file=file, sheet=META_SHEET, header=["字段", label or "值"]))
        if row.is_blank() or (row.number == 1 and label == "字段"):
            continue  # an optional header row: 字段 | 值
        name = META_ROWS.get(label)
        if name is None:
            problems.append(Problem(file=file, sheet=META_SHEET, line=row.number, field=label or "字段",
                                    message=f"未知的题库信息字段：应为 {'、'.join(META_ROWS)} 之一。"))
            continue
        value = row.values[1] if len(row.values) > 1 else None
        meta.values[name] = value.strip() if isinstance(value, str) else value
        meta.lines[name] = row.number
    return meta


def read_xlsx(data: bytes, file: str) -> tuple[RawPracticalBank, Missing]:
    """The workbook's records, with every problem the reader found, and the sheets and columns missing."""
    workbook = open_bank_workbook(data, file, PracticalImportRejected)
    missing: Missing = set()
    try:
        problems = sheet_problems(workbook, file, (META_SHEET, ITEMS_SHEET, CRITERIA_SHEET), missing)
        meta = _read_meta(workbook, file, problems)
        item_rows = _table(workbook, file, ITEMS_SHEET, ITEM_COLUMNS, MAX_ITEMS, problems, missing)
        criterion_rows = _table(workbook, file, CRITERIA_SHEET, CRITERION_COLUMNS, MAX_ITEMS * MAX_CRITERIA,
                                problems, missing)
    finally:
        workbook.close()
    # Without either key column criteria cannot be given to their items: every count would be off, and
    # every criterion would be "not an item"; the missing column is named once instead.
    unattached = bool({(CRITERIA_SHEET, "项目编号"), (ITEMS_SHEET, "编号")} & missing)
    if unattached:
        missing.add((ITEMS_SHEET, "评分标准"))
    items: dict[str, RawItem] = {}
    order: list[RawItem] = []
    for number, values in item_rows:
        record = RawRecord(line=number, values=values, lines=dict.fromkeys(values, number))
        item = RawItem(record=record)
        order.append(item)
        items.setdefault(str(values.get("key") or ""), item)
    for number, values in criterion_rows:
        owner_key = values.pop("item", None)
        record = RawRecord(line=number, values=values, lines=dict.fromkeys(values, number))
        owner = items.get(str(owner_key or ""))
        if owner is None:
            if not unattached:
                problems.append(Problem(file=file, sheet=CRITERIA_SHEET, line=number, field="项目编号",
                                        message="“考核项目”表中没有这个项目编号。"))
            continue
        owner.criteria.append(record)
    field_names = {name: column for table in (META_ROWS, ITEM_COLUMNS, CRITERION_COLUMNS)
                   for column, name in table.items()}
    raw = RawPracticalBank(file=file, meta=meta, items=order, problems=problems,
                           sheet_of={"meta": META_SHEET, "item": ITEMS_SHEET, "criterion": CRITERIA_SHEET},
                           field_names=field_names | {"criteria": "评分标准"})
    return raw, missing


def parse_xlsx(data: bytes, file: str) -> PracticalBankDocument:
    raw, missing = read_xlsx(data, file)
    return validated(lambda: build_document(raw), reader_problems=raw.problems, missing=missing,
                     rejected=PracticalImportRejected)


def write_xlsx(document: PracticalBankDocument) -> bytes:
    """The workbook layout, filled: it imports back to the same digest. Text a spreadsheet program would
    take for a formula is written as text (issue 17 item 2)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    meta_sheet = workbook.create_sheet(META_SHEET)
    meta = document.meta.canonical()
    for column, name in META_ROWS.items():
        value = meta[name]
        meta_sheet.append(text_row(meta_sheet, [column, "\n".join(value) if isinstance(value, list) else value]))
    items_sheet = workbook.create_sheet(ITEMS_SHEET)
    items_sheet.append(list(ITEM_COLUMNS))
    criteria: list[list[Any]] = []
    for item in sorted(document.items, key=lambda i: i.key.encode()):
        items_sheet.append(text_row(items_sheet, [item.key, str(item.subject), item.title, item.time_limit_minutes,
                                                  item.full_marks, item.task, "\n".join(item.equipment)]))
        criteria.extend([item.key, c.code, c.name, c.points, "\n".join(c.deductions), "是" if c.veto else "否",
                         c.veto_rule or ""] for c in item.criteria)
    criteria_sheet = workbook.create_sheet(CRITERIA_SHEET)
    criteria_sheet.append(list(CRITERION_COLUMNS))
    for row in criteria:
        criteria_sheet.append(text_row(criteria_sheet, row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
