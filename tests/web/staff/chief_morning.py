"""A second sitting for the chief examiner's pages, made through the services beside the exam morning of
tests/web/morning.py: its own room, proctors, a chief examiner whose passphrase the test knows, and a new
version of the morning's rule (different counts) waiting for that chief's approval."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.audit.keys import load_signer
from examsvc.banks.document import PersonnelCategory, QuestionType
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint, Section
from examsvc.blueprints.models import BlueprintVersion
from examsvc.bootstrap import transaction
from examsvc.candidates import service as candidates
from examsvc.candidates.sheets import read_sheet
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.examiners import service as examiners
from examsvc.identity import service as identity
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role
from examsvc.papers import service as papers
from examsvc.papers.keys import paper_key_provider
from examsvc.sites import rooms
from examsvc.sites import service as sites
from examsvc.sittings import checkin, flows, presence
from examsvc.sittings import service as sittings
from examsvc.sittings.models import StaffRole
from tests.web.morning import PASSWORD, SETUP, SITE, _id_number

SITTING2 = "WEB-2"
ROOM = "03"
CHIEF = "web-chief-2"
CHIEF_PASSPHRASE = "chief examiner two's passphrase for the browser tests"
# The new version: two 判断题 fewer, two 单选题 more than version 1 (tests/web/morning.py's SECTIONS).
SECTIONS = ((QuestionType.TRUE_FALSE, 14), (QuestionType.SINGLE_CHOICE, 14), (QuestionType.MULTIPLE_CHOICE, 8))


@dataclass(frozen=True)
class Candidate:
    admission_number: str
    credential: str
    code: str


def _id(db: Session, username: str) -> int:
    return db.scalars(select(UserAccount.id).where(UserAccount.username == username)).one()


def _user(db: Session, role: Role, name: str) -> Actor:
    user = identity.create_user(db_session=db, username=name, display_name="测试人员",
                                password=PASSWORD, roles=[role], actor=SETUP, password_cost_log2=10)
    return Actor.user(user.id, user.username, (str(role),))


def submitted_rule(engine: Engine, settings: Settings) -> int:
    """Version 2 of the morning's rule, submitted; the chief examiner two with a key. Returns the rule's id."""
    with transaction(engine) as db:
        first = db.scalars(select(BlueprintVersion).where(BlueprintVersion.code == "WEB-GEN")).one()
        author = _user(db, Role.EXAM_ADMIN, "web-author-2")
        chief = _user(db, Role.CHIEF_EXAMINER, CHIEF)
        assert chief.user_id is not None
        examiners.create_key(db_session=db, user=identity.get_user(db_session=db, user_id=chief.user_id),
                             passphrase=CHIEF_PASSPHRASE, origin=settings.log_origin, cost_log2=10, actor=chief)
        rule = Blueprint(code="WEB-GEN", version="2", title="一般行业安全生产管理人员安全生产知识考试",
                         bank_code="SX-GEN-MANAGER", personnel_category=PersonnelCategory.SAFETY_MANAGER,
                         sections=tuple(Section(kind, n, 10) for kind, n in SECTIONS),
                         total_points=sum(n for _, n in SECTIONS) * 10, pass_mark=sum(n for _, n in SECTIONS) * 6)
        row = blueprints.create(db_session=db, blueprint=rule, national_bank_version_id=first.national_bank_version_id,
                                provincial_bank_version_id=first.provincial_bank_version_id, actor=author)
        blueprints.submit(db_session=db, blueprint_id=row.id, actor=author)
        return row.id


def second_sitting(engine: Engine, settings: Settings, rule_id: int, enrolment_code: str,
                   count: int = 2) -> list[Candidate]:
    """WEB-2 under the approved version 2, in a room of its own, staffed and registered, its papers sealed to
    the chief examiner two (who cosigns and opens it in the browser); starts two seconds from now. Its PCs
    enrol with the site's current code (``enrolment_code``), left as it is for the other tests."""
    with transaction(engine) as db:
        author = Actor.user(_id(db, "web-author-2"), "web-author-2", (str(Role.EXAM_ADMIN),))
        chief_id = _id(db, CHIEF)
        chief = Actor.user(chief_id, CHIEF, (str(Role.CHIEF_EXAMINER),))
        enrolled = []
        for n in range(count + 1):
            one = sites.enrol_workstation(db_session=db, site_code=SITE, enrolment_code=enrolment_code,
                                          name=f"三考场{n + 1}号机")
            sites.approve_workstation(db_session=db, workstation_id=one.workstation.id, actor=SETUP)
            enrolled.append(one)
        rooms.create_room(db_session=db, site_code=SITE, code=ROOM, name="第03考场", seats=count, actor=SETUP)
        for n in range(count):
            rooms.bind_seat(db_session=db, site_code=SITE, room_code=ROOM, number=n + 1,
                            workstation_id=enrolled[n].workstation.id, actor=SETUP)
        start = utcnow() + timedelta(seconds=2)
        sittings.create(db_session=db, code=SITTING2, title="一般行业安全生产管理人员考试（第二场）",
                        blueprint_id=rule_id, site_code=SITE, room_codes=[ROOM], scheduled_start=start,
                        late_entry_minutes=15, proctors_per_room=2, actor=SETUP, now=utcnow())
        flows.assign_staff(db_session=db, code=SITTING2, user_id=chief_id, role=StaffRole.CHIEF_EXAMINER,
                           room_code=None, actor=SETUP)
        staff = [chief]
        for p in range(2):
            proctor = _user(db, Role.PROCTOR, f"web-proctor-{ROOM}-{p}")
            assert proctor.user_id is not None
            flows.assign_staff(db_session=db, code=SITTING2, user_id=proctor.user_id, role=StaffRole.PROCTOR,
                               room_code=ROOM, actor=SETUP)
            staff.append(proctor)
        for person in staff:
            assert person.user_id is not None
            presence.check_in(db_session=db, code=SITTING2, user_id=person.user_id,
                              workstation=enrolled[-1].workstation, actor=person)
        sheet = "姓名,身份证号,培训机构,工作单位\n" + "".join(
            f"二场考生{n + 1},{_id_number(500 + n)},,\n" for n in range(count))
        registered = candidates.register(db_session=db, code=SITTING2, sheet=read_sheet(sheet.encode(), "名单.csv"),
                                         min_age=18, max_age=70, actor=SETUP)
        papers.generate(db_session=db, sitting_code=SITTING2, candidates=[r.admission_number for r in registered],
                        signer=load_signer(settings), keys=paper_key_provider(settings), actor=author)
        numbers = [r.admission_number for r in registered]
    return [Candidate(number, enrolled[n].credential, "") for n, number in enumerate(numbers)]


def check_in(engine: Engine, found: list[Candidate]) -> list[Candidate]:
    """Each candidate checked in by a proctor of room 03 (after the opening): their one-time codes."""
    out = []
    with transaction(engine) as db:
        name = f"web-proctor-{ROOM}-0"
        actor = Actor.user(_id(db, name), name, (str(Role.PROCTOR),))
        for n, one in enumerate(found):
            photo = hashlib.sha256(b"2-%d" % n).hexdigest()
            _, code = checkin.check_in(db_session=db, code=SITTING2, admission_number=one.admission_number,
                                       id_number=_id_number(500 + n), photo_digest=photo, room_code=ROOM,
                                       seat_number=n + 1, now=utcnow(), actor=actor)
            out.append(Candidate(one.admission_number, one.credential, code))
    return out


def wait_for_start(engine: Engine) -> None:
    with transaction(engine) as db:
        start = sittings.get(db_session=db, code=SITTING2).scheduled_start
    time.sleep(max(0.0, (start - utcnow()).total_seconds()))
