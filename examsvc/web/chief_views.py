"""What the chief examiner's pages show, read through the services (no rule of the exam decided here).

Every action on these pages (approve, reject, cosign, open, close, publish, review) is a call of the JSON
API's own route from ``static/staff-forms.js``: the page only shows what is about to be signed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.banks.document import CATEGORY_LABELS, PERSON_KIND_LABELS, QuestionType
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.candidates.models import Registration
from examsvc.errors import NotFound
from examsvc.papers import service as papers
from examsvc.papers.feasibility import FeasibilityReport
from examsvc.papers.models import PaperSet
from examsvc.results import service as results
from examsvc.results.models import Result
from examsvc.sites import rooms as site_rooms
from examsvc.sittings import presence, record
from examsvc.sittings.models import RoomRecord, Sitting, StaffAssignment, StaffRole

TYPE_LABELS = {QuestionType.TRUE_FALSE: "判断题", QuestionType.SINGLE_CHOICE: "单选题",
               QuestionType.MULTIPLE_CHOICE: "多选题"}
SET_STATUS: dict[str, str] = {"sealed": "已封存，待主考会签", "approved": "已会签，待开考", "opened": "已开启",
                              "closed": "已关闭"}


def points(tenths: int) -> str:
    return f"{tenths / 10:g}"


@dataclass(frozen=True)
class Difference:
    what: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def pending_rules(db_session: Session) -> list[BlueprintVersion]:
    return [r for r in blueprints.list_all(db_session=db_session) if r.status == BlueprintStatus.SUBMITTED]


def previous_version(db_session: Session, row: BlueprintVersion) -> BlueprintVersion | None:
    """The rule this one replaces: the newest earlier approved version of the same code, else the newest earlier."""
    earlier = [r for r in blueprints.list_all(db_session=db_session) if r.code == row.code and r.id < row.id]
    approved = [r for r in earlier if r.status in (BlueprintStatus.APPROVED, BlueprintStatus.RETIRED)]
    chosen = approved or earlier
    return max(chosen, key=lambda r: r.id) if chosen else None


def _banks(db_session: Session, row: BlueprintVersion) -> str:
    return "；".join(f"{v.bank_code} {v.part} {v.version_label}（{v.content_digest[:12]}…）"
                    for v in blueprints.bank_versions(db_session, row))


def _facts(db_session: Session, row: BlueprintVersion) -> list[tuple[str, str]]:
    rule: Blueprint = blueprints.rule_of(row)
    who = ("人员类别", CATEGORY_LABELS[rule.personnel_category]) if rule.personnel_category is not None else \
        ("受检人员类型（逢查必考）", "、".join(PERSON_KIND_LABELS[k] for k in rule.person_kinds))
    facts = [("名称", rule.title), who, ("题库", rule.bank_code)]
    for section in rule.sections:
        label = TYPE_LABELS.get(section.type, str(section.type))
        facts.append((f"{label} 题数", str(section.count)))
        facts.append((f"{label} 每题分值", points(section.points)))
    facts += [("总分", points(rule.total_points)), ("合格分", points(rule.pass_mark)),
              ("考试时长（分钟）", str(rule.duration_minutes)),
              ("省级题目最低占比（%）", str(rule.provincial_min_share))]
    facts += [(f"知识点配额 {q.prefix}", f"{q.minimum}–{'不限' if q.maximum is None else q.maximum}")
              for q in rule.knowledge_point_quotas]
    facts += [(f"难度层次 {level} 占比（%）", str(share)) for level, share in sorted(rule.level_shares.items())]
    facts.append(("题库版本", _banks(db_session, row)))
    return facts


def difference(db_session: Session, row: BlueprintVersion, previous: BlueprintVersion | None) -> list[Difference]:
    """Each fact of the rule beside the previous version's (sections, counts, points, quotas, bank versions)."""
    new = _facts(db_session, row)
    old = dict(_facts(db_session, previous)) if previous is not None else {}
    seen = {what for what, _ in new}
    rows = [Difference(what, old.get(what, "（无）"), value) for what, value in new]
    rows += [Difference(what, value, "（无）") for what, value in old.items() if what not in seen]
    return rows


def section_label(name: str) -> str:
    """A feasibility cell's section (the question type's code) in words."""
    return TYPE_LABELS.get(QuestionType(name), name) if name in QuestionType.__members__.values() else name


def quota_label(name: str) -> str:
    return "整个题型" if name == "all" else name


def feasibility(db_session: Session, row: BlueprintVersion) -> FeasibilityReport:
    return blueprints.feasibility(db_session=db_session, blueprint_id=row.id)


def chief_sittings(db_session: Session, user_id: int) -> list[Sitting]:
    assigned = select(StaffAssignment.sitting_id).where(StaffAssignment.user_id == user_id,
                                                        StaffAssignment.role == StaffRole.CHIEF_EXAMINER)
    return list(db_session.scalars(select(Sitting).where(Sitting.id.in_(assigned)).order_by(
        Sitting.scheduled_start.desc())))


@dataclass(frozen=True)
class RoomPresence:
    room: str
    present: int
    required: int

    @property
    def ok(self) -> bool:
        return self.present >= self.required


@dataclass(frozen=True)
class Morning:
    rooms: list[RoomPresence]
    chief_present: bool
    missing: list[dict[str, Any]]


def morning(db_session: Session, sitting: Sitting) -> Morning:
    """The presence checklist: proctors present per room against the minimum, the chief on site."""
    counts = presence.present_proctors(db_session, sitting)
    codes = site_rooms.codes(db_session=db_session, room_ids=[r.room_id for r in sitting.rooms])
    missing = presence.missing_staff(db_session, sitting)
    return Morning(rooms=[RoomPresence(codes.get(r.room_id, str(r.room_id)), counts.get(r.room_id, 0),
                                       sitting.proctors_per_room) for r in sitting.rooms],
                   chief_present=not any(m["role"] == "chief_examiner" for m in missing), missing=missing)


@dataclass(frozen=True)
class Manifest:
    """What a cosignature commits to: the signed manifest's lines, and the facts beside them."""

    paper_set: PaperSet
    status: str
    rule_digest: str
    banks: dict[str, str]

    @property
    def lines(self) -> list[str]:
        return self.paper_set.manifest.split("\n\n")[0].split("\n")


def manifests(db_session: Session, sitting: Sitting) -> list[Manifest]:
    found = []
    for paper_set in papers.sets_of_sitting(db_session=db_session, sitting_code=sitting.code):
        rule = blueprints.get(db_session=db_session, blueprint_id=paper_set.blueprint_version_id)
        found.append(Manifest(paper_set, SET_STATUS.get(paper_set.status, paper_set.status), rule.digest,
                              blueprints.bank_digests(db_session, rule)))
    return found


def room_record(db_session: Session, sitting: Sitting) -> RoomRecord | None:
    try:
        return record.get_record(db_session=db_session, code=sitting.code)
    except NotFound:
        return None


@dataclass(frozen=True)
class ResultRow:
    admission_number: str
    name: str
    current: Result
    versions: list[Result]  # oldest first

    def items(self, result: Result) -> list[int]:
        return list(json.loads(result.document)["items"])

    @property
    def review_reason(self) -> str:
        review = json.loads(self.current.document).get("review") or {}
        return str(review.get("reason", ""))

    @property
    def side_by_side(self) -> list[tuple[int, str, str, bool]]:
        """Per item: position, the first version's points, the current version's, changed or not."""
        first, now = self.items(self.versions[0]), self.items(self.current)
        return [(p, points(a), points(b), a != b) for p, (a, b) in enumerate(zip(first, now, strict=True))]


def result_rows(db_session: Session, sitting: Sitting) -> list[ResultRow]:
    rows = []
    for registration, current in results.current_results(db_session, sitting.id):
        versions = list(db_session.scalars(select(Result).where(Result.registration_id == registration.id).order_by(
            Result.version)))
        rows.append(ResultRow(registration.admission_number, registration.candidate.name, current, versions))
    return rows


def published(db_session: Session, sitting: Sitting) -> int:
    """How many results manifests the sitting has (0: not published)."""
    return len(results.manifests(db_session, sitting.id))


def local(moment: Any, zone_name: str) -> str:
    return localtime.local_text(moment, zone_name) if moment is not None else ""


def registration_count(db_session: Session, sitting: Sitting) -> int:
    return len(list(db_session.scalars(select(Registration.id).where(Registration.sitting_id == sitting.id))))
