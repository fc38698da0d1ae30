"""Candidate lists as training institutions send them: CSV (UTF-8) or xlsx, one row per candidate.

Columns: 姓名, 身份证号 (required); 培训机构, 工作单位, 照片摘要 (the SHA-256 of the photo), 人员类别
(optional; if given it must be the sitting's).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from examsvc.banks.problems import ImportRejected, Problem
from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number
from examsvc.text import is_control
from examsvc.xlsx_container import open_workbook

COLUMNS = {"姓名": "name", "身份证号": "id_number", "培训机构": "training_institution", "工作单位": "employer",
           "照片摘要": "photo_digest", "人员类别": "personnel_category"}
REQUIRED = ("姓名", "身份证号")
MAX_ROWS = 5_000
# Rows read at all, blank or not: a sheet of a million styled empty rows is refused here.
MAX_SHEET_ROWS = 4 * MAX_ROWS
MAX_COLUMNS = 64
MAX_BYTES = 10 * 1024 * 1024
# A list of 5,000 candidates unpacks to a few MB; a workbook that unpacks to more is not a list.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class RegistrationRejected(ImportRejected):
    code = "registration_rejected"
    what = "考生名单"


@dataclass(frozen=True)
class CandidateRow:
    line: int
    name: str
    id_number: str
    birth_date: date
    training_institution: str | None
    employer: str | None
    photo_digest: str | None
    personnel_category: str | None  # as the list says it (checked against the sitting's rule)


@dataclass(frozen=True)
class CandidateSheet:
    """A list read and cut to size, not yet checked row by row (that needs the sitting's day)."""

    file: str
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line as the program shows it, cells), blank lines left out


def _csv_rows(data: bytes, file: str) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistrationRejected.one(file, "文件不是 UTF-8 编码（请用 UTF-8 另存为 CSV）。",
                                       line=data[: exc.start].count(b"\n") + 1) from None
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield n, [c.strip() for c in row]


def _xlsx_rows(data: bytes, file: str) -> Iterator[tuple[int, list[str]]]:
    workbook = open_workbook(data, file, rejected=RegistrationRejected, max_bytes=MAX_BYTES,
                             max_unpacked_bytes=MAX_UNPACKED_BYTES)
    try:
        if not workbook.worksheets:
            raise RegistrationRejected.one(file, "文件中没有工作表。")
        # max_col: a sheet may declare a width of 16,384 columns, and read-only rows are padded to it.
        for n, row in enumerate(workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            cells = ["" if v is None else str(v).strip() for v in row]
            while cells and not cells[-1]:  # iter_rows pads every row to max_col
                cells.pop()
            yield n, cells
    finally:
        workbook.close()


def read_sheet(data: bytes, filename: str) -> CandidateSheet:
    """Reads the list as a stream and stops at the first row past the limits (a file of millions of
    rows is refused after reading a few thousand). Needs no database: the register endpoint calls it
    before its transaction takes any lock."""
    file = PurePath(filename).name
    suffix = PurePath(filename).suffix.lower()
    if len(data) > MAX_BYTES:
        raise RegistrationRejected.one(file, f"文件过大（不超过 {MAX_BYTES // 1024 // 1024} MB）。")
    if suffix == ".csv":
        stream = _csv_rows(data, file)
    elif suffix == ".xlsx":
        stream = _xlsx_rows(data, file)
    else:
        raise RegistrationRejected.one(file, "不支持的文件类型：只接受 .csv 或 .xlsx。")
    rows: list[tuple[int, list[str]]] = []
    for line, row in stream:
        if line > MAX_SHEET_ROWS:
            raise RegistrationRejected.one(file, f"表格超过 {MAX_SHEET_ROWS} 行（读到第 {line} 行），"
                                                 "请删除多余的空行或拆分名单。", line=line)
        if not any(row):
            continue
        rows.append((line, row))
        if len(rows) > MAX_ROWS + 1:  # the header and MAX_ROWS candidates
            raise RegistrationRejected.one(file, f"考生超过 {MAX_ROWS} 人（第 {line} 行是第 {MAX_ROWS + 1} 位考生），"
                                                 "请拆分名单。", line=line)
    if not rows:
        raise RegistrationRejected.one(file, "文件为空。")
    (header_line, header), body = rows[0], rows[1:]
    problems = [Problem(file=file, line=header_line, field=h, message=f"未知的列“{h}”。")
                for h in header if h and h not in COLUMNS]
    problems += [Problem(file=file, line=header_line, field=h, message=f"缺少必需的列“{h}”。")
                 for h in REQUIRED if h not in header]
    if problems:
        raise RegistrationRejected(problems)
    return CandidateSheet(file=file, header_line=header_line, header=header, rows=body)


def read_candidates(sheet: CandidateSheet, *, today: date) -> tuple[list[CandidateRow], list[Problem]]:
    """The good rows and the problems of the bad ones (row and column each)."""
    name, header = sheet.file, sheet.header
    problems: list[Problem] = []
    index = {COLUMNS[h]: i for i, h in enumerate(header) if h in COLUMNS}
    out: list[CandidateRow] = []
    seen: dict[str, int] = {}
    for line, row in sheet.rows:
        def cell(field: str, row: list[str] = row) -> str:
            i = index.get(field)
            return row[i] if i is not None and i < len(row) else ""

        person = cell("name")
        if not person or len(person) > 50 or any(is_control(c) for c in person):
            problems.append(Problem(file=name, line=line, field="姓名",
                                    message="姓名不能为空，不超过 50 字，且不能含换行等控制字符。"))
        try:
            parsed = parse_id_number(cell("id_number"), today=today)
        except InvalidIdNumber as exc:
            problems.append(Problem(file=name, line=line, field="身份证号", message=str(exc)))
            continue
        if parsed.value in seen:
            problems.append(Problem(file=name, line=line, field="身份证号",
                                    message=f"身份证号与第{seen[parsed.value]}行重复。"))
            continue
        seen[parsed.value] = line
        digest = cell("photo_digest").lower() or None
        if digest is not None and not _DIGEST.match(digest):
            problems.append(Problem(file=name, line=line, field="照片摘要",
                                    message="照片摘要应为64位十六进制SHA-256。"))
        out.append(CandidateRow(line=line, name=person, id_number=parsed.value, birth_date=parsed.birth_date,
                                training_institution=cell("training_institution") or None,
                                employer=cell("employer") or None, photo_digest=digest,
                                personnel_category=cell("personnel_category") or None))
    return out, problems
