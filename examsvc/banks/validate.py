"""From records read out of a YAML file or an Excel workbook to a ``BankDocument``, or all problems.

Readers (``yaml_format``, ``xlsx_format``) only locate values; every rule lives here, so both
formats refuse exactly the same things with the same words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from examsvc.banks import spellings
from examsvc.banks.document import (
    CATEGORY_LABELS,
    FORMAT,
    FORMAT_2,
    INDUSTRY_LABELS,
    OPTION_LABELS,
    PART_LABELS,
    PERSON_KIND_LABELS,
    PURPOSE_LABELS,
    BankDocument,
    BankMeta,
    Industry,
    KnowledgePointData,
    Part,
    PersonKind,
    PersonnelCategory,
    Purpose,
    QuestionData,
    QuestionType,
    normalize_text,
)
from examsvc.banks.problems import BankImportRejected, Problem, Severity

MAX_QUESTIONS = 50_000
KEY_PLACE = "key:"  # BankDocument.places: "key:Q-1" is where question Q-1's key was written
MAX_KNOWLEDGE_POINTS = 2_000
MAX_LENGTH = {"stem": 2000, "option": 500, "explanation": 4000, "legal_basis": 500, "title": 200}

BANK_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
QUESTION_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
KNOWLEDGE_POINT = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){0,5}$")
OPERATION_ITEM = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,2})?$")

META_FIELDS = ("code", "title", "province", "part", "purpose", "personnel_category", "person_kinds", "industry",
               "operation_item", "catalogue_version", "version", "effective_date")
FORMAT_2_FIELDS = ("purpose", "person_kinds")  # examsvc-bank/2 only
# A workbook cell lists person kinds as "主要负责人、班组长" (or with commas, semicolons, spaces).
_LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")
QUESTION_FIELDS = ("key", "type", "stem", "options", "answer", "explanation", "knowledge_point", "level",
                   "difficulty", "legal_basis")


@dataclass
class RawRecord:
    """Values as read, with where each came from (a YAML line or an Excel row)."""

    line: int | None
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    # Fields whose problem the reader already reported (e.g. an unquoted 3.10): no follow-on "empty".
    refused: set[str] = field(default_factory=set)

    def line_of(self, name: str) -> int | None:
        return self.lines.get(name, self.line)


@dataclass
class RawBank:
    file: str
    meta: RawRecord
    knowledge_points: list[RawRecord]
    questions: list[RawRecord]
    # How the file names a field (YAML: the field; Excel: the column header), for messages.
    field_names: dict[str, str] = field(default_factory=dict)
    # The sheet of each section in a workbook: "meta", "knowledge_points", "questions".
    sheets: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # YAML: the line of each section ("knowledge_points", "questions"), for problems about a whole list.
    section_lines: dict[str, int] = field(default_factory=dict)
    # The format the file declares (YAML ``format:``); None: a workbook, which has no marker and may
    # use the /2 fields.
    format: str | None = None


class _Collector:
    def __init__(self, raw: RawBank) -> None:
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)

    def add(self, section: str, record: RawRecord | None, name: str | None, message: str, *,
            key: str | None = None, severity: Severity = Severity.ERROR) -> None:
        if record is not None and name is not None and name in record.refused:
            return
        shown = None
        if name is not None:  # a section's own name for a field first (知识点 "编号" is not 题库编号)
            shown = self.raw.field_names.get(f"{section}.{name}", self.raw.field_names.get(name, name))
        line = record.line_of(name) if record is not None and name is not None else (record.line if record else None)
        self.problems.append(Problem(file=self.raw.file, message=message, line=line, field=shown, key=key,
                                     sheet=self.raw.sheets.get(section), severity=severity))

    def whole(self, section: str, message: str) -> None:
        """A problem with a whole list: YAML names the list's line and field, a workbook its sheet."""
        line = self.raw.section_lines.get(section)
        self.problems.append(Problem(file=self.raw.file, message=message, line=line,
                                     field=section if line is not None else None, sheet=self.raw.sheets.get(section)))

    def reported(self, section: str) -> bool:
        """Whether the reader already named this whole list (missing, not a list)."""
        return any(p.field == section and p.key is None for p in self.raw.problems)

    def place(self, section: str, record: RawRecord, name: str, key: str | None = None) -> Problem:
        """Where a value came from, for problems found later (across files, against stored versions)."""
        return Problem(file=self.raw.file, message="", line=record.line_of(name),
                       field=self.raw.field_names.get(name, name), key=key, sheet=self.raw.sheets.get(section))


def _text(value: Any) -> str | None:
    """A text value; numbers typed into Excel cells count as their digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A knowledge point typed as 6.2 into an Excel cell arrives as a number.
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return normalize_text(value)
    return None


def _enum_or_label(value: Any, enum: type[Part] | type[PersonnelCategory] | type[Industry] | type[Purpose]
                   | type[PersonKind], labels: dict[Any, str]) -> Any:
    text = _text(value)
    if text is None:
        return None
    for member in enum:
        if text in (member.value, labels[member]):
            return member
    return None


def _meta(c: _Collector) -> BankMeta | None:
    record = c.raw.meta
    values = record.values
    ok = True

    def required_text(name: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str | None:
        nonlocal ok
        text = _text(values.get(name))
        if not text:
            c.add("meta", record, name, "不能为空。")
            ok = False
            return None
        if pattern is not None and not pattern.match(text):
            c.add("meta", record, name, f"格式不正确：{what}")
            ok = False
            return None
        if len(text) > MAX_LENGTH["title"]:
            c.add("meta", record, name, f"过长（不超过 {MAX_LENGTH['title']} 字）。")
            ok = False
        return text

    code = required_text("code", BANK_CODE, "题库编号只能用大写字母、数字和“-”，2–40 位。")
    title = required_text("title")
    province = required_text("province")
    version = required_text("version", VERSION, "版本号只能用字母、数字和“.”“_”“-”，不超过 40 位。")
    part = _enum_or_label(values.get("part"), Part, PART_LABELS)
    if part is None:
        c.add("meta", record, "part", "应为 national（国家）或 provincial（地方）。")
        ok = False
    purpose, person_kinds, purpose_ok = _purpose(c, record)
    ok = ok and purpose_ok
    category: PersonnelCategory | None = None
    if purpose == Purpose.AWARENESS:
        if _text(values.get("personnel_category")):
            c.add("meta", record, "personnel_category", "应知应会题库不填人员类别：它服务的人员写在适用人员类型"
                                                        "（person_kinds）中，请删除此项。")
            ok = False
    else:
        category = _enum_or_label(values.get("personnel_category"), PersonnelCategory, CATEGORY_LABELS)
        if category is None:
            c.add("meta", record, "personnel_category", "应为 主要负责人、安全生产管理人员 或 特种作业人员。")
            ok = False
    industries = "、".join(INDUSTRY_LABELS.values())
    industry = _enum_or_label(values.get("industry"), Industry, INDUSTRY_LABELS)
    if industry is None:
        if not _text(values.get("industry")):
            what = "应知应会题库" if purpose == Purpose.AWARENESS else "题库"
            c.add("meta", record, "industry", f"缺少行业：{what}必须注明所属行业（{industries}）。")
        else:
            c.add("meta", record, "industry", f"行业不在目录中：{industries}。")
        ok = False
    effective = values.get("effective_date")
    effective_date: date | None = None
    if isinstance(effective, datetime):
        effective_date = effective.date()
    elif isinstance(effective, date):
        effective_date = effective
    elif isinstance(effective, str):
        try:
            effective_date = date.fromisoformat(effective.strip())
        except ValueError:
            effective_date = None
    if effective_date is None:
        c.add("meta", record, "effective_date", "应为日期，格式 YYYY-MM-DD。")
        ok = False
    operation_item = _text(values.get("operation_item")) or None
    catalogue_version = _text(values.get("catalogue_version")) or None
    if category == PersonnelCategory.SPECIAL_OPERATIONS:
        if operation_item is None:
            c.add("meta", record, "operation_item", "特种作业题库必须填写操作项目代码（如 1.2）。")
            ok = False
        if catalogue_version is None:
            c.add("meta", record, "catalogue_version", "特种作业题库必须填写所依据的特种作业目录版本。")
            ok = False
    if operation_item is not None and not OPERATION_ITEM.match(operation_item):
        c.add("meta", record, "operation_item", "操作项目代码格式应如 1.2。")
        ok = False
    if not ok:
        return None
    assert code and title and province and version and effective_date
    return BankMeta(code=code, title=title, province=province, part=part, personnel_category=category,
                    industry=industry, version=version, effective_date=effective_date,
                    operation_item=operation_item, catalogue_version=catalogue_version, purpose=purpose,
                    person_kinds=person_kinds)


def _purpose(c: _Collector, record: RawRecord) -> tuple[Purpose, tuple[PersonKind, ...], bool]:
    """The bank's purpose and the kinds of person it serves (examsvc-bank/2), and whether they are usable."""
    values = record.values
    ok = True
    if c.raw.format == FORMAT:
        for name in FORMAT_2_FIELDS:
            if name in values:
                c.add("meta", record, name, f"此字段需要文件格式 {FORMAT_2}：请把 format 改为 {FORMAT_2}。")
                ok = False
    purpose = Purpose.QUALIFICATION
    if values.get("purpose") not in (None, ""):  # a list or a number is refused, not read as the default
        found = _enum_or_label(values.get("purpose"), Purpose, PURPOSE_LABELS)
        if found is None:
            c.add("meta", record, "purpose", "应为 qualification（考核题库）或 awareness（应知应会）。")
            ok = False
        else:
            purpose = found
    raw = values.get("person_kinds")
    if isinstance(raw, str):
        raw = [part for part in _LIST_SEPARATORS.split(raw) if part]
    if raw in (None, []):
        if purpose == Purpose.AWARENESS:
            c.add("meta", record, "person_kinds", "应知应会题库必须填写适用人员类型（至少一项）："
                                                  + "、".join(PERSON_KIND_LABELS.values()) + "。")
            ok = False
        return purpose, (), ok
    if purpose != Purpose.AWARENESS:
        c.add("meta", record, "person_kinds", "只有应知应会题库（purpose: awareness）填写适用人员类型。")
        return purpose, (), False
    if not isinstance(raw, list):
        c.add("meta", record, "person_kinds", "适用人员类型应写成列表。")
        return purpose, (), False
    kinds: list[PersonKind] = []
    for value in raw:
        kind = _enum_or_label(value, PersonKind, PERSON_KIND_LABELS)
        if kind is None:
            c.add("meta", record, "person_kinds", "适用人员类型不在目录中：" + "、".join(
                f"{k.value}（{label}）" for k, label in PERSON_KIND_LABELS.items()) + "。")
            return purpose, (), False
        if kind in kinds:
            c.add("meta", record, "person_kinds", f"适用人员类型 {PERSON_KIND_LABELS[kind]} 重复。")
            return purpose, (), False
        kinds.append(kind)
    order = list(PersonKind)
    return purpose, tuple(sorted(kinds, key=order.index)), ok


def _knowledge_points(c: _Collector) -> list[KnowledgePointData] | None:
    """The catalogue, or ``None`` when it is unusable as a whole (empty, too long): questions are then
    not checked against it, which would only add one false error per question."""
    points: list[KnowledgePointData] = []
    seen: dict[str, int | None] = {}
    if not c.raw.knowledge_points:
        if not c.reported("knowledge_points"):
            c.whole("knowledge_points", "知识点目录为空：至少需要一个知识点。")
        return None
    if len(c.raw.knowledge_points) > MAX_KNOWLEDGE_POINTS:
        c.whole("knowledge_points", f"知识点有 {len(c.raw.knowledge_points)} 个，超过上限 {MAX_KNOWLEDGE_POINTS} 个。")
        return None
    for record in c.raw.knowledge_points:
        code = _text(record.values.get("code"))
        title = _text(record.values.get("title"))
        if not code or not KNOWLEDGE_POINT.match(code):
            c.add("knowledge_points", record, "code", "知识点编号格式应如 6.2.1.1。")
            continue
        if code in seen:
            c.add("knowledge_points", record, "code", f"知识点编号 {code} 重复（第{seen[code]}行已有）。")
            continue
        seen[code] = record.line
        if not title:
            c.add("knowledge_points", record, "title", "知识点名称不能为空。")
            continue
        points.append(KnowledgePointData(code=code, title=title))
    return points


def _options(c: _Collector, record: RawRecord, key: str) -> tuple[tuple[str, str], ...] | None:
    raw = record.values.get("options") or {}
    if not isinstance(raw, dict):
        c.add("questions", record, "options", "选项应为 A、B、C… 与选项内容的对应。", key=key)
        return None
    options: list[tuple[str, str]] = []
    for label, value in raw.items():
        name = f"options.{label}"
        if label not in OPTION_LABELS:
            c.add("questions", record, name, "选项标号只能是 A–H。", key=key)
            return None
        text = _text(value)
        if not text:
            c.add("questions", record, name, "选项内容不能为空。", key=key)
            return None
        if len(text) > MAX_LENGTH["option"]:
            c.add("questions", record, name, f"选项过长（不超过 {MAX_LENGTH['option']} 字）。", key=key)
            return None
        options.append((label, text))
    options.sort()
    labels = "".join(label for label, _ in options)
    if labels != OPTION_LABELS[: len(labels)]:
        c.add("questions", record, "options", f"选项必须从 A 开始连续编号，现为 {labels}。", key=key)
        return None
    texts: dict[str, str] = {}
    for label, text in options:
        if text in texts:
            c.add("questions", record, f"options.{label}", f"选项 {label} 与选项 {texts[text]} 内容相同。", key=key)
            return None
        texts[text] = label
    return tuple(options)


def _question(c: _Collector, record: RawRecord, kp_codes: set[str] | None) -> QuestionData | None:
    values = record.values
    key = _text(values.get("key"))
    if not key or not QUESTION_KEY.match(key):
        c.add("questions", record, "key", "题目编号不能为空，只能用字母、数字、“-”和“_”，不超过 40 位。")
        return None
    errors_before = len(c.problems)

    def fail(name: str, message: str) -> None:
        c.add("questions", record, name, message, key=key)

    qtype = spellings.question_type(values.get("type"))
    if qtype is None:
        fail("type", "题型应为 判断题、单选题 或 多选题。")
    stem = _text(values.get("stem"))
    if not stem:
        fail("stem", "题干不能为空。")
    elif len(stem) > MAX_LENGTH["stem"]:
        fail("stem", f"题干过长（不超过 {MAX_LENGTH['stem']} 字）。")
    explanation = _text(values.get("explanation"))
    if not explanation:
        fail("explanation", "解析不能为空。")
    elif len(explanation) > MAX_LENGTH["explanation"]:
        fail("explanation", f"解析过长（不超过 {MAX_LENGTH['explanation']} 字）。")
    kp = _text(values.get("knowledge_point"))
    if not kp:
        fail("knowledge_point", "知识点不能为空。")
    elif kp_codes is not None and kp not in kp_codes:
        fail("knowledge_point", f"知识点 {kp} 不在本题库的知识点目录中。")
    level = spellings.level(values.get("level"))
    if level is None:
        fail("level", "认知层次应为 了解、掌握 或 熟练掌握。")
    difficulty = spellings.difficulty(values.get("difficulty"))
    if difficulty is None:
        fail("difficulty", "难度应为 1、2 或 3。")
    legal_basis = _text(values.get("legal_basis")) or None
    if legal_basis and len(legal_basis) > MAX_LENGTH["legal_basis"]:
        fail("legal_basis", f"法规依据过长（不超过 {MAX_LENGTH['legal_basis']} 字）。")

    options: tuple[tuple[str, str], ...] | None = ()
    answer: bool | str | None = None
    raw_answer = values.get("answer")
    if qtype == QuestionType.TRUE_FALSE:
        if values.get("options"):
            fail("options", "判断题不应有选项。")
        answer = spellings.true_false_answer(raw_answer)
        if answer is None:
            fail("answer", "判断题答案应为 正确/错误（也可写 对/错、√/×）。")
    elif qtype is not None:
        options = _options(c, record, key)
        if options is not None and len(options) < 2:
            fail("options", "选择题至少需要 2 个选项。")
            options = None
        letters = spellings.choice_letters(raw_answer)
        if letters is None:
            fail("answer", "选择题答案应为选项字母，如 A、ABD 或 A,B,D。")
        elif len(set(letters)) != len(letters):
            fail("answer", "答案中有重复的字母。")
        elif options is not None:
            missing = [x for x in letters if x not in {label for label, _ in options}]
            if missing:
                fail("answer", f"答案 {''.join(missing)} 不在选项中。")
            elif qtype == QuestionType.SINGLE_CHOICE and len(letters) != 1:
                fail("answer", "单选题只能有一个答案。")
            elif qtype == QuestionType.MULTIPLE_CHOICE and len(letters) < 2:
                fail("answer", "多选题至少要有两个正确答案。")
            else:
                answer = "".join(sorted(letters))
    if len(c.problems) != errors_before or record.refused or qtype is None or answer is None or options is None:
        return None
    assert stem and explanation and kp and level and difficulty
    return QuestionData(key=key, type=qtype, stem=stem, options=options, answer=answer, explanation=explanation,
                        knowledge_point=kp, level=level, difficulty=difficulty, legal_basis=legal_basis)


def build_document(raw: RawBank) -> BankDocument:
    """The validated document, or ``BankImportRejected`` listing every error (and warning)."""
    c = _Collector(raw)
    meta = _meta(c)
    points = _knowledge_points(c)
    kp_codes = {p.code for p in points} if points is not None else None
    if not raw.questions and not c.reported("questions"):
        c.whole("questions", "试题列表为空：至少需要一道试题。")
    if len(raw.questions) > MAX_QUESTIONS:
        c.whole("questions", f"试题有 {len(raw.questions)} 道，超过上限 {MAX_QUESTIONS} 道，请拆分题库。")
        raise BankImportRejected(c.problems)
    questions: list[QuestionData] = []
    first_line: dict[str, int | None] = {}
    stems: dict[str, list[tuple[str, RawRecord]]] = defaultdict(list)
    places = {name: c.place("meta", raw.meta, name) for name in META_FIELDS}
    for record in raw.questions:
        key = _text(record.values.get("key"))
        if key and key in first_line:
            c.add("questions", record, "key", f"题目编号 {key} 重复（第{first_line[key]}行已使用）。", key=key)
            continue
        if key:
            first_line[key] = record.line
        question = _question(c, record, kp_codes)
        if question is not None:
            questions.append(question)
            stems[question.stem].append((question.key, record))
            places[KEY_PLACE + question.key] = c.place("questions", record, "key", key=question.key)
    for same in stems.values():
        for key, record in same[1:]:
            c.add("questions", record, "stem", f"题干与题目 {same[0][0]} 相同。", key=key, severity=Severity.WARNING)
    if meta is None or points is None or any(p.severity == Severity.ERROR for p in c.problems):
        raise BankImportRejected(c.problems)
    warnings = tuple(p for p in c.problems if p.severity == Severity.WARNING)
    return BankDocument(meta=meta, knowledge_points=tuple(points), questions=tuple(questions), warnings=warnings,
                        source=raw.file, places=places)
