"""Candidate lists as training institutions send them: CSV (UTF-8) or xlsx, one row per candidate.

Columns: 姓名, 身份证号 (required); 培训机构, 工作单位, 照片摘要 (the SHA-256 of the photo), 人员类别
(optional; if given it must be the sitting's).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from openpyxl import load_workbook

from examsvc.banks.problems import ImportRejected, Problem
from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number

COLUMNS = {"姓名": "name", "身份证号": "id_number", "培训机构": "training_institution", "工作单位": "employer",
           "照片摘要": "photo_digest", "人员类别": "personnel_category"}
REQUIRED = ("姓名", "身份证号")
MAX_ROWS = 5_000
MAX_BYTES = 10 * 1024 * 1024
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


def _rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    suffix = PurePath(filename).suffix.lower()
    if len(data) > MAX_BYTES:
        raise RegistrationRejected.one(filename, "文件过大（不超过 10 MB）。")
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RegistrationRejected.one(filename, "文件不是 UTF-8 编码（请用 UTF-8 另存为 CSV）。",
                                           line=data[: exc.start].count(b"\n") + 1) from None
        return [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    if suffix == ".xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise RegistrationRejected.one(filename, "不是 .xlsx 文件。")
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        return [(n, ["" if v is None else str(v).strip() for v in row])
                for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    raise RegistrationRejected.one(filename, "不支持的文件类型：只接受 .csv 或 .xlsx。")


def read_candidates(data: bytes, filename: str, *, today: date) -> tuple[list[CandidateRow], list[Problem]]:
    """The good rows and the problems of the bad ones (row and column each); a file whose header or
    type is wrong raises ``RegistrationRejected`` at once."""
    name = PurePath(filename).name
    rows = [(n, r) for n, r in _rows(data, name) if any(r)]
    if not rows:
        raise RegistrationRejected.one(name, "文件为空。")
    header_line, header = rows[0]
    problems = [Problem(file=name, line=header_line, field=h, message=f"未知的列“{h}”。")
                for h in header if h and h not in COLUMNS]
    problems += [Problem(file=name, line=header_line, field=h, message=f"缺少必需的列“{h}”。")
                 for h in REQUIRED if h not in header]
    if len(rows) - 1 > MAX_ROWS:
        problems.append(Problem(file=name, message=f"考生超过 {MAX_ROWS} 人，请拆分名单。"))
    if problems:
        raise RegistrationRejected(problems)
    index = {COLUMNS[h]: i for i, h in enumerate(header) if h in COLUMNS}
    out: list[CandidateRow] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        def cell(field: str, row: list[str] = row) -> str:
            i = index.get(field)
            return row[i] if i is not None and i < len(row) else ""

        person = cell("name")
        if not person or len(person) > 50:
            problems.append(Problem(file=name, line=line, field="姓名", message="姓名不能为空，且不超过 50 字。"))
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
