"""The spot-exam archive (存档备查): inspections and examinees listed with filters, and summaries by city,
industry, enterprise or post (docs/spot-exams.md).

An enforcement officer sees the inspections they led or were second officer of; the province's readers
(``access.PROVINCE_READERS``) see all. An examinee is a person drawn or added by hand; one without a
sealed exam is ``absent`` once the inspection is closed (``in_progress`` while an exam runs, ``pending``
before it starts). ID numbers leave this module masked only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from examsvc.banks.document import INDUSTRY_LABELS, PERSON_KIND_LABELS, Industry, PersonKind
from examsvc.candidates.id_number import masked
from examsvc.certificates.models import Certificate
from examsvc.errors import InvalidInput
from examsvc.spot.models import Inspection, InspectionStatus, Retraining, SpotExam, SpotExamStatus, SpotPerson

MAX_PAGE = 500  # rows of a list page; the summaries and the exports read every matching row


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ABSENT = "absent"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"


OUTCOME_LABELS = {Outcome.PASSED: "合格", Outcome.FAILED: "不合格", Outcome.ABSENT: "缺考",
                  Outcome.IN_PROGRESS: "作答中", Outcome.PENDING: "待考"}
RETRAINING_LABELS = {Retraining.REQUIRED: "待重新培训", Retraining.DONE: "已重新培训"}
STATUS_LABELS = {InspectionStatus.OPEN: "待抽取", InspectionStatus.DRAWN: "抽考中", InspectionStatus.CLOSED: "已归档"}


class GroupBy(StrEnum):
    CITY = "city"
    INDUSTRY = "industry"
    ENTERPRISE = "enterprise"
    POST = "post"


GROUP_LABELS = {GroupBy.CITY: "市", GroupBy.INDUSTRY: "行业", GroupBy.ENTERPRISE: "被检查单位", GroupBy.POST: "岗位"}


@dataclass(frozen=True)
class ArchiveFilter:
    city: str | None = None
    industry: Industry | None = None
    enterprise: str | None = None  # part of the name, or the whole credit code
    post: str | None = None  # part of the post
    kind: PersonKind | None = None
    date_from: date | None = None
    date_to: date | None = None
    result: Outcome | None = None
    retraining: Retraining | None = None

    def params(self) -> list[tuple[str, str]]:
        """The filter as query parameters (for the export links)."""
        return [(f.name, str(v)) for f in fields(self) if (v := getattr(self, f.name)) not in (None, "")]


@dataclass(frozen=True)
class ExamRow:
    """One examinee of one inspection, as lists and exports show it."""

    inspection_id: int
    inspection_code: str
    inspected_on: date
    city: str
    industry: str
    industry_label: str
    enterprise_name: str
    credit_code: str
    person_id: int
    name: str
    id_number_masked: str
    post: str
    kind: str | None
    kind_label: str | None
    manual: bool
    draw_order: int | None
    exam_id: int | None
    score: int | None  # tenths of a point
    total_points: int | None
    pass_mark: int | None
    outcome: Outcome
    outcome_label: str
    retraining: str | None
    retraining_label: str | None
    certificate_number: str | None


FIELD_LABELS = {"city": "市", "industry": "行业", "enterprise": "单位名称或统一社会信用代码", "post": "岗位",
                "kind": "人员类别", "date_from": "检查日期（起）", "date_to": "检查日期（止）", "result": "结果",
                "retraining": "重新培训", "by": "统计口径"}
FILTER_FIELDS = ("city", "industry", "enterprise", "post", "kind", "date_from", "date_to", "result", "retraining")
_LIMITS = {"city": 50, "enterprise": 200, "post": 100}


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_archive_filter", detail={"field": field})


def _choice(enum: type[StrEnum], field: str, value: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise _bad(field, f"{FIELD_LABELS[field]}不在可选范围内。") from None


def _day(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(field, f"{FIELD_LABELS[field]}应为日期（如 2027-03-01）。") from None


def parse_filter(fields: Mapping[str, str | None]) -> ArchiveFilter:
    """The filter from a form or a query string (blank means any); ``InvalidInput`` names the field."""
    text = {name: (fields.get(name) or "").strip() for name in FILTER_FIELDS}
    for name, limit in _LIMITS.items():
        if len(text[name]) > limit or any(ord(c) < 32 for c in text[name]):
            raise _bad(name, f"{FIELD_LABELS[name]}过长或含有控制字符（最多 {limit} 字）。")
    wanted = ArchiveFilter(
        city=text["city"] or None, enterprise=text["enterprise"] or None, post=text["post"] or None,
        industry=_choice(Industry, "industry", text["industry"]) if text["industry"] else None,
        kind=_choice(PersonKind, "kind", text["kind"]) if text["kind"] else None,
        date_from=_day("date_from", text["date_from"]) if text["date_from"] else None,
        date_to=_day("date_to", text["date_to"]) if text["date_to"] else None,
        result=_choice(Outcome, "result", text["result"]) if text["result"] else None,
        retraining=_choice(Retraining, "retraining", text["retraining"]) if text["retraining"] else None)
    if wanted.date_from and wanted.date_to and wanted.date_from > wanted.date_to:
        raise _bad("date_from", "检查日期的起始日期不能晚于截止日期。")
    return wanted


def parse_group(value: str | None) -> GroupBy:
    return _choice(GroupBy, "by", value) if value else GroupBy.CITY


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _scope(query: Select[Inspection], officer_id: int | None) -> Select[Inspection]:
    if officer_id is None:
        return query
    return query.where(or_(Inspection.lead_officer_id == officer_id, Inspection.second_officer_id == officer_id))


def _inspection_filter(query: Select[Inspection], wanted: ArchiveFilter) -> Select[Inspection]:
    if wanted.city:
        query = query.where(Inspection.city == wanted.city)
    if wanted.industry:
        query = query.where(Inspection.industry == wanted.industry)
    if wanted.enterprise:
        query = query.where(or_(Inspection.enterprise_name.like(_like(wanted.enterprise), escape="\\"),
                                Inspection.credit_code == wanted.enterprise.strip().upper()))
    if wanted.date_from:
        query = query.where(Inspection.inspected_on >= wanted.date_from)
    if wanted.date_to:
        query = query.where(Inspection.inspected_on <= wanted.date_to)
    return query


def inspections(db_session: Session, wanted: ArchiveFilter, *, officer_id: int | None, limit: int = MAX_PAGE,
                offset: int = 0) -> tuple[int, list[Inspection]]:
    """(how many, one page of) the inspections in scope matching the inspection's own filters, newest first."""
    query = _inspection_filter(_scope(select(Inspection), officer_id), wanted)
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = db_session.scalars(query.order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
                              .limit(min(limit, MAX_PAGE)).offset(offset))
    return total, list(page)


def _outcome(inspection: Inspection, exam: SpotExam | None) -> Outcome:
    if exam is None:
        return Outcome.ABSENT if inspection.status == InspectionStatus.CLOSED else Outcome.PENDING
    if exam.status != SpotExamStatus.SUBMITTED:
        return Outcome.IN_PROGRESS
    return Outcome.PASSED if exam.passed else Outcome.FAILED


def _outcome_filter(outcome: Outcome) -> ColumnElement[bool]:
    """``_outcome`` in SQL, so that a page or a count is of matching rows."""
    sealed = SpotExam.status == SpotExamStatus.SUBMITTED
    closed = Inspection.status == InspectionStatus.CLOSED
    return {Outcome.PASSED: and_(sealed, SpotExam.passed.is_(True)),
            Outcome.FAILED: and_(sealed, SpotExam.passed.is_(False)),
            Outcome.ABSENT: and_(SpotExam.id.is_(None), closed),
            Outcome.PENDING: and_(SpotExam.id.is_(None), ~closed),
            Outcome.IN_PROGRESS: SpotExam.status == SpotExamStatus.IN_PROGRESS}[outcome]


def _examinees(wanted: ArchiveFilter, officer_id: int | None) -> Select[Inspection, SpotPerson, SpotExam, str]:
    query = _inspection_filter(_scope(select(Inspection), officer_id), wanted)
    joined = (query.add_columns(SpotPerson, SpotExam, Certificate.number)
              .join(SpotPerson, SpotPerson.inspection_id == Inspection.id)
              .outerjoin(SpotExam, SpotExam.person_id == SpotPerson.id)
              .outerjoin(Certificate, Certificate.id == SpotExam.certificate_id)
              .where(or_(SpotPerson.draw_order.is_not(None), SpotPerson.manual.is_(True))))
    if wanted.post:
        joined = joined.where(SpotPerson.post.like(_like(wanted.post), escape="\\"))
    if wanted.kind:
        joined = joined.where(SpotPerson.kind == wanted.kind)
    if wanted.retraining:
        joined = joined.where(SpotExam.retraining == wanted.retraining)
    if wanted.result:
        joined = joined.where(_outcome_filter(wanted.result))
    return joined


def count_examinees(db_session: Session, wanted: ArchiveFilter, *, officer_id: int | None) -> int:
    """How many examinees ``exam_rows`` gives without a limit (a list page's total)."""
    query = _examinees(wanted, officer_id)
    return db_session.scalar(select(func.count()).select_from(query.subquery())) or 0


def exam_rows(db_session: Session, wanted: ArchiveFilter, *, officer_id: int | None, limit: int | None = None,
              offset: int = 0) -> list[ExamRow]:
    """The examinees (drawn or added by hand) of the inspections in scope, filtered, newest first: all of them,
    or ``limit`` from ``offset``."""
    joined = _examinees(wanted, officer_id).order_by(
        Inspection.inspected_on.desc(), Inspection.id.desc(), SpotPerson.draw_order.is_(None), SpotPerson.draw_order,
        SpotPerson.id)
    rows = []
    if limit is not None:
        joined = joined.limit(limit).offset(offset)
    for inspection, person, exam, number in db_session.execute(joined):
        outcome = _outcome(inspection, exam)
        kind = None if person.kind is None else PersonKind(person.kind)
        retraining = None if exam is None or exam.retraining is None else Retraining(exam.retraining)
        rows.append(ExamRow(
            inspection_id=inspection.id, inspection_code=inspection.code, inspected_on=inspection.inspected_on,
            city=inspection.city, industry=inspection.industry,
            industry_label=INDUSTRY_LABELS[Industry(inspection.industry)], enterprise_name=inspection.enterprise_name,
            credit_code=inspection.credit_code, person_id=person.id, name=person.name,
            id_number_masked=masked(person.id_number), post=person.post, kind=kind,
            kind_label=None if kind is None else PERSON_KIND_LABELS[kind], manual=person.manual,
            draw_order=person.draw_order, exam_id=None if exam is None else exam.id,
            score=None if exam is None else exam.score, total_points=None if exam is None else exam.total_points,
            pass_mark=None if exam is None else exam.pass_mark, outcome=outcome, outcome_label=OUTCOME_LABELS[outcome],
            retraining=retraining, retraining_label=None if retraining is None else RETRAINING_LABELS[retraining],
            certificate_number=number))
    return rows


@dataclass
class Counts:
    inspections: int = 0
    examined: int = 0  # sealed exams
    passed: int = 0
    failed: int = 0
    absent: int = 0
    retraining_due: int = 0

    @property
    def pass_rate(self) -> float | None:
        """passed / examined (sealed exams), None when nobody was examined."""
        return self.passed / self.examined if self.examined else None


@dataclass(frozen=True)
class SummaryRow:
    key: str
    label: str
    counts: Counts


@dataclass(frozen=True)
class Summary:
    by: GroupBy
    rows: list[SummaryRow]
    total: Counts


def _key(row: ExamRow, by: GroupBy) -> tuple[str, str]:
    if by is GroupBy.CITY:
        return row.city, row.city
    if by is GroupBy.INDUSTRY:
        return row.industry, row.industry_label
    if by is GroupBy.ENTERPRISE:
        return row.credit_code, f"{row.enterprise_name}（{row.credit_code}）"
    return row.post, row.post


def summary(db_session: Session, wanted: ArchiveFilter, by: GroupBy, *, officer_id: int | None) -> Summary:
    return summarize(exam_rows(db_session, wanted, officer_id=officer_id), by)


def summarize(rows: list[ExamRow], by: GroupBy) -> Summary:
    """Counts per group over the examinees: inspections (with at least one of them), sealed exams, passes,
    fails, absences, re-training still due, and the pass rate (passes / sealed exams); most examined first."""
    groups: dict[str, tuple[str, Counts, set[int]]] = {}
    total, seen = Counts(), set[int]()
    for row in rows:
        key, label = _key(row, by)
        _, counts, inspections_seen = groups.setdefault(key, (label, Counts(), set()))
        for target, ids in ((counts, inspections_seen), (total, seen)):
            ids.add(row.inspection_id)
            target.inspections = len(ids)
            target.examined += row.outcome in (Outcome.PASSED, Outcome.FAILED)
            target.passed += row.outcome is Outcome.PASSED
            target.failed += row.outcome is Outcome.FAILED
            target.absent += row.outcome is Outcome.ABSENT
            target.retraining_due += row.retraining == Retraining.REQUIRED
    ordered = sorted(groups.items(), key=lambda item: (-item[1][1].examined, item[0]))
    return Summary(by, [SummaryRow(key, label, counts) for key, (label, counts, _) in ordered], total)


def exam_counts(db_session: Session, inspection_ids: list[int]) -> dict[int, Counts]:
    """Per inspection: sealed exams, passes, fails, re-training due (the inspections list shows them)."""
    out: dict[int, Counts] = defaultdict(Counts)
    if not inspection_ids:
        return out
    for exam in db_session.scalars(select(SpotExam).where(SpotExam.inspection_id.in_(inspection_ids))):
        counts = out[exam.inspection_id]
        sealed = exam.status == SpotExamStatus.SUBMITTED
        counts.examined += sealed
        counts.passed += sealed and bool(exam.passed)
        counts.failed += sealed and exam.passed is False
        counts.retraining_due += exam.retraining == Retraining.REQUIRED
    return out


# ---- the certificate register's flag -------------------------------------------------------------------

RETRAINING_FLAG = "逢查必考不合格，待重新培训"
RETRAINED_FLAG = "逢查必考不合格，已重新培训"


@dataclass(frozen=True)
class RegisterFlag:
    """A failed spot exam linked to a certificate: re-training due (``done`` False) or recorded."""

    inspection_code: str
    inspected_on: date
    done: bool

    @property
    def text(self) -> str:
        return (f"{RETRAINED_FLAG if self.done else RETRAINING_FLAG}（检查 {self.inspection_code}，"
                f"{self.inspected_on.isoformat()}）")

    def as_dict(self) -> dict[str, object]:
        return {"inspection_code": self.inspection_code, "inspected_on": self.inspected_on,
                "retraining": Retraining.DONE if self.done else Retraining.REQUIRED, "text": self.text}


def register_flags(db_session: Session, certificate_ids: list[int]) -> dict[int, list[RegisterFlag]]:
    """certificate id → its holder's failed spot exams (newest first), for the certificate register."""
    out: dict[int, list[RegisterFlag]] = defaultdict(list)
    if not certificate_ids:
        return out
    rows = db_session.execute(
        select(SpotExam.certificate_id, SpotExam.retraining, Inspection.code, Inspection.inspected_on)
        .join(Inspection, Inspection.id == SpotExam.inspection_id)
        .where(SpotExam.certificate_id.in_(certificate_ids), SpotExam.retraining.is_not(None))
        .order_by(Inspection.inspected_on.desc(), SpotExam.id.desc()))
    for certificate_id, retraining, code, inspected_on in rows:
        assert certificate_id is not None  # the query's own condition
        out[certificate_id].append(RegisterFlag(code, inspected_on, retraining == Retraining.DONE))
    return out

