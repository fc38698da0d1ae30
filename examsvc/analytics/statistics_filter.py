"""What a statistics request asks for: the groupings (分组) and the filters (筛选), read from a query string
and checked, each refusal naming its field in Chinese. The API, the console page and the .xlsx export read
the same query string through ``parse``, so a URL means the same thing in all three."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from urllib.parse import urlencode

from examsvc.errors import InvalidInput
from examsvc.text import is_control


class Dimension(StrEnum):
    CATEGORY = "category"  # registration.personnel_category (人员类别)
    SUBJECT = "subject"  # registration.subject: the operation item (作业项目) or the category's subject
    SITE = "site"
    CITY = "city"  # site.city (设区的市)
    INSTITUTION = "institution"  # registration.training_institution, else the candidate's
    EMPLOYER = "employer"  # candidate.employer
    YEAR = "year"  # of the sitting's start, in the configured local zone
    QUARTER = "quarter"
    MONTH = "month"
    ATTEMPT = "attempt"  # first attempt or retake (补考), by examsvc.results.eligibility.is_retake
    KIND = "kind"  # theory (理论) or practical (实操)


DIMENSION_LABELS: dict[Dimension, str] = {
    Dimension.CATEGORY: "人员类别", Dimension.SUBJECT: "作业项目/科目", Dimension.SITE: "考点",
    Dimension.CITY: "设区的市", Dimension.INSTITUTION: "培训机构", Dimension.EMPLOYER: "工作单位",
    Dimension.YEAR: "年度", Dimension.QUARTER: "季度", Dimension.MONTH: "月份", Dimension.ATTEMPT: "初考/补考",
    Dimension.KIND: "考试类型",
}


class ExamKind(StrEnum):
    THEORY = "theory"
    PRACTICAL = "practical"


class AttemptKind(StrEnum):
    FIRST = "first"
    RETAKE = "retake"


KIND_LABELS = {ExamKind.THEORY: "理论考试", ExamKind.PRACTICAL: "实际操作考试"}
ATTEMPT_LABELS = {AttemptKind.FIRST: "初次考试", AttemptKind.RETAKE: "补考"}
# Field names as the page's form labels them; an error's detail.field is one of these keys.
FIELD_LABELS: dict[str, str] = {
    "group_by": "分组方式", "date_from": "起始日期", "date_to": "截止日期", "site": "考点代码", "city": "设区的市",
    "category": "人员类别", "subject": "作业项目/科目代码", "institution": "培训机构", "employer": "工作单位",
    "kind": "考试类型", "attempt": "初考/补考",
}
TEXT_LIMITS = {"site": 32, "city": 40, "category": 32, "subject": 40, "institution": 200, "employer": 200}
FILTER_FIELDS = ("date_from", "date_to", "site", "city", "category", "subject", "institution", "employer", "kind",
                 "attempt")
MAX_GROUPS = 3  # beyond three the table has more rows than a person reads, and the export is for that
MAX_SPAN_DAYS = 366 * 10


@dataclass(frozen=True)
class StatisticsFilter:
    date_from: date | None = None  # the sitting's local date, inclusive
    date_to: date | None = None
    site: str | None = None  # site code
    city: str | None = None
    category: str | None = None
    subject: str | None = None
    institution: str | None = None  # exact, as grouped
    employer: str | None = None  # exact, as grouped
    kind: ExamKind | None = None
    attempt: AttemptKind | None = None


@dataclass(frozen=True)
class StatisticsQuery:
    group_by: tuple[Dimension, ...] = ()
    filter: StatisticsFilter = field(default_factory=StatisticsFilter)

    def params(self) -> list[tuple[str, str]]:
        """The query string's pairs that ask for this again (links, the export)."""
        pairs = [("group_by", ",".join(self.group_by))] if self.group_by else []
        for name in FILTER_FIELDS:
            value = getattr(self.filter, name)
            if value is not None:
                pairs.append((name, value.isoformat() if isinstance(value, date) else str(value)))
        return pairs

    @property
    def query_string(self) -> str:
        return urlencode(self.params())


def _refuse(message: str, name: str, code: str = "bad_filter") -> InvalidInput:
    return InvalidInput(f"{FIELD_LABELS[name]}：{message}", code=code, detail={"field": name})


def _date(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _refuse("日期格式应为 YYYY-MM-DD。", name, "bad_date") from None


def parse_group_by(values: Iterable[str]) -> tuple[Dimension, ...]:
    """``group_by`` given once comma-separated (the API) or repeated (the page's check boxes); order kept,
    repeats dropped."""
    wanted: list[Dimension] = []
    allowed = "、".join(f"{d.value}（{DIMENSION_LABELS[d]}）" for d in Dimension)
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if not name:
                continue
            if name not in Dimension.__members__.values():
                raise _refuse(f"不支持该分组方式，可选：{allowed}。", "group_by", "bad_group_by")
            if Dimension(name) not in wanted:
                wanted.append(Dimension(name))
    if len(wanted) > MAX_GROUPS:
        raise _refuse(f"最多同时按 {MAX_GROUPS} 项分组。", "group_by", "bad_group_by")
    # A month already names its quarter and year: grouping by both would only repeat a column.
    periods = [d for d in wanted if d in (Dimension.YEAR, Dimension.QUARTER, Dimension.MONTH)]
    if len(periods) > 1:
        raise _refuse("年度、季度、月份只能选其一。", "group_by", "bad_group_by")
    return tuple(wanted)


def parse(group_by: Iterable[str], params: Mapping[str, str]) -> StatisticsQuery:
    """The request's groupings and filters, or ``InvalidInput`` naming the first wrong field."""
    groups = parse_group_by(group_by)
    texts = {name: (params.get(name) or "").strip() for name in FILTER_FIELDS}
    for name, limit in TEXT_LIMITS.items():
        if len(texts[name]) > limit:
            raise _refuse(f"内容过长（不超过 {limit} 字）。", name, "too_long")
        # A NUL byte is refused by PostgreSQL's driver (a 500 instead of an answer); no name holds one.
        if any(is_control(ch) for ch in texts[name]):
            raise _refuse("不能包含换行、制表符或其他控制字符。", name, "control_characters")
    date_from, date_to = _date(texts["date_from"], "date_from"), _date(texts["date_to"], "date_to")
    if date_from and date_to:
        if date_from > date_to:
            raise _refuse("起始日期不能晚于截止日期。", "date_from", "bad_date_range")
        if (date_to - date_from).days > MAX_SPAN_DAYS:
            raise _refuse("日期范围不能超过十年。", "date_to", "bad_date_range")
    if texts["kind"] not in ("", *ExamKind.__members__.values()):
        raise _refuse("应为 theory（理论考试）或 practical（实际操作考试）。", "kind")
    if texts["attempt"] not in ("", *AttemptKind.__members__.values()):
        raise _refuse("应为 first（初次考试）或 retake（补考）。", "attempt")
    wanted = StatisticsFilter(
        date_from=date_from, date_to=date_to, site=texts["site"] or None, city=texts["city"] or None,
        category=texts["category"] or None, subject=texts["subject"] or None,
        institution=texts["institution"] or None, employer=texts["employer"] or None,
        kind=ExamKind(texts["kind"]) if texts["kind"] else None,
        attempt=AttemptKind(texts["attempt"]) if texts["attempt"] else None)
    return StatisticsQuery(groups, wanted)
