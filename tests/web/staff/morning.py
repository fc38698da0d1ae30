"""A second sitting on the browser tests' server, for the staff console: a site of its own with one room of
eight bound seats, its own chief examiner, three proctors (two present, one still to check in on the
room's workstation), an inspector and an exam admin; six candidates registered with approved papers, the
sitting open, four of them checked in (seats 1–4) and two still at the door."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from examsvc.audit.keys import load_signer
from examsvc.bootstrap import transaction
from examsvc.candidates import service as candidates
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
from tests.web.morning import PASSWORD, SETUP, SITTING, Seat, _id_number, _user

STAFF_SITTING = "WEB-S"
STAFF_SITE = "WEBS"
ROOM = "01"
SEATS = 8
REGISTERED = 6
CHECKED_IN = 4


@dataclass
class StaffMorning:
    base: str
    seats: list[Seat]  # checked in on seats 1..4, each with its one-time code
    waiting: list[tuple[str, str]]  # (admission number, ID number) registered, not yet checked in
    credentials: dict[int, str]  # seat number -> its workstation's credential (seats 1..8)
    desk_credential: str  # the room's staff workstation (not a seat): presence check-in
    users: dict[str, str] = field(default_factory=dict)  # what -> user name (password PASSWORD)

    def token(self, who: str) -> dict[str, str]:
        answer = httpx.post(f"{self.base}/auth/login", json={"username": self.users[who], "password": PASSWORD},
                            timeout=30)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def start(self, seat: Seat) -> dict[str, str]:
        """The candidate signs in on their seat's workstation and starts answering (through the API)."""
        station = {"X-Workstation-Token": self.credentials[seat.seat]}
        session = httpx.post(f"{self.base}/candidate-sessions", headers=station, timeout=30,
                             json={"admission_number": seat.admission_number, "code": seat.code})
        assert session.status_code == 201, session.text
        headers = station | {"X-Candidate-Session": session.json()["session_token"]}
        started = httpx.post(f"{self.base}/attempt/start", headers=headers, timeout=30)
        assert started.status_code == 200, started.text
        return headers

    def act(self, who: str, admission_number: str, action: str, **extra: Any) -> httpx.Response:
        return httpx.post(f"{self.base}/sittings/{STAFF_SITTING}/attempts/{admission_number}/{action}",
                          headers=self.token(who), json={"reason": "监考记录", **extra}, timeout=30)


def staff_morning(engine: Engine, settings: Settings, base: str) -> StaffMorning:
    signer, keys = load_signer(settings), paper_key_provider(settings)
    passphrase = secrets.token_urlsafe(24)
    with transaction(engine) as db:
        sites.create_site(db_session=db, code=STAFF_SITE, name="大同市第二考点", address="", actor=SETUP)
        enrolled = []
        for n in range(SEATS + 1):
            code = sites.rotate_enrolment_code(db_session=db, code=STAFF_SITE, actor=SETUP).enrolment_code
            one = sites.enrol_workstation(db_session=db, site_code=STAFF_SITE, enrolment_code=code,
                                          name=f"S{n + 1}号机")
            sites.approve_workstation(db_session=db, workstation_id=one.workstation.id, actor=SETUP)
            enrolled.append(one)
        rooms.create_room(db_session=db, site_code=STAFF_SITE, code=ROOM, name="第01考场", seats=SEATS, actor=SETUP)
        for n in range(SEATS):
            rooms.bind_seat(db_session=db, site_code=STAFF_SITE, room_code=ROOM, number=n + 1,
                            workstation_id=enrolled[n].workstation.id, actor=SETUP)
        rule_id = sittings.get(db_session=db, code=SITTING).blueprint_version_id
        users = {what: _user(db, role, f"staff-{what}") for what, role in (
            ("chief", Role.CHIEF_EXAMINER), ("proctor-a", Role.PROCTOR), ("proctor-b", Role.PROCTOR),
            ("proctor-late", Role.PROCTOR), ("inspector", Role.INSPECTOR), ("admin", Role.EXAM_ADMIN),
            ("auditor", Role.AUDITOR))}
        chief = users["chief"]
        assert chief.user_id is not None
        examiners.create_key(db_session=db, user=identity.get_user(db_session=db, user_id=chief.user_id),
                             passphrase=passphrase, origin=settings.log_origin, cost_log2=10, actor=chief)
        start = utcnow() + timedelta(seconds=1)
        sittings.create(db_session=db, code=STAFF_SITTING, title="一般行业安全生产管理人员考试（第二考点）",
                        blueprint_id=rule_id, site_code=STAFF_SITE, room_codes=[ROOM], scheduled_start=start,
                        late_entry_minutes=60, proctors_per_room=2, actor=SETUP, now=utcnow())
        flows.assign_staff(db_session=db, code=STAFF_SITTING, user_id=chief.user_id, role=StaffRole.CHIEF_EXAMINER,
                           room_code=None, actor=SETUP)
        for what in ("proctor-a", "proctor-b", "proctor-late"):
            proctor = users[what]
            assert proctor.user_id is not None
            flows.assign_staff(db_session=db, code=STAFF_SITTING, user_id=proctor.user_id, role=StaffRole.PROCTOR,
                               room_code=ROOM, actor=SETUP)
        for what in ("chief", "proctor-a", "proctor-b"):
            person = users[what]
            assert person.user_id is not None
            presence.check_in(db_session=db, code=STAFF_SITTING, user_id=person.user_id,
                              workstation=enrolled[-1].workstation, actor=person)
        numbers = [_id_number(100 + n) for n in range(REGISTERED)]
        sheet = "姓名,身份证号,培训机构,工作单位\n" + "".join(f"二考生{n + 1},{number},,\n"
                                                        for n, number in enumerate(numbers))
        registered = candidates.register(db_session=db, code=STAFF_SITTING, min_age=18, max_age=70, actor=SETUP,
                                         sheet=read_sheet(sheet.encode(), "名单.csv"))
        made = papers.generate(db_session=db, sitting_code=STAFF_SITTING,
                               candidates=[r.admission_number for r in registered], signer=signer, keys=keys,
                               actor=users["admin"])
        papers.approve(db_session=db, paper_set_id=made.id, passphrase=passphrase, keys=keys, actor=chief)
        presence.open_sitting(db_session=db, code=STAFF_SITTING, passphrase=passphrase, now=utcnow(),
                              window_minutes=30, keys=keys, actor=chief)
        seats = []
        for n, registration in enumerate(registered[:CHECKED_IN]):
            _, code = checkin.check_in(db_session=db, code=STAFF_SITTING, id_number=numbers[n],
                                       admission_number=registration.admission_number,
                                       photo_digest=hashlib.sha256(b"s%d" % n).hexdigest(),
                                       room_code=ROOM, seat_number=n + 1, now=utcnow(), actor=users["proctor-a"])
            seats.append(Seat(registration.admission_number, numbers[n], ROOM, n + 1, enrolled[n].credential, code))
        morning = StaffMorning(
            base=base, seats=seats,
            waiting=[(r.admission_number, numbers[CHECKED_IN + i]) for i, r in enumerate(registered[CHECKED_IN:])],
            credentials={n + 1: enrolled[n].credential for n in range(SEATS)}, desk_credential=enrolled[-1].credential,
            users={what: actor.label or "" for what, actor in users.items()})
    time.sleep(max(0.0, (start - utcnow()).total_seconds()))  # 统一开考: nobody starts before the start
    return morning
