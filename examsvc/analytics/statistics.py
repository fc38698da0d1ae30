"""Counts and pass rates (人员数质量统计, Shanxi 2022 work plan item 十一), grouped and filtered as a
``StatisticsQuery`` asks: one GROUP BY per exam kind over the current result versions of published sittings,
one over the certificates, merged by group. docs/analytics.md (statistics) says what each count means.

What is counted:
- a *result* is the latest version (复核 adds versions) of a registration's result in a sitting whose results
  are published (a results manifest exists); theory results from ``result``, practical from
  ``practical_result``;
- ``sat`` counts results; ``passed`` those passed and not void; ``void`` the void ones (removal for a
  violation, 暂行办法 art. 21), which count as sat and not passed, as eligibility counts them as failed;
- ``qualified``: practical results passed while the candidate held a theory pass in the subject still valid on
  the practical's day (``eligibility.theory_pass_valid``, as ``practical.qualification`` decides 取得资格);
- ``certificates``: certificates issued (any state now), under the sitting their qualification rests on;
- first attempt or retake: ``examsvc.results.eligibility.is_retake`` on the candidate's history in the same
  subject and exam kind (the only sequential rule here, so it is applied in Python to one lean tuple per
  result; the SQL then groups by it through the set of retake registrations)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from examsvc import localtime
from examsvc.analytics.statistics_filter import (
    ATTEMPT_LABELS,
    KIND_LABELS,
    AttemptKind,
    Dimension,
    ExamKind,
    StatisticsFilter,
    StatisticsQuery,
)
from examsvc.banks.document import CATEGORY_LABELS, PersonnelCategory
from examsvc.candidates.models import Candidate, Registration
from examsvc.certificates.catalogue import SPECIAL_OPERATION_ITEMS
from examsvc.certificates.models import Certificate
from examsvc.errors import InvalidInput
from examsvc.practical.models import PracticalResult
from examsvc.results import eligibility
from examsvc.results.models import Result, ResultsManifest, Retraining
from examsvc.sites.models import Site
from examsvc.sittings.models import Sitting

Key = tuple[str | None, ...]
UNFILLED = "（未填写）"


@dataclass
class Counts:
    sat: int = 0
    passed: int = 0
    void: int = 0
    score_tenths: int = 0  # summed over the results that are not void
    scored: int = 0  # results that are not void
    certificates: int = 0
    qualified: int = 0

    def add(self, other: Counts) -> None:
        self.sat += other.sat
        self.passed += other.passed
        self.void += other.void
        self.score_tenths += other.score_tenths
        self.scored += other.scored
        self.certificates += other.certificates
        self.qualified += other.qualified

    @property
    def failed(self) -> int:
        """Sat, not passed, not void."""
        return self.sat - self.passed - self.void

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.sat if self.sat else None

    @property
    def mean_score(self) -> float | None:
        """Mean score in points of the results that are not void."""
        return round(self.score_tenths / self.scored / 10, 1) if self.scored else None


@dataclass(frozen=True)
class Row:
    key: Key  # one value per grouping, in the query's order
    labels: tuple[str, ...]
    counts: Counts


@dataclass(frozen=True)
class Statistics:
    query: StatisticsQuery
    rows: list[Row]
    total: Counts = field(default_factory=Counts)


@dataclass(frozen=True)
class _Source:
    """One table of results: its rows' columns as the aggregation needs them."""

    kind: ExamKind
    table: Any
    void: ColumnElement[Any]


SOURCES = (_Source(ExamKind.THEORY, Result, Result.void.is_(True)),
           _Source(ExamKind.PRACTICAL, PracticalResult, false()))


def _local(db_session: Session, zone_name: str) -> ColumnElement[Any]:
    """The sitting's start as a local wall-clock time, for year/quarter/month."""
    if db_session.get_bind().dialect.name == "postgresql":
        return func.timezone(zone_name, Sitting.scheduled_start)
    # SQLite has no zones: the zone's offset now (China has kept +08:00 without summer time since 1991).
    offset = datetime.now(UTC).astimezone(localtime.zone(zone_name)).utcoffset() or timedelta()
    return func.datetime(Sitting.scheduled_start, f"{int(offset.total_seconds() // 60):+d} minutes")


def _bounds(wanted: StatisticsFilter, zone_name: str) -> tuple[datetime | None, datetime | None]:
    zone = localtime.zone(zone_name)
    start = (datetime.combine(wanted.date_from, time(), zone).astimezone(UTC) if wanted.date_from else None)
    end = (datetime.combine(wanted.date_to + timedelta(days=1), time(), zone).astimezone(UTC)
           if wanted.date_to else None)
    return start, end


def _ids_param(name: str, ids: set[int]) -> Any:
    # Rendered into the SQL as integers: the same expression sits in SELECT and WHERE, and a list of
    # thousands of ids must not meet a driver's limit on bound parameters.
    return bindparam(name, sorted(ids), expanding=True, literal_execute=True)


class _Plan:
    """The grouping columns and filters shared by the result and certificate aggregations."""

    def __init__(self, db_session: Session, query: StatisticsQuery, zone_name: str, retakes: set[int] | None,
                 qualified: set[int] | None = None) -> None:
        self.query, self.retakes, self.qualified = query, retakes, qualified or set()
        local = _local(db_session, zone_name)
        self.year = cast(extract("year", local), Integer)
        self.month = cast(extract("month", local), Integer)
        self.bounds = _bounds(query.filter, zone_name)

    def is_retake(self) -> ColumnElement[bool]:
        assert self.retakes is not None
        return Registration.id.in_(_ids_param("retakes", self.retakes))

    def columns(self, kind: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
        """The grouping columns, labelled g0, g1 … (a month or quarter is two: the year and the part)."""
        out: list[ColumnElement[Any]] = []
        for dimension in self.query.group_by:
            if dimension is Dimension.KIND:
                if kind is not None:
                    out.append(kind)
                continue
            out.extend(self._expressions(dimension))
        return [c.label(f"g{n}") for n, c in enumerate(out)]

    def _expressions(self, dimension: Dimension) -> list[Any]:
        match dimension:
            case Dimension.CATEGORY:
                return [Registration.personnel_category]
            case Dimension.SUBJECT:
                return [Registration.subject]
            case Dimension.SITE:
                return [Site.code]
            case Dimension.CITY:
                return [Site.city]
            case Dimension.INSTITUTION:
                return [func.coalesce(Registration.training_institution, Candidate.training_institution)]
            case Dimension.EMPLOYER:
                return [Candidate.employer]
            case Dimension.YEAR:
                return [self.year]
            case Dimension.QUARTER:
                return [self.year, (self.month + 2) / 3]
            case Dimension.MONTH:
                return [self.year, self.month]
            case Dimension.ATTEMPT:
                return [case((self.is_retake(), AttemptKind.RETAKE.value), else_=AttemptKind.FIRST.value)]
        raise AssertionError(dimension)

    def filtered(self, stmt: Select[Any], *, skip_attempt: bool = False) -> Select[Any]:
        wanted = self.query.filter
        start, end = self.bounds
        if start is not None:
            stmt = stmt.where(Sitting.scheduled_start >= start)
        if end is not None:
            stmt = stmt.where(Sitting.scheduled_start < end)
        for column, value in ((Site.code, wanted.site), (Site.city, wanted.city),
                              (Registration.personnel_category, wanted.category),
                              (Registration.subject, wanted.subject), (Candidate.employer, wanted.employer),
                              (func.coalesce(Registration.training_institution, Candidate.training_institution),
                               wanted.institution)):
            if value is not None:
                stmt = stmt.where(column == value)
        if wanted.attempt is not None and not skip_attempt:
            retake = self.is_retake()
            stmt = stmt.where(retake if wanted.attempt is AttemptKind.RETAKE else ~retake)
        return stmt

    def key(self, values: Iterable[Any], kind: str | None) -> Key:
        """The row's group key, one text per grouping (``2026-03``, ``2026-Q1``, ``theory`` …)."""
        it = iter(values)
        out: list[str | None] = []
        for dimension in self.query.group_by:
            if dimension is Dimension.KIND:
                out.append(kind if kind is not None else next(it))
            elif dimension is Dimension.MONTH:
                year, month = next(it), next(it)
                out.append(f"{int(year):04d}-{int(month):02d}")
            elif dimension is Dimension.QUARTER:
                year, quarter = next(it), next(it)
                out.append(f"{int(year):04d}-Q{int(quarter)}")
            elif dimension is Dimension.YEAR:
                out.append(f"{int(next(it)):04d}")
            else:
                value = next(it)
                out.append(None if value is None or value == "" else str(value))
        return tuple(out)


def _facts(source: _Source, *columns: Any) -> Select[Any]:
    """The current result versions of published sittings, joined to what is grouped on."""
    table = source.table
    newer = aliased(table)
    # "No newer version" rather than a join to max(version) per registration: PostgreSQL estimates that
    # join at 0.5 % of its rows and plans nested loops (0.74 s instead of 0.2 s on 100,000 results).
    current = ~exists().where(newer.registration_id == table.registration_id, newer.version > table.version)
    return (select(*columns).select_from(table)
            .join(Registration, Registration.id == table.registration_id)
            .join(Candidate, Candidate.id == Registration.candidate_id)
            .join(Sitting, Sitting.id == Registration.sitting_id)
            .join(Site, Site.id == Sitting.site_id)
            .where(current, Sitting.id.in_(select(ResultsManifest.sitting_id))))


def _result_counts(db_session: Session, plan: _Plan, source: _Source) -> dict[Key, Counts]:
    table = source.table
    groups = plan.columns(None)
    kept = and_(table.passed.is_(True), ~source.void)
    qualified = (func.sum(case((Registration.id.in_(_ids_param("qualified", plan.qualified)), 1), else_=0))
                 if source.kind is ExamKind.PRACTICAL and plan.qualified else literal(0))
    stmt = plan.filtered(_facts(
        source, *groups, func.count().label("sat"), func.sum(case((kept, 1), else_=0)).label("passed"),
        func.sum(case((source.void, 1), else_=0)).label("void"),
        func.sum(case((source.void, 0), else_=table.score)).label("score"),
        func.sum(case((source.void, 0), else_=1)).label("scored"), qualified.label("qualified")))
    if groups:
        stmt = stmt.group_by(*(text(f"g{n}") for n in range(len(groups))))
    out: dict[Key, Counts] = {}
    for row in db_session.execute(stmt):
        values = tuple(row)
        sat, passed, void, score, scored, qualified_count = (int(v or 0) for v in values[len(groups):])
        if not sat:
            continue  # no group: the aggregate of nothing
        counts = Counts(sat=sat, passed=passed, void=void, score_tenths=score, scored=scored,
                        qualified=qualified_count)
        out.setdefault(plan.key(values[:len(groups)], source.kind.value), Counts()).add(counts)
    return out


def _certificate_counts(db_session: Session, plan: _Plan, kinds: tuple[ExamKind, ...]) -> dict[Key, Counts]:
    """Certificates under their qualifying sitting (and that sitting's registration of the holder)."""
    kind = case((Sitting.practical_rule_id.is_not(None), ExamKind.PRACTICAL.value), else_=ExamKind.THEORY.value)
    groups = plan.columns(kind.label("kind"))
    stmt = plan.filtered(
        select(*groups, func.count(Certificate.id).label("certificates")).select_from(Certificate)
        .join(Sitting, Sitting.id == Certificate.sitting_id).join(Site, Site.id == Sitting.site_id)
        .join(Candidate, Candidate.id == Certificate.candidate_id)
        .outerjoin(Registration, and_(Registration.sitting_id == Certificate.sitting_id,
                                      Registration.candidate_id == Certificate.candidate_id)))
    if len(kinds) == 1:
        stmt = stmt.where(kind == kinds[0].value)
    if groups:
        stmt = stmt.group_by(*(text(f"g{n}") for n in range(len(groups))))
    out: dict[Key, Counts] = {}
    for row in db_session.execute(stmt):
        values = tuple(row)
        if values[-1]:
            out.setdefault(plan.key(values[:-1], None), Counts()).add(Counts(certificates=int(values[-1])))
    return out


def retake_registrations(db_session: Session, plan: _Plan, source: _Source) -> set[int]:
    """The registrations whose result was a retake (补考), by ``eligibility.is_retake`` on each candidate's
    published history in the subject and kind. Only candidates with a result the filters select are read."""
    table = source.table
    # Plain integers per row; the sittings' days are read once (a few hundred rows, not one per result).
    lean = _facts(source, Registration.id, Registration.candidate_id, Registration.subject, Sitting.id,
                  and_(table.passed.is_(True), ~source.void)).where(Registration.subject.is_not(None))
    trainings = select(Retraining.candidate_id, Retraining.subject, Retraining.completed_on)
    if replace(plan.query.filter, attempt=None) != StatisticsFilter():
        # Only the people the other filters select (the whole province needs no such restriction).
        in_scope = plan.filtered(_facts(source, Registration.candidate_id), skip_attempt=True).scalar_subquery()
        lean = lean.where(Registration.candidate_id.in_(in_scope))
        trainings = trainings.where(Retraining.candidate_id.in_(in_scope))
    rows = db_session.execute(lean).all()
    retrained: dict[tuple[int, str], date] = {}
    for candidate_id, subject, completed in db_session.execute(trainings):
        day = completed.date()
        retrained[(candidate_id, subject)] = max(retrained.get((candidate_id, subject), day), day)
    days = {sitting_id: (code, start.date()) for sitting_id, code, start in db_session.execute(
        select(Sitting.id, Sitting.code, Sitting.scheduled_start)
        .where(Sitting.id.in_(select(ResultsManifest.sitting_id))))}
    histories: dict[tuple[int, str], list[tuple[int, eligibility.Outcome]]] = {}
    for registration_id, candidate_id, subject, sitting_id, passed in rows:
        code, day = days[sitting_id]
        histories.setdefault((candidate_id, subject), []).append(
            (registration_id, eligibility.Outcome(code, day, True, bool(passed))))
    retakes: set[int] = set()
    for pair, history in histories.items():
        outcomes = [o for _, o in history]
        retakes.update(registration_id for registration_id, outcome in history
                       if eligibility.is_retake(outcomes, retrained.get(pair), outcome.day))
    return retakes


def qualified_registrations(db_session: Session, plan: _Plan) -> set[int]:
    """The practical registrations whose passed result qualified the candidate: a published theory pass in the
    subject, on or before the practical's day, still valid on it (``eligibility.theory_pass_valid``, the test
    ``practical.qualification`` applies). Only practical passes the filters select are read."""
    practical, theory = SOURCES[1], SOURCES[0]
    passes = db_session.execute(plan.filtered(_facts(
        practical, Registration.id, Registration.candidate_id, Registration.subject, Sitting.scheduled_start),
        skip_attempt=True).where(PracticalResult.passed.is_(True))).all()
    if not passes:
        return set()
    candidates = {candidate_id for _, candidate_id, _, _ in passes}
    theory_passes: dict[tuple[int, str], list[eligibility.Outcome]] = {}
    for candidate_id, subject, code, start in db_session.execute(_facts(
            theory, Registration.candidate_id, Registration.subject, Sitting.code, Sitting.scheduled_start)
            .where(Result.passed.is_(True), Result.void.is_(False), Registration.candidate_id.in_(
                _ids_param("candidates", candidates)))):
        theory_passes.setdefault((candidate_id, subject), []).append(
            eligibility.Outcome(code, start.date(), True, True))
    return {registration_id for registration_id, candidate_id, subject, start in passes
            if eligibility.theory_pass_valid([o for o in theory_passes.get((candidate_id, subject), [])
                                              if o.day <= start.date()], start.date())}


def _label(dimension: Dimension, value: str | None, site_names: dict[str, str]) -> str:
    if value is None:
        return UNFILLED
    match dimension:
        case Dimension.SITE:
            return site_names.get(value, value)
        case Dimension.SUBJECT:
            name = SPECIAL_OPERATION_ITEMS.get(value)
            return f"{value} {name}" if name else value
        case Dimension.CATEGORY:
            known = value in PersonnelCategory.__members__.values()
            return CATEGORY_LABELS[PersonnelCategory(value)] if known else value
        case Dimension.KIND:
            return KIND_LABELS[ExamKind(value)]
        case Dimension.ATTEMPT:
            return ATTEMPT_LABELS[AttemptKind(value)]
        case Dimension.QUARTER:
            year, quarter = value.split("-Q")
            return f"{year}年第{quarter}季度"
        case Dimension.MONTH:
            year, month = value.split("-")
            return f"{year}年{int(month)}月"
        case Dimension.YEAR:
            return f"{value}年"
    return value


def _check_site(db_session: Session, wanted: StatisticsFilter) -> None:
    if wanted.site is not None and db_session.scalar(select(Site.id).where(Site.code == wanted.site)) is None:
        raise InvalidInput("考点代码：没有该代码的考点。", code="unknown_site", detail={"field": "site"})


def compute(db_session: Session, query: StatisticsQuery, *, zone_name: str = localtime.DEFAULT_ZONE) -> Statistics:
    """The statistics ``query`` asks for; rows ordered by their key (an unfilled value last)."""
    _check_site(db_session, query.filter)
    wanted = query.filter
    kinds = (wanted.kind,) if wanted.kind is not None else tuple(ExamKind)
    needs_retakes = Dimension.ATTEMPT in query.group_by or wanted.attempt is not None
    retakes: set[int] | None = None
    if needs_retakes:
        unclassified = _Plan(db_session, query, zone_name, set())
        retakes = set()
        for source in SOURCES:
            if source.kind in kinds:
                retakes |= retake_registrations(db_session, unclassified, source)
    qualified = (qualified_registrations(db_session, _Plan(db_session, query, zone_name, set()))
                 if ExamKind.PRACTICAL in kinds else set())
    plan = _Plan(db_session, query, zone_name, retakes, qualified)
    merged: dict[Key, Counts] = {}
    for source in SOURCES:
        if source.kind in kinds:
            for key, counts in _result_counts(db_session, plan, source).items():
                merged.setdefault(key, Counts()).add(counts)
    for key, counts in _certificate_counts(db_session, plan, kinds).items():
        merged.setdefault(key, Counts()).add(counts)
    codes = {k[query.group_by.index(Dimension.SITE)] for k in merged} if Dimension.SITE in query.group_by else set()
    site_names = {code: name for code, name in db_session.execute(select(Site.code, Site.name)
                                                                  .where(Site.code.in_(codes)))} if codes else {}
    rows = [Row(key, tuple(_label(d, v, site_names) for d, v in zip(query.group_by, key, strict=True)), counts)
            for key, counts in sorted(merged.items(), key=lambda kv: tuple((v is None, v or "") for v in kv[0]))]
    total = Counts()
    for row in rows:
        total.add(row.counts)
    return Statistics(query, rows, total)

