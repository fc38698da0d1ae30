"""A practical exam bank (实际操作考试题库) as plain values, and its canonical digest.

Items are grouped by the national standard's four subjects; each has scoring criteria with points,
deduction rules and possibly a veto (否决项): failing a veto criterion fails the exam whatever the
points. Format and rules: question_banks/practical/README.md and docs/practical.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from examsvc.crypto.canonical_json import canonical_digest

FORMAT = "examsvc-practical-bank/1"


class Subject(StrEnum):
    K1 = "K1"
    K2 = "K2"
    K3 = "K3"
    K4 = "K4"


SUBJECT_LABELS = {Subject.K1: "安全用具使用", Subject.K2: "安全操作技术", Subject.K3: "作业现场安全隐患排除",
                  Subject.K4: "作业现场应急处置"}


@dataclass(frozen=True)
class Criterion:
    code: int
    name: str
    points: int
    deductions: tuple[str, ...]
    veto: bool
    veto_rule: str | None

    def canonical(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "points": self.points, "deductions": list(self.deductions),
                "veto": self.veto, "veto_rule": self.veto_rule}


@dataclass(frozen=True)
class PracticalItem:
    key: str
    subject: Subject
    title: str
    time_limit_minutes: int
    full_marks: int
    task: str
    equipment: tuple[str, ...]
    criteria: tuple[Criterion, ...]

    def canonical(self) -> dict[str, Any]:
        return {"key": self.key, "subject": str(self.subject), "title": self.title,
                "time_limit_minutes": self.time_limit_minutes, "full_marks": self.full_marks, "task": self.task,
                "equipment": list(self.equipment), "criteria": [c.canonical() for c in self.criteria]}

    def digest(self) -> str:
        return canonical_digest(self.canonical())


@dataclass(frozen=True)
class PracticalMeta:
    code: str
    title: str
    province: str
    operation_item: str
    operation_item_name: str
    version: str
    effective_date: date
    sources: tuple[str, ...] = ()

    def canonical(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "province": self.province,
                "operation_item": self.operation_item, "operation_item_name": self.operation_item_name,
                "version": self.version, "effective_date": self.effective_date.isoformat(),
                "sources": list(self.sources)}


@dataclass(frozen=True)
class PracticalBankDocument:
    meta: PracticalMeta
    items: tuple[PracticalItem, ...]

    def canonical(self) -> dict[str, Any]:
        return {"format": FORMAT, "bank": self.meta.canonical(),
                "items": [i.canonical() for i in sorted(self.items, key=lambda i: i.key.encode())]}

    def digest(self) -> str:
        """SHA-256 of the RFC 8785 form: the same content gives the same digest from YAML or Excel."""
        return canonical_digest(self.canonical())

    def counts(self) -> dict[str, int]:
        return {str(s): sum(1 for i in self.items if i.subject == s) for s in Subject}
