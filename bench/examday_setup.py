"""An exam morning made through the services, ready for the load: a site with approved workstations, rooms
of seats bound to them, staff present, an approved 低压电工 rule over the sample banks, N registered
candidates with sealed and approved papers, the sitting open, every candidate checked in and signed in.
Returns what each simulated workstation needs: its credential and its candidate's session."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.audit.keys import load_signer
from examsvc.banks import files
from examsvc.banks.document import Level, PersonnelCategory, QuestionType
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint, Section
from examsvc.bootstrap import transaction
from examsvc.candidates import service as candidates
from examsvc.candidates.id_number import check_character
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

SITTING = "BENCH-DAY"
PASSPHRASE = secrets.token_urlsafe(24)  # the benchmark chief examiner's, made anew each run
ROOM_SEATS = 200
ADMIN = Actor.system("benchmark setup")


@dataclass(frozen=True)
class Station:
    credential: str
    session: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Workstation-Token": self.credential, "X-Candidate-Session": self.session}


def _user(db_session: Session, role: Role, n: int) -> Actor:
    user = identity.create_user(db_session=db_session, username=f"bench-{role}-{n}", display_name="基准人员",
                                password=secrets.token_urlsafe(16), roles=[role], actor=ADMIN, password_cost_log2=10)
    return Actor.user(user.id, user.username, (str(role),))


def _id_number(n: int) -> str:
    first17 = f"140105{19800101 + n % 28:08d}{n % 1000:03d}"
    return first17 + check_character(first17)


def exam_morning(engine: Engine, settings: Settings, count: int) -> list[Station]:
    signer, keys = load_signer(settings), paper_key_provider(settings)
    rooms_needed = -(-count // ROOM_SEATS)
    with transaction(engine) as db:
        sites.create_site(db_session=db, code="BENCH", name="基准考点", address="", actor=ADMIN)
        workstations = []
        for n in range(count + 1):  # the last one is the staff's
            code = sites.rotate_enrolment_code(db_session=db, code="BENCH", actor=ADMIN).enrolment_code
            enrolled = sites.enrol_workstation(db_session=db, site_code="BENCH", enrolment_code=code, name=f"{n}号机")
            sites.approve_workstation(db_session=db, workstation_id=enrolled.workstation.id, actor=ADMIN)
            workstations.append(enrolled)
        for r in range(rooms_needed):
            rooms.create_room(db_session=db, site_code="BENCH", code=f"{r + 1:02d}", name=f"第{r + 1}考场",
                              seats=ROOM_SEATS, actor=ADMIN)
        for n in range(count):
            rooms.bind_seat(db_session=db, site_code="BENCH", room_code=f"{n // ROOM_SEATS + 1:02d}",
                            number=n % ROOM_SEATS + 1, workstation_id=workstations[n].workstation.id, actor=ADMIN)
        banks = {r.version.part: r.version.id for r in files.import_paths(
            db_session=db, paths=[files.sample_banks_dir() / "low_voltage_electrician"], actor=ADMIN, publish=True)}
        author, chief = _user(db, Role.EXAM_ADMIN, 0), _user(db, Role.CHIEF_EXAMINER, 0)
        rule = Blueprint(code="BENCH-LV", version="1", title="低压电工作业理论考试", bank_code="SX-ELEC-LV",
                         personnel_category=PersonnelCategory.SPECIAL_OPERATIONS, operation_item="1.2",
                         sections=(Section(QuestionType.TRUE_FALSE, 70, 10),
                                   Section(QuestionType.SINGLE_CHOICE, 30, 10)),
                         level_shares={Level.AWARE: 20, Level.GRASP: 30, Level.MASTER: 50}, level_tolerance=5,
                         provincial_min_share=15)
        row = blueprints.create(db_session=db, blueprint=rule, national_bank_version_id=banks["national"],
                                provincial_bank_version_id=banks["provincial"], actor=author)
        blueprints.submit(db_session=db, blueprint_id=row.id, actor=author)
        assert chief.user_id is not None
        chief_user = identity.get_user(db_session=db, user_id=chief.user_id)
        examiners.create_key(db_session=db, user=chief_user, passphrase=PASSPHRASE, origin=settings.log_origin,
                             cost_log2=10, actor=chief)
        blueprints.approve(db_session=db, blueprint_id=row.id, passphrase=PASSPHRASE, actor=chief)
        start = utcnow() + timedelta(seconds=1)
        sittings.create(db_session=db, code=SITTING, title="基准考试", blueprint_id=row.id, site_code="BENCH",
                        room_codes=[f"{r + 1:02d}" for r in range(rooms_needed)],
                        # 统一开考: candidates start only once the scheduled start has passed (waited for
                        # at the end of the set-up, if it has not by then).
                        scheduled_start=start, late_entry_minutes=15,
                        proctors_per_room=2, actor=ADMIN, now=utcnow())
        flows.assign_staff(db_session=db, code=SITTING, user_id=chief.user_id, role=StaffRole.CHIEF_EXAMINER,
                           room_code=None, actor=ADMIN)
        proctors = []
        for r in range(rooms_needed):
            for p in range(2):
                proctor = _user(db, Role.PROCTOR, r * 2 + p)
                assert proctor.user_id is not None
                flows.assign_staff(db_session=db, code=SITTING, user_id=proctor.user_id, role=StaffRole.PROCTOR,
                                   room_code=f"{r + 1:02d}", actor=ADMIN)
                proctors.append(proctor)
        for person in (chief, *proctors):
            assert person.user_id is not None
            presence.check_in(db_session=db, code=SITTING, user_id=person.user_id,
                              workstation=workstations[-1].workstation, actor=person)
        sheet = "姓名,身份证号,培训机构,工作单位\n" + "".join(f"考生{n},{_id_number(n)},,\n" for n in range(count))
        registered = candidates.register(db_session=db, code=SITTING, sheet=read_sheet(sheet.encode(), "基准名单.csv"),
                                         min_age=18, max_age=70, actor=ADMIN)
        numbers = [r.admission_number for r in registered]
        made = papers.generate(db_session=db, sitting_code=SITTING, candidates=numbers, signer=signer, keys=keys,
                               actor=author)
        papers.approve(db_session=db, paper_set_id=made.id, passphrase=PASSPHRASE, keys=keys, actor=chief)
        presence.open_sitting(db_session=db, code=SITTING, passphrase=PASSPHRASE, now=utcnow(), window_minutes=30,
                              keys=keys, actor=chief)
        stations = []
        for n, registration in enumerate(registered):
            room_proctor = proctors[(n // ROOM_SEATS) * 2]
            _, code = checkin.check_in(db_session=db, code=SITTING, admission_number=registration.admission_number,
                                       id_number=_id_number(n), photo_digest=hashlib.sha256(b"%d" % n).hexdigest(),
                                       room_code=f"{n // ROOM_SEATS + 1:02d}", seat_number=n % ROOM_SEATS + 1,
                                       now=utcnow(), actor=room_proctor)
            workstation = workstations[n].workstation
            token = checkin.sign_in(db_session=db, admission_number=registration.admission_number,
                                    one_time_code=code, workstation=workstation,
                                    actor=Actor.workstation(workstation.id, workstation.site_id))
            stations.append(Station(workstations[n].credential, token))
    time.sleep(max(0.0, (start - utcnow()).total_seconds()))
    return stations
