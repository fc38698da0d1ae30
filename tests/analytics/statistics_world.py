"""A province's first half of 2026 for the statistics tests: the certificate world (a real theory sitting,
a real practical sitting, certificates issued through the API) and, beside it, sittings at two more sites
in two cities whose results are added as rows — several sittings and months, institutions and employers,
a reviewed result (two versions), a void result, retakes, a practical sitting, an unpublished sitting.

Each added result is also kept as a ``Fact`` saying what it is (retake or not is stated here by hand, not
by the rule under test), and ``expected`` counts the rows one by one for the tests' independent figures."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.attempts.models import Attempt
from examsvc.candidates.models import Candidate, Registration
from examsvc.certificates.models import Certificate
from examsvc.practical.models import PracticalResult
from examsvc.results.models import Result, ResultsManifest, Retraining
from examsvc.sites.models import Site
from examsvc.sittings.models import Sitting
from tests.certificates.world import World

SITES = (("ST-A", "太原第一考点", "太原市"), ("ST-B", "大同考点", "大同市"))
# (code, site, kind, start in UTC, published); T4 starts at 00:30 on 1 April in Beijing (16:30Z on 31 March).
SITTINGS = (
    ("ST-T1", "ST-A", "theory", "2026-01-15T01:00:00", True),
    ("ST-T2", "ST-B", "theory", "2026-02-20T01:00:00", True),
    ("ST-T3", "ST-A", "theory", "2026-04-10T01:00:00", True),
    ("ST-T4", "ST-B", "theory", "2026-03-31T16:30:00", True),
    ("ST-U1", "ST-A", "theory", "2026-05-05T01:00:00", False),
    ("ST-P2", "ST-B", "practical", "2026-03-05T01:00:00", True),
    ("ST-T5", "ST-A", "theory", "2026-06-10T01:00:00", True),
)
# c4's void result (a failed attempt) is followed by re-training on 1 March: T5 is a first attempt again.
RETRAINED = (("c4", "1.2", "2026-03-01T02:00:00"),)
# candidate → (institution on the candidate, employer)
PEOPLE = {
    "c1": ("晋安培训学校", "太钢集团"), "c2": ("晋安培训学校", "太钢集团"), "c3": ("龙城培训中心", "=HYPERLINK(\"x\")"),
    "c4": ("龙城培训中心", None), "c5": (None, "太钢集团"), "c6": ("云冈培训学校", "同煤集团"),
    "c7": ("云冈培训学校", "同煤集团"), "c8": (None, None),
}


@dataclass(frozen=True)
class Fact:
    sitting: str
    person: str
    subject: str
    passed: bool
    score: int  # points
    void: bool = False
    retake: bool = False
    institution: str | None = None  # as sent for this sitting (overrides the candidate's)
    earlier: tuple[tuple[bool, int], ...] = ()  # earlier result versions (passed, points), before review


FACTS = (
    Fact("ST-T1", "c1", "1.2", True, 90),
    Fact("ST-T1", "c2", "1.2", False, 60),
    Fact("ST-T1", "c3", "1.2", False, 70),
    Fact("ST-T1", "c4", "1.2", False, 0, void=True),
    Fact("ST-T1", "c5", "1.2", True, 85, institution="晋安培训学校", earlier=((False, 75),)),
    Fact("ST-T2", "c6", "1.1", True, 88),
    Fact("ST-T2", "c7", "1.1", False, 50),
    Fact("ST-T3", "c2", "1.2", True, 82, retake=True),
    Fact("ST-T3", "c3", "1.2", False, 65, retake=True),
    Fact("ST-T4", "c7", "1.1", True, 80, retake=True),
    Fact("ST-T4", "c8", "1.1", True, 95),
    Fact("ST-U1", "c8", "1.2", False, 40),  # not published: counted nowhere
    Fact("ST-P2", "c6", "1.1", True, 90),
    Fact("ST-P2", "c8", "1.1", False, 70),
    Fact("ST-T5", "c4", "1.2", True, 88),
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def build(world: World) -> None:
    """Adds the sites, sittings, candidates and results above beside the certificate world, and issues the
    world's certificates through the API."""
    for id_number in world.qualified:
        issued = world.issue(id_number)
        assert issued.status_code == 201, issued.text
    db = world.day.db_session
    theory_template = db.scalars(select(Attempt).order_by(Attempt.id)).first()
    assert theory_template is not None
    theory_sitting = db.get(Sitting, theory_template.sitting_id)
    practical_sitting = db.scalars(select(Sitting).where(Sitting.practical_rule_id.is_not(None))).first()
    manifest = db.scalars(select(ResultsManifest)).first()
    assert theory_sitting is not None and practical_sitting is not None and manifest is not None
    sites = {}
    for code, name, city in SITES:
        site = Site(code=code, name=name, city=city, enrolment_code_digest=_digest(code))
        db.add(site)
        sites[code] = site
    db.flush()
    sittings = {}
    for code, site_code, kind, start, published in SITTINGS:
        template = theory_sitting if kind == "theory" else practical_sitting
        sitting = Sitting(code=code, title=template.title, blueprint_version_id=template.blueprint_version_id,
                          practical_rule_id=template.practical_rule_id, site_id=sites[site_code].id,
                          scheduled_start=datetime.fromisoformat(start).replace(tzinfo=UTC),
                          duration_minutes=template.duration_minutes, late_entry_minutes=template.late_entry_minutes,
                          proctors_per_room=template.proctors_per_room, status="closed")
        db.add(sitting)
        db.flush()
        sittings[code] = sitting
        if published:
            db.add(ResultsManifest(sitting_id=sitting.id, version=1, result_count=0, merkle_root=_digest(code),
                                   note="test", signed_by=manifest.signed_by))
    people = {}
    for n, (person, (institution, employer)) in enumerate(PEOPLE.items()):
        candidate = Candidate(id_number=f"14010119900101{n:04d}", name=f"统计考生{n}",
                              training_institution=institution, employer=employer)
        db.add(candidate)
        people[person] = candidate
    db.flush()
    for person, subject, completed in RETRAINED:
        db.add(Retraining(candidate_id=people[person].id, subject=subject, reference="再培训证明",
                          completed_on=datetime.fromisoformat(completed).replace(tzinfo=UTC)))
    for n, fact in enumerate(FACTS):
        sitting = sittings[fact.sitting]
        registration = Registration(sitting_id=sitting.id, candidate_id=people[fact.person].id,
                                    admission_number=f"ST{n:06d}", training_institution=fact.institution,
                                    personnel_category="special_operations", subject=fact.subject)
        db.add(registration)
        db.flush()
        versions = [*fact.earlier, (fact.passed, fact.score)]
        if sitting.practical_rule_id is not None:
            for v, (passed, points) in enumerate(versions, start=1):
                db.add(PracticalResult(sitting_id=sitting.id, registration_id=registration.id, version=v,
                                       score=points * 10, passed=passed, veto_failed=not passed, document="{}",
                                       digest=_digest(f"p{n}.{v}")))
            continue
        attempt = Attempt(sitting_id=sitting.id, registration_id=registration.id, paper_id=theory_template.paper_id,
                          room_id=theory_template.room_id, workstation_id=theory_template.workstation_id,
                          item_count=theory_template.item_count, shape=theory_template.shape,
                          started_at=sitting.scheduled_start, duration_seconds=7200, status="submitted")
        db.add(attempt)
        db.flush()
        for v, (passed, points) in enumerate(versions, start=1):
            db.add(Result(sitting_id=sitting.id, registration_id=registration.id, attempt_id=attempt.id, version=v,
                          score=points * 10, passed=passed and not fact.void, void=fact.void and v == len(versions),
                          document="{}", digest=_digest(f"t{n}.{v}")))
    db.commit()


@dataclass
class Tally:
    sat: int = 0
    passed: int = 0
    void: int = 0
    certificates: int = 0
    qualified: int = 0


def expected(db: Session, key: Callable[[dict[str, Any]], Any],
             keep: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[Any, Tally]:
    """Counts made row by row in Python (no GROUP BY): every result's latest version in a published sitting,
    described as a dict, grouped by ``key``; retakes are the ones the facts declare."""
    published = set(db.scalars(select(ResultsManifest.sitting_id)))
    retakes = {("ST" + f"{n:06d}") for n, f in enumerate(FACTS) if f.retake}
    out: dict[Any, Tally] = {}
    for kind, table in (("theory", Result), ("practical", PracticalResult)):
        latest: dict[int, Any] = {}
        for row in db.scalars(select(table)):
            if row.sitting_id in published and (row.registration_id not in latest
                                                or latest[row.registration_id].version < row.version):
                latest[row.registration_id] = row
        for row in latest.values():
            described = describe(db, db.get(Registration, row.registration_id), kind, retakes)
            if not keep(described):
                continue
            tally = out.setdefault(key(described), Tally())
            tally.sat += 1
            void = kind == "theory" and row.void
            tally.void += void
            tally.passed += row.passed and not void
            tally.qualified += kind == "practical" and row.passed and _held_theory_pass(db, row, published)
    for certificate in db.scalars(select(Certificate)):
        registration = db.scalars(select(Registration).where(
            Registration.sitting_id == certificate.sitting_id,
            Registration.candidate_id == certificate.candidate_id)).one()
        sitting = db.get(Sitting, certificate.sitting_id)
        assert sitting is not None
        described = describe(db, registration, "practical" if sitting.practical_rule_id else "theory", retakes)
        if keep(described):
            out.setdefault(key(described), Tally()).certificates += 1
    db.commit()
    return out


def _held_theory_pass(db: Session, practical: PracticalResult, published: set[int]) -> bool:
    """Whether a published, current, passed theory result in the subject was on or before the practical's
    day and less than 12 months before it (暂行办法 art. 10), checked here with plain dates."""
    registration = db.get(Registration, practical.registration_id)
    sitting = db.get(Sitting, practical.sitting_id)
    assert registration is not None and sitting is not None
    day = sitting.scheduled_start.date()
    for theory in db.scalars(select(Registration).where(Registration.candidate_id == registration.candidate_id,
                                                        Registration.subject == registration.subject)):
        versions = db.scalars(select(Result).where(Result.registration_id == theory.id)
                              .order_by(Result.version.desc())).all()
        held = db.get(Sitting, theory.sitting_id)
        if not versions or held is None or held.id not in published or not versions[0].passed or versions[0].void:
            continue
        passed_on = held.scheduled_start.date()
        if passed_on <= day < passed_on.replace(year=passed_on.year + 1):
            return True
    return False


def describe(db: Session, registration: Registration | None, kind: str, retakes: set[str]) -> dict[str, Any]:
    assert registration is not None
    sitting = db.get(Sitting, registration.sitting_id)
    assert sitting is not None
    site = db.get(Site, sitting.site_id)
    assert site is not None
    local = sitting.scheduled_start.astimezone(ZoneInfo("Asia/Shanghai"))
    candidate = registration.candidate
    return {"kind": kind, "site": site.code, "city": site.city, "subject": registration.subject,
            "category": registration.personnel_category, "employer": candidate.employer,
            "institution": registration.training_institution or candidate.training_institution,
            "month": f"{local:%Y-%m}", "quarter": f"{local.year}-Q{(local.month + 2) // 3}", "year": f"{local:%Y}",
            "date": local.date(), "attempt": "retake" if registration.admission_number in retakes else "first"}

