"""The people on duty at an inspected enterprise (在岗人员名单), from which a spot exam draws.

They arrive as JSON rows typed on the page (keys ``name``, ``id_number``, ``post``, ``kind``) or as an
uploaded .xlsx or .csv with the columns 姓名, 身份证号, 岗位 (required) and 人员类别 (optional: the label
or the code of a ``PersonKind``). Every problem of every row is collected and the whole roster refused
at once (``RosterRejected``, code ``roster_invalid``): nothing half-read reaches a draw.

Messages name the row and the field and never repeat an ID number or a name (personal data): "第3行
“身份证号”：与第7行重复", not the number. A header row that looks like a person (no known title, or an
ID-number-like cell) is refused without quoting it for the same reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import PurePath
from typing import Any

from examsvc.banks.document import PERSON_KIND_LABELS, PersonKind
from examsvc.banks.problems import ImportRejected, Problem
from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number
from examsvc.text import is_control, shown
from examsvc.xlsx_container import (
    Missing,
    SheetRow,
    column_letter,
    header_columns,
    header_of,
    open_workbook,
    read_rows,
    row_problems,
)

MAX_PEOPLE = 500
MAX_NAME = 50
MAX_POST = 50
MAX_FILE_BYTES = 5 * 1024 * 1024  # 500 people are tens of KB; styles and a logo stay well within this
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_SHEET_ROWS = 4 * MAX_PEOPLE  # rows read at all, blank or not
SHEET = "人员名单"
COLUMNS = {"姓名": "name", "身份证号": "id_number", "岗位": "post", "人员类别": "kind"}
REQUIRED = ("姓名", "身份证号", "岗位")
JSON_FIELDS = tuple(COLUMNS.values())
_TITLES = {f: t for t, f in COLUMNS.items()}
_KINDS = {**{str(k): k for k in PersonKind}, **{label: k for k, label in PERSON_KIND_LABELS.items()}}
_ID_LIKE = re.compile(r"\d{15}|\d{17}[\dXx]")
# What Excel writes for an ID number kept as a number: 1.10105E+17 (a CSV saved from such a sheet).
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
EXAMPLE_PREFIX = "示例"
# The example person's ID number is GB 11643's own example; the name makes the row refused if left in.
EXAMPLE_ROW = ("示例：张三（上传前请删除本行）", "11010519491231002X", "电工",
               PERSON_KIND_LABELS[PersonKind.SPECIAL_OPERATIONS])


class RosterRejected(ImportRejected):
    code = "roster_invalid"
    what = "人员名单"


@dataclass(frozen=True)
class RosterPerson:
    name: str
    id_number: str  # normalised by parse_id_number (GB 11643)
    post: str
    kind: PersonKind | None
    row: int  # JSON: position in the list from 1; file: the row as a spreadsheet program shows it


@dataclass
class _Record:
    row: int
    values: dict[str, str]  # field → text ("" when absent)
    numeric_id: bool = False  # the ID number came as a number: its last digits are already lost
    reported: set[str] = field(default_factory=set)  # fields the reader already named (a formula)


# ---- checking the rows, whatever they came from ---------------------------------------------------------

Report = Callable[[_Record, str, str], None]  # (record, field, message): one problem

def _check(records: list[_Record], *, file: str, names: dict[str, str], sheet: str | None = None,
           problems: list[Problem], today: date | None) -> list[RosterPerson]:
    """The people, or ``RosterRejected`` with ``problems`` and every problem of every record. ``names``
    maps a field to how the input names it (a column title, a JSON key)."""
    people: list[RosterPerson] = []
    first_row: dict[str, int] = {}

    def problem(record: _Record, name: str, message: str) -> None:
        if name not in record.reported:
            problems.append(Problem(file=file, sheet=sheet, line=record.row, field=names[name], message=message))

    for record in records:
        value = record.values
        if value["name"].startswith(EXAMPLE_PREFIX):
            problem(record, "name", "这是模板里的示例行，请删除后再上传。")
            continue
        name = _text(record, "name", "姓名", MAX_NAME, problem)
        post = _text(record, "post", "岗位", MAX_POST, problem)
        kind = _KINDS.get(value["kind"]) if value["kind"] else None
        unknown_kind = bool(value["kind"]) and kind is None
        if unknown_kind:
            problem(record, "kind", f"人员类别“{shown(value['kind'][:20])}”不存在：应为 "
                                    f"{'、'.join(PERSON_KIND_LABELS.values())} 之一，或留空。")
        id_number = _id_number(record, problem, today)
        if id_number is not None:
            if id_number in first_row:
                problem(record, "id_number", f"与第{first_row[id_number]}行的身份证号相同：同一人只能列一次。")
                id_number = None
            else:
                first_row[id_number] = record.row
        if name is not None and post is not None and id_number is not None and not unknown_kind:
            people.append(RosterPerson(name=name, id_number=id_number, post=post, kind=kind, row=record.row))
    if not records and not problems:
        problems.append(Problem(file=file, sheet=sheet, message="名单中没有人员。"))
    if problems:
        raise RosterRejected(problems)
    return people


def _text(record: _Record, name: str, label: str, limit: int, problem: Report) -> str | None:
    text = record.values[name]
    if not text:
        problem(record, name, f"{label}不能为空。")
    elif len(text) > limit:
        problem(record, name, f"{label}过长：不超过 {limit} 个字，现为 {len(text)} 个。")
    elif any(is_control(c) for c in text):
        problem(record, name, f"{label}不能含换行、制表符等控制字符。")
    else:
        return text
    return None


def _id_number(record: _Record, problem: Report, today: date | None) -> str | None:
    # NFKC turns full-width digits (as a Chinese input method types them) into ASCII. parse_id_number
    # would accept any Unicode digit and keep it, so "１4…" and "14…" would be two people, drawn twice.
    text = unicodedata.normalize("NFKC", record.values["id_number"])
    if record.numeric_id or _SCIENTIFIC.fullmatch(text):
        problem(record, "id_number", "身份证号被存成了数字，Excel 已把后几位变成 0：请把这一列设为“文本”格式后"
                                     "重新输入（或在号码前加英文单引号 '）。")
        return None
    if not text:
        problem(record, "id_number", "身份证号不能为空。")
        return None
    if not text.isascii():
        problem(record, "id_number", "身份证号只能由数字和字母X组成。")
        return None
    try:
        return parse_id_number(text, today=today).value
    except InvalidIdNumber as invalid:  # its reasons never quote the number
        problem(record, "id_number", str(invalid))
        return None


def _too_many(file: str, row: int, sheet: str | None = None) -> RosterRejected:
    return RosterRejected([Problem(file=file, sheet=sheet, line=row,
                                   message=f"名单超过 {MAX_PEOPLE} 人（第 {row} 行是第 {MAX_PEOPLE + 1} 人）："
                                           "一次检查抽考的名单请分批录入。")])


# ---- JSON rows typed on the page ------------------------------------------------------------------------

def read_roster(rows: list[dict[str, object]], *, source: str, today: date | None = None) -> list[RosterPerson]:
    """``rows[k]`` is row k + 1; ``source`` names the input in problems (e.g. "手工录入")."""
    if len(rows) > MAX_PEOPLE:
        raise _too_many(source, MAX_PEOPLE + 1)
    names = {f: f for f in JSON_FIELDS}
    problems: list[Problem] = []
    records = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(Problem(file=source, line=number,
                                    message="每一行应为一个对象（姓名、身份证号、岗位、人员类别）。"))
            continue
        record = _Record(row=number, values={f: "" for f in JSON_FIELDS})
        for key, value in row.items():
            if key not in names:
                problems.append(Problem(file=source, line=number, field=shown(str(key)[:40]),
                                        message=f"未知的字段：只能是 {'、'.join(JSON_FIELDS)}。"))
            elif value is not None and not isinstance(value, str):
                problems.append(Problem(file=source, line=number, field=key, message="应为文字。"))
                record.reported.add(key)
            else:
                record.values[key] = (value or "").strip()
        records.append(record)
    return _check(records, file=source, names=names, problems=problems, today=today)


# ---- files ------------------------------------------------------------------------------------------------

def read_roster_file(data: bytes, filename: str, *, today: date | None = None) -> list[RosterPerson]:
    """An uploaded .xlsx (the first worksheet) or .csv (UTF-8 with or without BOM, else GB18030, as
    Excel on a Chinese Windows saves it)."""
    file = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    if len(data) > MAX_FILE_BYTES:
        raise RosterRejected.one(file, f"文件过大（不超过 {MAX_FILE_BYTES // 1024 // 1024} MB）。")
    if suffix == ".csv":
        records, problems = _read_csv(data, file)
        return _check(records, problems=problems, file=file, names=dict(_TITLES), today=today)
    if suffix == ".xlsx":
        records, problems, sheet = _read_xlsx(data, file)
        return _check(records, problems=problems, file=file, names=dict(_TITLES), sheet=sheet, today=today)
    raise RosterRejected.one(file, "不支持的文件类型：只接受 .xlsx 或 .csv（可先下载模板）。")


def _records(rows: Iterator[tuple[int, list[Any], set[int]]], file: str, sheet: str | None,
             problems: list[Problem]) -> list[_Record]:
    """Rows (number, cells, columns already reported) → records; the first row with content is the header."""
    columns: dict[int, str] | None = None
    absent: set[str] = set()  # required columns the header lacks: named there, not again on every row
    records: list[_Record] = []
    for number, cells, reported in rows:
        if number > MAX_SHEET_ROWS:
            raise RosterRejected([Problem(file=file, sheet=sheet, line=number,
                                          message=f"表格超过 {MAX_SHEET_ROWS} 行，请删除多余的空行。")])
        if all(c is None or str(c).strip() == "" for c in cells) and not reported:
            continue
        if columns is None:
            header = _header(number, [str(c).strip() if c is not None else "" for c in cells], file, sheet,
                             problems)
            if header is None:
                return []  # not a header: its rows would each repeat that
            columns = header
            absent = {f for title, f in COLUMNS.items() if title in REQUIRED and f not in header.values()}
            continue
        record = _Record(row=number, values={f: "" for f in COLUMNS.values()}, reported=set(absent))
        for index, value in enumerate(cells):
            name = columns.get(index)
            if name is None:
                continue
            if index in reported:
                record.reported.add(name)
            if name == "id_number" and isinstance(value, int | float) and not isinstance(value, bool):
                record.numeric_id = True
            record.values[name] = "" if value is None else str(value).strip()
        if len(records) == MAX_PEOPLE:
            raise _too_many(file, number, sheet)
        records.append(record)
    if columns is None:
        problems.append(Problem(file=file, sheet=sheet,
                                message="文件是空的：第一行应为表头（姓名、身份证号、岗位、人员类别）。"))
    return records


def _header(number: int, titles: list[str], file: str, sheet: str | None,
            problems: list[Problem]) -> dict[int, str] | None:
    if not any(t in COLUMNS for t in titles) or any(_ID_LIKE.fullmatch(t) for t in titles):
        # Most likely a list without its header: the row is a person and is not repeated in a message.
        problems.append(Problem(file=file, sheet=sheet, line=number,
                                message=f"第{number}行应为表头：{'、'.join(COLUMNS)}（人员类别可省略）。请使用模板，"
                                        "或在人员之前加上表头行。"))
        return None
    found: list[Problem] = []
    missing: Missing = set()
    columns = header_columns(titles, COLUMNS, required=REQUIRED, file=file, sheet=sheet or "", problems=found,
                             missing=missing)
    problems += [replace(p, line=number, sheet=sheet) for p in found]
    return columns


def _read_csv(data: bytes, file: str) -> tuple[list[_Record], list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise RosterRejected.one(file, "无法识别文件的编码：请用 UTF-8（或 GBK）另存为 CSV。") from None
    problems: list[Problem] = []

    def rows() -> Iterator[tuple[int, list[Any], set[int]]]:
        number = 0
        try:
            for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), start=1):
                yield number, row, set()
        except csv.Error:
            raise RosterRejected.one(file, "CSV 格式有误（如引号不成对），无法读取。",
                                     line=number + 1) from None

    return _records(rows(), file, None, problems), problems


def _read_xlsx(data: bytes, file: str) -> tuple[list[_Record], list[Problem], str]:
    workbook = open_workbook(data, file, rejected=RosterRejected, max_bytes=MAX_FILE_BYTES,
                             max_unpacked_bytes=MAX_UNPACKED_BYTES)
    try:
        if not workbook.worksheets:
            raise RosterRejected.one(file, "文件中没有工作表。")
        sheet = workbook.worksheets[0].title
        problems: list[Problem] = []
        header: list[str] = []

        def rows() -> Iterator[tuple[int, list[Any], set[int]]]:
            nonlocal header
            for row in read_rows(workbook, file, sheet, problems):
                if not any(header):
                    header = header_of(row)
                problems.extend(_sheet_row_problems(row, file, sheet, header))
                yield row.number, list(row.values), set(row.formulas)

        records = _records(rows(), file, sheet, problems)
        problems += _other_sheets(workbook, file)
        return records, problems, sheet
    finally:
        workbook.close()


def _sheet_row_problems(row: SheetRow, file: str, sheet: str, header: list[str]) -> list[Problem]:
    """Hidden rows and columns (their people would be drawn unseen) as every workbook import names them,
    and formulas (read as nothing) in this import's own words."""
    problems = row_problems(replace(row, formulas=frozenset()), file=file, sheet=sheet, header=header)
    for column in sorted(row.formulas):
        name = header[column] if column < len(header) and header[column] else column_letter(column)
        problems.append(Problem(file=file, sheet=sheet, line=row.number, field=name,
                                message="这个单元格是公式：名单只收文字。请改为文字（在开头加英文单引号 '）。"))
    return problems


def _other_sheets(workbook: Any, file: str) -> list[Problem]:
    """A second sheet with content is refused, not ignored: its people would silently miss the draw."""
    problems: list[Problem] = []
    for ws in workbook.worksheets[1:]:
        if any(not row.is_blank() for row in read_rows(workbook, file, ws.title, problems)):
            problems.append(Problem(file=file, sheet=ws.title,
                                    message="名单只读取第一个工作表，这个工作表也有内容：请把人员移到第一个工作表，"
                                            "或删除这个工作表。"))
    return problems


# ---- the template -----------------------------------------------------------------------------------------

def template_roster_xlsx() -> bytes:
    """The blank roster the page offers: the header, one example row (refused if uploaded as it is), and
    the 身份证号 column formatted as text so Excel keeps all 18 characters."""
    from openpyxl import Workbook  # here: importing openpyxl costs every CLI command otherwise

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = SHEET
    ws.append(list(COLUMNS))
    ws.append(list(EXAMPLE_ROW))
    for letter, width in zip("ABCD", (30, 24, 16, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.column_dimensions["B"].number_format = "@"
    ws["B2"].number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
