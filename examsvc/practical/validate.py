"""From records read out of a YAML file or a workbook to a ``PracticalBankDocument``, or every problem
at once, each naming file, line or row, and field. Both readers refuse the same things in the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from examsvc.banks.document import normalize_text
from examsvc.banks.problems import ImportRejected, Problem
from examsvc.banks.validate import BANK_CODE, OPERATION_ITEM, QUESTION_KEY, VERSION, RawRecord
from examsvc.practical.document import Criterion, PracticalBankDocument, PracticalItem, PracticalMeta, Subject
from examsvc.practical.rule import DEFAULT_WEIGHTS

META_FIELDS = ("code", "title", "province", "operation_item", "operation_item_name", "version", "effective_date",
               "sources")
ITEM_FIELDS = ("key", "subject", "title", "time_limit_minutes", "full_marks", "task", "equipment", "criteria")
CRITERION_FIELDS = ("code", "name", "points", "deductions", "veto", "veto_rule")
MAX_ITEMS = 2_000
# 3–6 criteria per item (question_banks/practical/README.md): fewer cannot score an operation step by
# step, more is not what the national standard's score sheets hold (issue 17 item 8).
MIN_CRITERIA, MAX_CRITERIA = 3, 6
# An item's full marks are its subject's weight in the national 实际操作考试标准 (rule.DEFAULT_WEIGHTS): a
# drawn paper of one item per subject is then worth 100 as printed on its score sheets. A practical rule
# with other weights scales the points (docs/practical.md, *Scoring*).
#
# {PREFIX}-K{n}-{nn}: the subject is in the key, and must be the item's (FZ-K3-09 is not a K2 item).
ITEM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,30}-K([1-4])-[0-9]{1,4}$")


class PracticalImportRejected(ImportRejected):
    code = "practical_bank_import_rejected"
    what = "实操题库文件"


@dataclass
class RawItem:
    record: RawRecord
    criteria: list[RawRecord] = field(default_factory=list)


@dataclass
class RawPracticalBank:
    file: str
    meta: RawRecord
    items: list[RawItem]
    problems: list[Problem] = field(default_factory=list)
    sheet_of: dict[str, str] = field(default_factory=dict)  # "item" / "criterion" / "meta" → Excel sheet
    field_names: dict[str, str] = field(default_factory=dict)  # field → Excel column header


class _Checker:
    def __init__(self, raw: RawPracticalBank) -> None:
        self.raw = raw
        self.problems = list(raw.problems)

    def problem(self, record: RawRecord, name: str, message: str, *, kind: str, key: str | None = None) -> None:
        self.problems.append(Problem(file=self.raw.file, line=record.line_of(name),
                                     field=self.raw.field_names.get(name, name), message=message, key=key,
                                     sheet=self.raw.sheet_of.get(kind)))

    def text(self, record: RawRecord, name: str, *, kind: str, limit: int, key: str | None = None,
             required: bool = True) -> str:
        value = record.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(record, name, "不能为空。", kind=kind, key=key)
            return ""
        if not isinstance(value, str | int | float):
            self.problem(record, name, "应为文字。", kind=kind, key=key)
            return ""
        text = normalize_text(str(value))
        if len(text) > limit:
            self.problem(record, name, f"过长（不超过 {limit} 字）。", kind=kind, key=key)
        return text

    def integer(self, record: RawRecord, name: str, *, kind: str, low: int, high: int, key: str | None = None) -> int:
        value = record.values.get(name)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.problem(record, name, f"应为 {low}–{high} 之间的整数。", kind=kind, key=key)
            return low
        return value

    def texts(self, record: RawRecord, name: str, *, kind: str, limit: int, key: str | None = None,
              required: bool) -> tuple[str, ...]:
        value = record.values.get(name)
        if value is None or value == "":
            if required:
                self.problem(record, name, "至少需要一条。", kind=kind, key=key)
            return ()
        if isinstance(value, str):  # a workbook cell: one entry per line
            value = [v for v in value.splitlines() if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(record, name, "应为文字列表（每条不能为空）。", kind=kind, key=key)
            return ()
        if required and not value:
            self.problem(record, name, "至少需要一条。", kind=kind, key=key)
        for entry in value:
            if len(entry) > limit:
                self.problem(record, name, f"有一条过长（不超过 {limit} 字）。", kind=kind, key=key)
        return tuple(normalize_text(v) for v in value)

    def flag(self, record: RawRecord, name: str, *, kind: str, key: str | None) -> bool:
        value = record.values.get(name, False)
        words = {"是": True, "否": False, "true": True, "false": False, "": False}
        if isinstance(value, str):
            value = words.get(value.strip().lower(), value)
        if not isinstance(value, bool):
            self.problem(record, name, "应为“是”或“否”（true/false）。", kind=kind, key=key)
            return False
        return value


def _meta(check: _Checker, record: RawRecord) -> PracticalMeta:
    def pattern(name: str, regex: Any, message: str) -> str:
        value = check.text(record, name, kind="meta", limit=40)
        if value and not regex.match(value):
            check.problem(record, name, message, kind="meta")
        return value

    effective = record.values.get("effective_date")
    if isinstance(effective, datetime):
        effective = effective.date()
    if isinstance(effective, str):
        try:
            effective = date.fromisoformat(effective.strip())
        except ValueError:
            effective = None
    if not isinstance(effective, date):
        check.problem(record, "effective_date", "应为日期，如 2026-12-01。", kind="meta")
        effective = date(1970, 1, 1)
    return PracticalMeta(
        code=pattern("code", BANK_CODE, "题库编号只能用大写字母、数字和“-”，2–40 位。"),
        title=check.text(record, "title", kind="meta", limit=200),
        province=check.text(record, "province", kind="meta", limit=40),
        operation_item=pattern("operation_item", OPERATION_ITEM, "操作项目代码应如 1.2。"),
        operation_item_name=check.text(record, "operation_item_name", kind="meta", limit=100),
        version=pattern("version", VERSION, "版本号只能用字母、数字、“.”“_”“-”，不超过 40 位。"),
        effective_date=effective,
        sources=check.texts(record, "sources", kind="meta", limit=300, required=False),
    )


def _criteria(check: _Checker, item: RawItem, key: str) -> tuple[Criterion, ...]:
    out = []
    if not MIN_CRITERIA <= len(item.criteria) <= MAX_CRITERIA:
        check.problem(item.record, "criteria",
                      f"评分标准应有 {MIN_CRITERIA}–{MAX_CRITERIA} 项，"
                      f"现有 {len(item.criteria)} 项。", kind="item", key=key)
    for n, record in enumerate(item.criteria, start=1):
        # Any count past the rule is named once, on the item; the codes need only run 1, 2, 3 …
        code = check.integer(record, "code", kind="criterion", low=1, high=99, key=key)
        if code != n:
            check.problem(record, "code", f"评分项序号应依次为 1、2、3……（此处应为 {n}）。", kind="criterion", key=key)
        veto = check.flag(record, "veto", kind="criterion", key=key)
        rule = check.text(record, "veto_rule", kind="criterion", limit=500, key=key, required=veto) or None
        if rule and not veto:
            check.problem(record, "veto_rule", "只有否决项才写否决条件。", kind="criterion", key=key)
        out.append(Criterion(
            code=code, name=check.text(record, "name", kind="criterion", limit=100, key=key),
            points=check.integer(record, "points", kind="criterion", low=1, high=100, key=key),
            deductions=check.texts(record, "deductions", kind="criterion", limit=300, key=key, required=True),
            veto=veto, veto_rule=rule if veto else None))
    return tuple(out)


def build_document(raw: RawPracticalBank) -> PracticalBankDocument:
    check = _Checker(raw)
    meta = _meta(check, raw.meta)
    if len(raw.items) > MAX_ITEMS:
        check.problems.append(Problem(file=raw.file, sheet=raw.sheet_of.get("item"),
                                      message=f"考核项目过多（不超过 {MAX_ITEMS} 项）。"))
    items: list[PracticalItem] = []
    seen: dict[str, int | None] = {}
    for raw_item in raw.items:
        record = raw_item.record
        key = check.text(record, "key", kind="item", limit=40)
        key_form = ITEM_KEY.match(key) if key and QUESTION_KEY.match(key) else None
        if key and key_form is None:
            check.problem(record, "key",
                          "项目编号应为“前缀-K科目号-序号”，如 LV-K1-01"
                          "（字母、数字、“-”“_”，不超过 40 位）。", kind="item")
        if key in seen:
            check.problem(record, "key", f"项目编号重复（第{seen[key]}行已有）。", kind="item", key=key)
        seen.setdefault(key, record.line)
        subject_text = check.text(record, "subject", kind="item", limit=4, key=key)
        subject = Subject(subject_text) if subject_text in {s.value for s in Subject} else Subject.K1
        if subject_text and subject_text != subject:
            check.problem(record, "subject", "科目应为 K1、K2、K3 或 K4。", kind="item", key=key)
        elif key_form is not None and f"K{key_form.group(1)}" != subject:
            check.problem(record, "key",
                          f"项目编号中的科目是 K{key_form.group(1)}，"
                          f"本项目的科目是 {subject}：两者应一致。", kind="item", key=key)
        full_marks = check.integer(record, "full_marks", kind="item", low=1, high=100, key=key)
        if subject_text == subject and full_marks != DEFAULT_WEIGHTS[subject]:
            check.problem(record, "full_marks", f"科目 {subject} 的项目满分应为 {DEFAULT_WEIGHTS[subject]} 分"
                          f"（实际操作考试标准的科目分值），现为 {full_marks} 分。", kind="item", key=key)
        criteria = _criteria(check, raw_item, key)
        total = sum(c.points for c in criteria)
        if criteria and total != full_marks:
            check.problem(record, "full_marks", f"各评分项配分合计 {total} 分，与满分 {full_marks} 分不符。",
                          kind="item", key=key)
        items.append(PracticalItem(
            key=key, subject=subject, title=check.text(record, "title", kind="item", limit=200, key=key),
            time_limit_minutes=check.integer(record, "time_limit_minutes", kind="item", low=1, high=120, key=key),
            full_marks=full_marks, task=check.text(record, "task", kind="item", limit=2000, key=key),
            equipment=check.texts(record, "equipment", kind="item", limit=200, key=key, required=False),
            criteria=criteria))
    present = {i.subject for i in items}
    for subject in Subject:
        if subject not in present:
            check.problems.append(Problem(file=raw.file, field=raw.field_names.get("subject", "subject"),
                                          sheet=raw.sheet_of.get("item"),
                                          message=f"科目 {subject} 没有考核项目：每个科目至少一项，才能每科抽取一题。"))
    if check.problems:
        raise PracticalImportRejected(check.problems)
    return PracticalBankDocument(meta=meta, items=tuple(items))
