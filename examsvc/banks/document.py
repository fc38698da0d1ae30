"""A bank version's content as plain values, its canonical form and its digest.

The canonical form (documented in docs/bank-format.md) is the RFC 8785 encoding of::

    {"format": "examsvc-bank/1" (a qualification bank) or "examsvc-bank/2" (an 应知应会 bank),
     "bank": {<metadata; optional fields omitted when absent>},
     "knowledge_points": [{"code", "title"} … sorted by code],
     "questions": [{<question fields>} … sorted by key]}

Texts are already normalised (Unicode NFC, line ends ``\\n``, no outer whitespace) by the parser,
true/false answers are JSON booleans and choice answers are letter strings in alphabetical order,
so the same content gives the same digest from YAML, from Excel and on any machine.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from examsvc.banks.problems import Problem
from examsvc.crypto.canonical_json import canonical_digest

FORMAT = "examsvc-bank/1"
# /2 adds the bank's purpose and the kinds of person it serves (应知应会 banks, issue 22). A
# qualification bank keeps writing /1, so the digests of every bank stored before /2 stay the same.
FORMAT_2 = "examsvc-bank/2"
FORMATS = (FORMAT, FORMAT_2)
OPTION_LABELS = "ABCDEFGH"


class Part(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"


class PersonnelCategory(StrEnum):
    PRINCIPAL = "principal"  # 主要负责人
    SAFETY_MANAGER = "safety_manager"  # 安全生产管理人员
    SPECIAL_OPERATIONS = "special_operations"  # 特种作业人员


class Purpose(StrEnum):
    """What a bank is for: the qualification exams (考核题库), or spot exams on what staff must know."""

    QUALIFICATION = "qualification"  # 考核题库
    AWARENESS = "awareness"  # 应知应会题库


class PersonKind(StrEnum):
    """The kinds of person an 应知应会 (must-know) bank serves and a spot exam (逢查必考) examines."""

    PRINCIPAL = "principal"  # 主要负责人
    SAFETY_MANAGER = "safety_manager"  # 安全生产管理人员
    WORKSHOP_DIRECTOR = "workshop_director"  # 车间主任
    TEAM_LEADER = "team_leader"  # 班组长
    SPECIAL_OPERATIONS = "special_operations"  # 特种作业人员
    OTHER = "other"  # 其他从业人员


class Industry(StrEnum):
    GENERAL = "general"
    COAL_MINE = "coal_mine"
    METAL_NONMETAL_MINE = "metal_nonmetal_mine"
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"
    FIREWORKS = "fireworks"
    METALLURGY = "metallurgy"


class QuestionType(StrEnum):
    TRUE_FALSE = "true_false"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"


class Level(StrEnum):
    """Cognitive level (认知层次) as the syllabus words it."""

    AWARE = "了解"
    GRASP = "掌握"
    MASTER = "熟练掌握"


PURPOSE_LABELS = {Purpose.QUALIFICATION: "考核题库", Purpose.AWARENESS: "应知应会"}
PERSON_KIND_LABELS = {PersonKind.PRINCIPAL: "主要负责人", PersonKind.SAFETY_MANAGER: "安全生产管理人员",
                      PersonKind.WORKSHOP_DIRECTOR: "车间主任", PersonKind.TEAM_LEADER: "班组长",
                      PersonKind.SPECIAL_OPERATIONS: "特种作业人员", PersonKind.OTHER: "其他从业人员"}
TYPE_LABELS = {QuestionType.TRUE_FALSE: "判断题", QuestionType.SINGLE_CHOICE: "单选题",
               QuestionType.MULTIPLE_CHOICE: "多选题"}
PART_LABELS = {Part.NATIONAL: "国家", Part.PROVINCIAL: "地方"}
CATEGORY_LABELS = {PersonnelCategory.PRINCIPAL: "主要负责人", PersonnelCategory.SAFETY_MANAGER: "安全生产管理人员",
                   PersonnelCategory.SPECIAL_OPERATIONS: "特种作业人员"}
INDUSTRY_LABELS = {Industry.GENERAL: "一般行业", Industry.COAL_MINE: "煤矿",
                   Industry.METAL_NONMETAL_MINE: "金属非金属矿山", Industry.HAZARDOUS_CHEMICALS: "危险化学品",
                   Industry.FIREWORKS: "烟花爆竹", Industry.METALLURGY: "金属冶炼"}


def normalize_text(value: str) -> str:
    """NFC, ``\\n`` line ends, no trailing white space on lines, no outer white space.

    White space is what ``str.isspace`` says: every character of Unicode's White_Space property
    (U+3000 ideographic space, U+00A0 no-break space, U+2000–U+200A, …) and U+001C–U+001F
    (docs/bank-format.md; tests/banks/test_text_and_revisions.py)."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def knowledge_point_sort_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


@dataclass(frozen=True)
class BankMeta:
    code: str
    title: str
    province: str
    part: Part
    # None only for an awareness bank, which serves ``person_kinds`` instead (validate enforces both ways).
    personnel_category: PersonnelCategory | None
    industry: Industry
    version: str
    effective_date: date
    operation_item: str | None = None
    catalogue_version: str | None = None
    purpose: Purpose = Purpose.QUALIFICATION
    person_kinds: tuple[PersonKind, ...] = ()  # in PersonKind order (canonical); non-empty for awareness

    @property
    def format(self) -> str:
        """/1 for a qualification bank (its digest as before /2 existed), /2 for an awareness bank."""
        return FORMAT_2 if self.purpose == Purpose.AWARENESS else FORMAT

    def canonical(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code, "title": self.title, "province": self.province, "part": str(self.part),
            "industry": str(self.industry), "version": self.version,
            "effective_date": self.effective_date.isoformat(),
        }
        if self.personnel_category is not None:
            out["personnel_category"] = str(self.personnel_category)
        if self.purpose == Purpose.AWARENESS:
            out["purpose"] = str(self.purpose)
            out["person_kinds"] = [str(k) for k in self.person_kinds]
        if self.operation_item is not None:
            out["operation_item"] = self.operation_item
        if self.catalogue_version is not None:
            out["catalogue_version"] = self.catalogue_version
        return out


@dataclass(frozen=True)
class KnowledgePointData:
    code: str
    title: str

    def canonical(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title}


@dataclass(frozen=True)
class QuestionData:
    key: str
    type: QuestionType
    stem: str
    options: tuple[tuple[str, str], ...]  # (label, text) in label order; empty for true/false
    answer: bool | str  # bool for true/false; sorted letters for choices
    explanation: str
    knowledge_point: str
    level: Level
    difficulty: int
    legal_basis: str | None = None

    def canonical(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key, "type": str(self.type), "stem": self.stem, "answer": self.answer,
            "explanation": self.explanation, "knowledge_point": self.knowledge_point, "level": str(self.level),
            "difficulty": self.difficulty,
        }
        if self.options:
            out["options"] = {label: text for label, text in self.options}
        if self.legal_basis:
            out["legal_basis"] = self.legal_basis
        return out

    def digest(self) -> str:
        return canonical_digest(self.canonical())


@dataclass(frozen=True)
class BankDocument:
    meta: BankMeta
    knowledge_points: tuple[KnowledgePointData, ...]
    questions: tuple[QuestionData, ...]
    warnings: tuple[Any, ...] = field(default=(), compare=False)
    # The file it was read from, and where each metadata field and question key was written (file,
    # line or sheet and row, field): checks across files and stored versions name the place.
    source: str = field(default="", compare=False)
    places: dict[str, Problem] = field(default_factory=dict, compare=False)

    def place(self, name: str, message: str, **more: Any) -> Problem:
        """A problem at ``name`` (a metadata field, or ``"key:" + key``) of this document."""
        where = self.places.get(name) or Problem(file=self.source or "upload", message="")
        return replace(where, message=message, **more)

    def canonical(self) -> dict[str, Any]:
        return {
            "format": self.meta.format,
            "bank": self.meta.canonical(),
            "knowledge_points": [kp.canonical() for kp in
                                 sorted(self.knowledge_points, key=lambda k: knowledge_point_sort_key(k.code))],
            "questions": [q.canonical() for q in sorted(self.questions, key=lambda q: q.key)],
        }

    def digest(self) -> str:
        return canonical_digest(self.canonical())
