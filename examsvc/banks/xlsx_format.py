"""Bank workbooks laid out the way bank staff work: one row per question.

Sheets: ``试题`` (required; 题目编号, 题型, 题干, 选项A … 选项H, 答案, 解析, 知识点, 认知层次, 难度, 法规依据),
``题库信息`` (字段 | 值) and ``知识点`` (编号 | 名称). Export writes the same layout, so an exported
workbook imports back to the same digest, with text that looks like a formula written as text.

The reader locates values and names what only a workbook can get wrong (other sheets, hidden rows
and columns, formulas, unknown or missing columns: ``examsvc.xlsx_container``); every rule on the
values lives in ``validate``. All of it is reported at once (docs/bank-format.md).
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
    PERSON_KIND_LABELS,
    PURPOSE_LABELS,
    TYPE_LABELS,
    BankDocument,
    BankMeta,
    Industry,
    KnowledgePointData,
    Level,
    Part,
    PersonnelCategory,
    Purpose,
    QuestionData,
    QuestionType,
)
from examsvc.banks.problems import BankImportRejected, ImportRejected, Problem
from examsvc.banks.validate import MAX_KNOWLEDGE_POINTS, MAX_QUESTIONS, RawBank, RawRecord, build_document
from examsvc.xlsx_container import (
    Missing,
    check_container,
    column_letter,
    header_columns,
    header_of,
    open_workbook,
    read_rows,
    row_problems,
    sheet_problems,
    text_row,
    validated,
)

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
    "题库编号": "code", "题库名称": "title", "省份": "province", "部分": "part", "用途": "purpose",
    "人员类别": "personnel_category", "适用人员": "person_kinds",
    "行业": "industry", "操作项目": "operation_item", "目录版本": "catalogue_version", "版本": "version",
    "生效日期": "effective_date",
}
KP_COLUMNS = {"编号": "code", "名称": "title"}
# How the workbook names each field in messages: the column header or the 题库信息 label; the
# knowledge point table's own columns under "knowledge_points." (its 编号 is not the bank's 题库编号).
FIELD_NAMES = {**{v: k for k, v in QUESTION_COLUMNS.items()}, **{v: k for k, v in META_ROWS.items()},
               "options": "选项", **{f"knowledge_points.{v}": k for k, v in KP_COLUMNS.items()}}
_TRUE_FALSE_WORDS = {True: "正确", False: "错误"}


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _check_container(data: bytes, file: str) -> None:
    check_container(data, file, rejected=BankImportRejected, max_bytes=MAX_FILE_BYTES,
                    max_unpacked_bytes=MAX_UNPACKED_BYTES)


def open_bank_workbook(data: bytes, file: str, rejected: type[ImportRejected] = BankImportRejected) -> Any:
    return open_workbook(data, file, rejected=rejected, max_bytes=MAX_FILE_BYTES,
                         max_unpacked_bytes=MAX_UNPACKED_BYTES)


def parse_xlsx(data: bytes, file: str) -> BankDocument:
    """Reads and validates a bank workbook; ``BankImportRejected`` lists every problem of the file."""
    raw, missing = _read_xlsx(data, file)
    return validated(lambda: build_document(raw), reader_problems=raw.problems, missing=missing,
                     rejected=BankImportRejected)


def _read_meta(workbook: Any, file: str, problems: list[Problem]) -> RawRecord:
    meta = RawRecord(line=None)
    for row in read_rows(workbook, file, META_SHEET, problems):
        label = str(row.values[0]).strip() if row.values and row.values[0] is not None else ""
        problems.extend(row_problems(row, file=file, sheet=META_SHEET, header=["字段", label or "值"]))
        if row.number == 1 or row.is_blank():
            continue  # the header: 字段 | 值
        if not label:
            problems.append(Problem(file=file, sheet=META_SHEET, line=row.number, field="字段",
                                    message="这一行有值却没有字段名。"))
            continue
        name = META_ROWS.get(label)
        if name is None:
            problems.append(Problem(file=file, sheet=META_SHEET, line=row.number, field=label,
                                    message=f"未知的题库信息字段“{label}”。"))
            continue
        meta.values[name] = _cell(row.values[1] if len(row.values) > 1 else None)
        meta.lines[name] = row.number
    return meta


def _read_points(workbook: Any, file: str, problems: list[Problem]) -> list[RawRecord]:
    points: list[RawRecord] = []
    header: list[str] = []
    for row in read_rows(workbook, file, KP_SHEET, problems):
        if row.number == 1:
            header = header_of(row)
            problems.extend(row_problems(row, file=file, sheet=KP_SHEET, header=header))
            if header[:2] != list(KP_COLUMNS):
                problems.append(Problem(file=file, sheet=KP_SHEET, line=1, message="表头应为：编号、名称。"))
            for title in header[2:]:
                if title:
                    problems.append(Problem(file=file, sheet=KP_SHEET, line=1, field=title,
                                            message=f"未知的列“{title}”：知识点表只有“编号”“名称”两列。"))
            continue
        if row.number - 1 > MAX_KNOWLEDGE_POINTS + 1:
            break
        if row.is_blank():
            continue
        problems.extend(row_problems(row, file=file, sheet=KP_SHEET, header=list(KP_COLUMNS)))
        values = row.values
        points.append(RawRecord(line=row.number, values={"code": _cell(values[0] if values else None),
                                                         "title": _cell(values[1] if len(values) > 1 else None)}))
    return points


def _read_questions(workbook: Any, file: str,
                    problems: list[Problem], missing: Missing) -> list[RawRecord]:
    questions: list[RawRecord] = []
    header: list[str] = []
    columns: dict[int, str] | None = None
    headerless: set[int] = set()
    for row in read_rows(workbook, file, QUESTIONS_SHEET, problems):
        if row.number == 1:
            header = header_of(row)
            problems.extend(row_problems(row, file=file, sheet=QUESTIONS_SHEET, header=header))
            continue
        if columns is None:
            columns = _question_columns(header, file, problems, missing)
        if row.number - 1 > MAX_QUESTIONS + 1:
            problems.append(Problem(file=file, sheet=QUESTIONS_SHEET, line=row.number,
                                    message=f"试题超过 {MAX_QUESTIONS} 道，请拆分题库。"))
            break
        if row.is_blank():
            continue
        problems.extend(row_problems(row, file=file, sheet=QUESTIONS_SHEET, header=header))
        record = RawRecord(line=row.number)
        options: dict[str, Any] = {}
        for index, value in enumerate(row.values):
            value = _cell(value)
            if value in (None, ""):
                continue
            name = columns.get(index)
            if name is None:
                # Content under no header would be dropped without a word; when a required column is
                # missing, that is most likely its content, and the missing column is already named.
                if (index >= len(header) or not header[index]) and index not in headerless and not any(
                        sheet == QUESTIONS_SHEET for sheet, _ in missing):
                    headerless.add(index)
                    problems.append(Problem(file=file, sheet=QUESTIONS_SHEET, line=row.number,
                                            field=column_letter(index),
                                            message="这一列没有表头，其中的内容不会导入：请填写表头或删除内容。"))
            elif name.startswith("options."):
                options[name.removeprefix("options.")] = value
            else:
                record.values[name] = value
        if options:
            record.values["options"] = options
        questions.append(record)
    if columns is None and QUESTIONS_SHEET in workbook.sheetnames:  # a header and no question at all
        _question_columns(header, file, problems, missing)
    return questions


def _question_columns(header: list[str], file: str, problems: list[Problem], missing: Missing) -> dict[int, str]:
    return header_columns(header, QUESTION_COLUMNS, required=REQUIRED_QUESTION_COLUMNS, file=file,
                          sheet=QUESTIONS_SHEET, problems=problems, missing=missing)


def _read_xlsx(data: bytes, file: str) -> tuple[RawBank, Missing]:
    workbook = open_bank_workbook(data, file)
    missing: Missing = set()
    try:
        problems = sheet_problems(workbook, file, (QUESTIONS_SHEET, META_SHEET, KP_SHEET), missing)
        meta = _read_meta(workbook, file, problems)
        points = _read_points(workbook, file, problems)
        questions = _read_questions(workbook, file, problems, missing)
    finally:
        workbook.close()
    sheets = {"meta": META_SHEET, "knowledge_points": KP_SHEET, "questions": QUESTIONS_SHEET}
    return RawBank(file=file, meta=meta, knowledge_points=points, questions=questions,
                   field_names=FIELD_NAMES, sheets=sheets, problems=problems), missing


def _meta_rows(meta: BankMeta) -> list[tuple[str, str]]:
    # 用途 and 适用人员 (examsvc-bank/2) only for an awareness bank: a qualification workbook keeps its rows.
    purpose = [("用途", PURPOSE_LABELS[meta.purpose]),
               ("适用人员", "、".join(PERSON_KIND_LABELS[k] for k in meta.person_kinds))] \
        if meta.purpose == Purpose.AWARENESS else []
    category = CATEGORY_LABELS[meta.personnel_category] if meta.personnel_category is not None else ""
    return [
        ("题库编号", meta.code), ("题库名称", meta.title), ("省份", meta.province), ("部分", PART_LABELS[meta.part]),
        *purpose, ("人员类别", category), ("行业", INDUSTRY_LABELS[meta.industry]),
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
        questions.append(text_row(questions, _question_row(q)))
    meta = workbook.create_sheet(META_SHEET)
    meta.append(["字段", "值"])
    for row in _meta_rows(document.meta):
        meta.append(text_row(meta, row))
    points = workbook.create_sheet(KP_SHEET)
    points.append(list(KP_COLUMNS))
    for kp in document.knowledge_points:
        points.append(text_row(points, [kp.code, kp.title]))
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
