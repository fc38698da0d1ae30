"""Bank workbooks laid out the way bank staff work: one row per question.

Sheets: ``试题`` (required; 题目编号, 题型, 题干, 选项A … 选项H, 答案, 解析, 知识点, 认知层次, 难度, 法规依据),
``题库信息`` (字段 | 值) and ``知识点`` (编号 | 名称). Export writes the same layout, so an exported
workbook imports back to the same digest.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from examsvc.banks.document import (
    CATEGORY_LABELS,
    INDUSTRY_LABELS,
    OPTION_LABELS,
    PART_LABELS,
    TYPE_LABELS,
    BankDocument,
    BankMeta,
    Industry,
    KnowledgePointData,
    Level,
    Part,
    PersonnelCategory,
    QuestionData,
    QuestionType,
)
from examsvc.banks.problems import BankImportRejected, Problem
from examsvc.banks.validate import MAX_KNOWLEDGE_POINTS, MAX_QUESTIONS, RawBank, RawRecord
from examsvc.xlsx_container import check_container, open_workbook

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # a zip bomb stops here

QUESTIONS_SHEET = "试题"
META_SHEET = "题库信息"
KP_SHEET = "知识点"

QUESTION_COLUMNS: dict[str, str] = {
    "题目编号": "key", "题型": "type", "题干": "stem",
    **{f"选项{label}": f"options.{label}" for label in OPTION_LABELS},
    "答案": "answer", "解析": "explanation", "知识点": "knowledge_point", "认知层次": "level", "难度": "difficulty",
    "法规依据": "legal_basis",
}
REQUIRED_QUESTION_COLUMNS = ("题目编号", "题型", "题干", "答案", "解析", "知识点", "认知层次", "难度")
META_ROWS: dict[str, str] = {
    "题库编号": "code", "题库名称": "title", "省份": "province", "部分": "part", "人员类别": "personnel_category",
    "行业": "industry", "操作项目": "operation_item", "目录版本": "catalogue_version", "版本": "version",
    "生效日期": "effective_date",
}
KP_COLUMNS = {"编号": "code", "名称": "title"}
FIELD_NAMES = {**{v: k for k, v in QUESTION_COLUMNS.items()}, **{v: k for k, v in META_ROWS.items()}}
_TRUE_FALSE_WORDS = {True: "正确", False: "错误"}


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _header(ws: Any) -> list[str]:
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    return [str(v).strip() if v is not None else "" for v in first]


def _check_container(data: bytes, file: str) -> None:
    check_container(data, file, rejected=BankImportRejected, max_bytes=MAX_FILE_BYTES,
                    max_unpacked_bytes=MAX_UNPACKED_BYTES)


def read_xlsx(data: bytes, file: str) -> RawBank:
    workbook = open_workbook(data, file, rejected=BankImportRejected, max_bytes=MAX_FILE_BYTES,
                             max_unpacked_bytes=MAX_UNPACKED_BYTES)
    problems: list[Problem] = []
    for sheet in (QUESTIONS_SHEET, META_SHEET, KP_SHEET):
        if sheet not in workbook.sheetnames:
            problems.append(Problem(file=file, sheet=sheet, message=f"缺少工作表“{sheet}”。"))
    if problems:
        raise BankImportRejected(problems)

    meta = RawRecord(line=None)
    for row_number, row in enumerate(workbook[META_SHEET].iter_rows(min_row=2, values_only=True), start=2):
        if not row or row[0] is None:
            continue
        label = str(row[0]).strip()
        name = META_ROWS.get(label)
        if name is None:
            problems.append(Problem(file=file, sheet=META_SHEET, line=row_number, field=label,
                                    message=f"未知的题库信息字段“{label}”。"))
            continue
        meta.values[name] = _cell(row[1] if len(row) > 1 else None)
        meta.lines[name] = row_number

    points: list[RawRecord] = []
    kp_sheet = workbook[KP_SHEET]
    kp_header = _header(kp_sheet)
    if kp_header[:2] != list(KP_COLUMNS):
        problems.append(Problem(file=file, sheet=KP_SHEET, line=1, message="表头应为：编号、名称。"))
    else:
        for row_number, row in enumerate(kp_sheet.iter_rows(min_row=2, values_only=True), start=2):
            if row_number - 1 > MAX_KNOWLEDGE_POINTS + 1:
                break
            if all(v is None for v in row):
                continue
            points.append(RawRecord(line=row_number, values={"code": _cell(row[0]),
                                                             "title": _cell(row[1] if len(row) > 1 else None)}))

    questions: list[RawRecord] = []
    sheet = workbook[QUESTIONS_SHEET]
    header = _header(sheet)
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        if not title:
            continue
        if title not in QUESTION_COLUMNS:
            problems.append(Problem(file=file, sheet=QUESTIONS_SHEET, line=1, field=title,
                                    message=f"未知的列“{title}”。"))
        elif QUESTION_COLUMNS[title] in columns.values():
            problems.append(Problem(file=file, sheet=QUESTIONS_SHEET, line=1, field=title,
                                    message=f"列“{title}”重复。"))
        else:
            columns[index] = QUESTION_COLUMNS[title]
    for required in REQUIRED_QUESTION_COLUMNS:
        if required not in header:
            problems.append(Problem(file=file, sheet=QUESTIONS_SHEET, line=1, field=required,
                                    message=f"缺少必需的列“{required}”。"))
    if problems:
        raise BankImportRejected(problems)
    for row_number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if row_number - 1 > MAX_QUESTIONS + 1:
            raise BankImportRejected.one(file, f"试题超过 {MAX_QUESTIONS} 道，请拆分题库。", sheet=QUESTIONS_SHEET)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        record = RawRecord(line=row_number)
        options: dict[str, Any] = {}
        for index, name in columns.items():
            value = _cell(row[index]) if index < len(row) else None
            if name.startswith("options."):
                if value not in (None, ""):
                    options[name.removeprefix("options.")] = value
            elif value not in (None, ""):
                record.values[name] = value
        if options:
            record.values["options"] = options
        questions.append(record)
    workbook.close()
    sheets = {"meta": META_SHEET, "knowledge_points": KP_SHEET, "questions": QUESTIONS_SHEET}
    return RawBank(file=file, meta=meta, knowledge_points=points, questions=questions,
                   field_names=FIELD_NAMES, sheets=sheets, problems=problems)


def _meta_rows(meta: BankMeta) -> list[tuple[str, str]]:
    return [
        ("题库编号", meta.code), ("题库名称", meta.title), ("省份", meta.province), ("部分", PART_LABELS[meta.part]),
        ("人员类别", CATEGORY_LABELS[meta.personnel_category]), ("行业", INDUSTRY_LABELS[meta.industry]),
        ("操作项目", meta.operation_item or ""), ("目录版本", meta.catalogue_version or ""), ("版本", meta.version),
        ("生效日期", meta.effective_date.isoformat()),
    ]


def _question_row(q: QuestionData) -> list[Any]:
    options = dict(q.options)
    answer = _TRUE_FALSE_WORDS[q.answer] if isinstance(q.answer, bool) else q.answer
    return [q.key, TYPE_LABELS[q.type], q.stem, *[options.get(label, "") for label in OPTION_LABELS], answer,
            q.explanation, q.knowledge_point, str(q.level), q.difficulty, q.legal_basis or ""]


def write_xlsx(document: BankDocument) -> bytes:
    from openpyxl import Workbook  # here: importing openpyxl costs every CLI command otherwise

    workbook = Workbook(write_only=True)
    questions = workbook.create_sheet(QUESTIONS_SHEET)
    questions.append(list(QUESTION_COLUMNS))
    for q in sorted(document.questions, key=lambda q: q.key):
        questions.append(_question_row(q))
    meta = workbook.create_sheet(META_SHEET)
    meta.append(["字段", "值"])
    for row in _meta_rows(document.meta):
        meta.append(list(row))
    points = workbook.create_sheet(KP_SHEET)
    points.append(list(KP_COLUMNS))
    for kp in document.knowledge_points:
        points.append([kp.code, kp.title])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_document() -> BankDocument:
    """The example that ``examsvc banks template`` writes: one filled row to copy."""
    meta = BankMeta(code="SX-EXAMPLE", title="示例题库（地方部分）", province="山西省", part=Part.PROVINCIAL,
                    personnel_category=PersonnelCategory.SPECIAL_OPERATIONS, industry=Industry.GENERAL,
                    version="2026.1", effective_date=date(2026, 6, 1), operation_item="1.2",
                    catalogue_version="特种作业目录（原国家安全监管总局令第30号附件）")
    point = KnowledgePointData(code="1.1", title="安全生产法律法规")
    question = QuestionData(
        key="EX-0001", type=QuestionType.SINGLE_CHOICE,
        stem="特种作业操作证有效期为（　　）年。",
        options=(("A", "3"), ("B", "6"), ("C", "10"), ("D", "12")), answer="B",
        explanation="《特种作业人员安全技术培训考核管理规定》规定，特种作业操作证有效期为6年，在全国范围内有效。",
        knowledge_point="1.1", level=Level.MASTER, difficulty=1,
        legal_basis="《特种作业人员安全技术培训考核管理规定》",
    )
    return BankDocument(meta=meta, knowledge_points=(point,), questions=(question,))
