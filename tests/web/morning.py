"""An exam morning for the browser tests, made through the services and committed (a real ``examsvc serve``
process reads it): one site, two rooms of bound workstations, staff present, an approved rule over the
sample 一般行业安全生产管理人员 banks (判断题, 单选题 and 多选题), candidates registered with sealed and
approved papers, the sitting open and every candidate checked in by a proctor, each with a one-time code."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.attempts.models import Attempt
from examsvc.audit.actors import Actor
from examsvc.audit.keys import load_signer
from examsvc.banks import files
from examsvc.banks.document import PersonnelCategory, QuestionType
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint, Section
from examsvc.bootstrap import transaction
from examsvc.candidates import service as candidates
from examsvc.candidates.id_number import check_character
from examsvc.candidates.models import Registration
from examsvc.candidates.sheets import read_sheet
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.examiners import service as examiners
from examsvc.identity import service as identity
from examsvc.identity.roles import Role
from examsvc.papers import service as papers
from examsvc.papers.keys import paper_key_provider
from examsvc.sites import rooms
from examsvc.sites import service as sites
from examsvc.sittings import checkin, flows, presence
from examsvc.sittings import service as sittings
from examsvc.sittings.models import StaffRole

SITTING = "WEB-1"
SITE = "WEB"
ROOMS = ("01", "02")
PASSWORD = "proctor password for the browser tests"
SETUP = Actor.system("browser test setup")
# 36 questions: enough for the 30+ answers of the offline test; each type at least once.
SECTIONS = ((QuestionType.TRUE_FALSE, 16), (QuestionType.SINGLE_CHOICE, 12), (QuestionType.MULTIPLE_CHOICE, 8))


@dataclass(frozen=True)
class Seat:
    """One candidate's place: the workstation's credential (the browser's cookie) and the one-time code."""

    admission_number: str
    id_number: str
    room: str
    seat: int
    credential: str
    code: str


@dataclass
class Morning:
    seats: list[Seat]
    spare_credentials: dict[str, str]  # room -> its bound, free workstation (the seat after the last): moves
    spare_seat: int
    enrolment_code: str  # the site's current code: a technician enrols a new PC with it
    proctor_names: dict[str, str]  # room -> a proctor's user name (password PASSWORD)
    paper_set_id: int


def _id_number(n: int) -> str:
    first17 = f"140105{19800101 + n % 28:08d}{n % 1000:03d}"
    return first17 + check_character(first17)


def _user(db_session: Session, role: Role, name: str) -> Actor:
    user = identity.create_user(db_session=db_session, username=name, display_name="测试人员",
                                password=PASSWORD, roles=[role], actor=SETUP, password_cost_log2=10)
    return Actor.user(user.id, user.username, (str(role),))


def exam_morning(engine: Engine, settings: Settings, count: int) -> Morning:
    signer, keys = load_signer(settings), paper_key_provider(settings)
    passphrase = secrets.token_urlsafe(24)
    per_room = -(-count // len(ROOMS))
    with transaction(engine) as db:
        sites.create_site(db_session=db, code=SITE, name="太原市第一考点", address="", actor=SETUP)
        enrolled = []
        for n in range(count + len(ROOMS) + 1):  # one per candidate, a spare per room, the staff's
            code = sites.rotate_enrolment_code(db_session=db, code=SITE, actor=SETUP).enrolment_code
            one = sites.enrol_workstation(db_session=db, site_code=SITE, enrolment_code=code, name=f"{n + 1}号机")
            sites.approve_workstation(db_session=db, workstation_id=one.workstation.id, actor=SETUP)
            enrolled.append(one)
        enrolment_code = sites.rotate_enrolment_code(db_session=db, code=SITE, actor=SETUP).enrolment_code
        places = [(ROOMS[n % len(ROOMS)], n // len(ROOMS) + 1) for n in range(count)]
        for r, room in enumerate(ROOMS):
            rooms.create_room(db_session=db, site_code=SITE, code=room, name=f"第{room}考场", seats=per_room + 1,
                              actor=SETUP)
            rooms.bind_seat(db_session=db, site_code=SITE, room_code=room, number=per_room + 1,
                            workstation_id=enrolled[count + r].workstation.id, actor=SETUP)
        for n, (room, seat) in enumerate(places):
            rooms.bind_seat(db_session=db, site_code=SITE, room_code=room, number=seat,
                            workstation_id=enrolled[n].workstation.id, actor=SETUP)
        banks = {r.version.part: r.version.id for r in files.import_paths(
            db_session=db, paths=[files.sample_banks_dir() / "general_safety_manager"], actor=SETUP, publish=True)}
        author, chief = _user(db, Role.EXAM_ADMIN, "web-author"), _user(db, Role.CHIEF_EXAMINER, "web-chief")
        rule = Blueprint(code="WEB-GEN", version="1", title="一般行业安全生产管理人员安全生产知识考试",
                         bank_code="SX-GEN-MANAGER", personnel_category=PersonnelCategory.SAFETY_MANAGER,
                         sections=tuple(Section(kind, n, 10) for kind, n in SECTIONS),
                         total_points=sum(n for _, n in SECTIONS) * 10, pass_mark=sum(n for _, n in SECTIONS) * 8)
        row = blueprints.create(db_session=db, blueprint=rule, national_bank_version_id=banks["national"],
                                provincial_bank_version_id=banks["provincial"], actor=author)
        blueprints.submit(db_session=db, blueprint_id=row.id, actor=author)
        assert chief.user_id is not None
        examiners.create_key(db_session=db, user=identity.get_user(db_session=db, user_id=chief.user_id),
                             passphrase=passphrase, origin=settings.log_origin, cost_log2=10, actor=chief)
        blueprints.approve(db_session=db, blueprint_id=row.id, passphrase=passphrase, actor=chief)
        start = utcnow() + timedelta(seconds=1)
        sittings.create(db_session=db, code=SITTING, title="一般行业安全生产管理人员考试", blueprint_id=row.id,
                        site_code=SITE, room_codes=list(ROOMS), scheduled_start=start, late_entry_minutes=15,
                        proctors_per_room=2, actor=SETUP, now=utcnow())
        flows.assign_staff(db_session=db, code=SITTING, user_id=chief.user_id, role=StaffRole.CHIEF_EXAMINER,
                           room_code=None, actor=SETUP)
        proctors: dict[str, list[Actor]] = {}
        for room in ROOMS:
            for p in range(2):
                proctor = _user(db, Role.PROCTOR, f"web-proctor-{room}-{p}")
                assert proctor.user_id is not None
                flows.assign_staff(db_session=db, code=SITTING, user_id=proctor.user_id, role=StaffRole.PROCTOR,
                                   room_code=room, actor=SETUP)
                proctors.setdefault(room, []).append(proctor)
        for person in (chief, *[p for ps in proctors.values() for p in ps]):
            assert person.user_id is not None
            presence.check_in(db_session=db, code=SITTING, user_id=person.user_id,
                              workstation=enrolled[-1].workstation, actor=person)
        sheet = "姓名,身份证号,培训机构,工作单位\n" + "".join(f"考生{n + 1},{_id_number(n)},,\n" for n in range(count))
        registered = candidates.register(db_session=db, code=SITTING, sheet=read_sheet(sheet.encode(), "名单.csv"),
                                         min_age=18, max_age=70, actor=SETUP)
        made = papers.generate(db_session=db, sitting_code=SITTING, candidates=[r.admission_number for r in registered],
                               signer=signer, keys=keys, actor=author)
        papers.approve(db_session=db, paper_set_id=made.id, passphrase=passphrase, keys=keys, actor=chief)
        presence.open_sitting(db_session=db, code=SITTING, passphrase=passphrase, now=utcnow(), window_minutes=30,
                              keys=keys, actor=chief)
        seats = []
        for n, registration in enumerate(registered):
            room, seat = places[n]
            _, code = checkin.check_in(db_session=db, code=SITTING, admission_number=registration.admission_number,
                                       id_number=_id_number(n), photo_digest=hashlib.sha256(b"%d" % n).hexdigest(),
                                       room_code=room, seat_number=seat, now=utcnow(), actor=proctors[room][0])
            seats.append(Seat(registration.admission_number, _id_number(n), room, seat, enrolled[n].credential, code))
        spares = {room: enrolled[count + r].credential for r, room in enumerate(ROOMS)}
        morning = Morning(seats=seats, spare_credentials=spares, spare_seat=per_room + 1,
                          enrolment_code=enrolment_code,
                          proctor_names={room: ps[0].label or "" for room, ps in proctors.items()},
                          paper_set_id=made.id)
    time.sleep(max(0.0, (start - utcnow()).total_seconds()))  # 统一开考: nobody starts before the start
    return morning


def age(engine: Engine, admission_number: str, seconds: float) -> None:
    """Moves a running attempt's start into the past, as if ``seconds`` had gone by (tests/attempts/exam.py
    does the same): a 36-question paper reaches its deadline without a test waiting for it."""
    with transaction(engine) as db:
        registration = db.scalars(select(Registration).where(Registration.admission_number == admission_number)).one()
        attempt = db.scalars(select(Attempt).where(Attempt.registration_id == registration.id)).one()
        db.execute(update(Attempt).where(Attempt.id == attempt.id).values(
            started_at=attempt.started_at - timedelta(seconds=seconds)))
