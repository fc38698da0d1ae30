"""A practical exam day: candidates who passed the theory exam, a practical sitting with a chief
examiner, a proctor and two evaluators in room 01, all checked in, the sitting open."""

from __future__ import annotations

import hashlib
from typing import Any

from examsvc.identity.roles import Role
from examsvc.practical import rules
from examsvc.practical import service as practical_banks
from examsvc.practical.rule import DrawBy, PracticalRule
from examsvc.sites import rooms
from tests.attempts.exam import PASSPHRASE, Exam
from tests.builders import TEST_ACTOR, auth_header, login, make_user
from tests.papers.builders import ROOT
from tests.sittings.test_candidates import csv_of
from tests.sittings.test_presence import _start

LV = ROOT / "question_banks" / "practical" / "low_voltage_electrician.yaml"


def passed_theory(exam: Exam) -> None:
    """Every candidate of the theory sitting answers everything right; results published."""
    for i in range(len(exam.admissions)):
        exam.start(i)
        exam.answer(i, exam.correct(i))
        assert exam.submit(i).status_code == 200
    client = exam.client
    assert client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                       json={"passphrase": PASSPHRASE}).status_code == 200
    assert client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                       json={"passphrase": PASSPHRASE}).status_code == 201


class Practical:
    def __init__(self, exam: Exam, *, draw_by: DrawBy = DrawBy.SYSTEM, code: str = "P-1") -> None:
        self.exam, self.day, self.client, self.code = exam, exam.day, exam.client, code
        db = self.day.db_session
        [imported] = practical_banks.import_files(db_session=db, files=[(LV.name, LV.read_bytes())],
                                                  actor=TEST_ACTOR, publish=True)
        self.bank = imported.version
        author, self.chief_user = make_user(db, Role.EXAM_ADMIN), make_user(db, Role.CHIEF_EXAMINER)
        from examsvc.audit.actors import Actor
        from examsvc.examiners import service as examiners

        as_author = Actor.user(author.id, author.username, ("exam_admin",))
        as_chief = Actor.user(self.chief_user.id, self.chief_user.username, ("chief_examiner",))
        rule = PracticalRule(code="SX-LV-PRAC", version=code, title="低压电工作业实际操作考试", operation_item="1.2",
                             bank_code=self.bank.code, draw_by=draw_by)
        row = rules.create(db_session=db, rule=rule, bank_version_id=self.bank.id, actor=as_author)
        rules.submit(db_session=db, rule_id=row.id, actor=as_author)
        examiners.create_key(db_session=db, user=self.chief_user, passphrase=PASSPHRASE, origin="test.example/log",
                             cost_log2=10, actor=as_chief)
        self.rule = rules.approve(db_session=db, rule_id=row.id, passphrase=PASSPHRASE, actor=as_chief)
        db.commit()
        made = self.client.post("/sittings", headers=self.day.admin, json={
            "code": code, "title": "低压电工作业实际操作考试", "practical_rule_id": self.rule.id,
            "site_code": "TY-01", "rooms": ["01"], "scheduled_start": _start(20), "proctors_per_room": 1})
        assert made.status_code == 201, made.text
        self.proctor_user = make_user(db, Role.PROCTOR)
        self.evaluators = [make_user(db, Role.EVALUATOR) for _ in range(2)]
        for user, role, room in ((self.chief_user, "chief_examiner", None), (self.proctor_user, "proctor", "01"),
                                 *((e, "evaluator", "01") for e in self.evaluators)):
            assert self.day.assign(code, user.id, role, room).status_code == 201
        self.tokens = {u.id: auth_header(login(self.client, u.username))
                       for u in (self.chief_user, self.proctor_user, *self.evaluators)}
        self.chief = self.tokens[self.chief_user.id]
        self.station = {"X-Workstation-Token": self.day.credential}
        self.seats: list[int] = []

    def check_in_staff(self, *people: Any) -> None:
        for user in people or (self.chief_user, self.proctor_user, *self.evaluators):
            checked = self.client.post(f"/sittings/{self.code}/presence", headers=self.tokens[user.id] | self.station)
            assert checked.status_code == 201, checked.text

    def register(self, ids: list[str]) -> Any:
        sheet = csv_of(*((f"考生{n}", number, "某培训学校") for n, number in enumerate(ids)))
        return self.client.post(f"/sittings/{self.code}/candidates", params={"filename": "实操名单.csv"},
                                headers=self.day.admin, content=sheet)

    def open(self) -> None:
        opened = self.client.post(f"/sittings/{self.code}/open", headers=self.chief, json={"passphrase": PASSPHRASE})
        assert opened.status_code == 200, opened.text

    def check_in_candidates(self, admissions: list[str], ids: list[str]) -> None:
        db = self.day.db_session
        for n, (admission, number) in enumerate(zip(admissions, ids, strict=True)):
            seat = 10 + n
            workstation_id, _ = self.day.another_workstation()
            rooms.bind_seat(db_session=db, site_code="TY-01", room_code="01", number=seat,
                            workstation_id=workstation_id, actor=TEST_ACTOR)
            db.commit()
            checked = self.client.post(f"/sittings/{self.code}/check-ins", headers=self.tokens[self.proctor_user.id],
                                       json={"admission_number": admission, "id_number": number, "room": "01",
                                             "seat": seat, "photo_digest": hashlib.sha256(number.encode()).hexdigest()})
            assert checked.status_code == 201, checked.text

    def evaluator(self, n: int) -> dict[str, str]:
        return self.tokens[self.evaluators[n].id] | self.station

    def draw(self, admission: str, items: dict[str, str] | None = None, evaluator: int = 0) -> Any:
        return self.client.post(f"/sittings/{self.code}/practical/candidates/{admission}/draw",
                                headers=self.evaluator(evaluator), json={"items": items})

    def score(self, admission: str, subject: str, marks: list[dict[str, Any]], evaluator: int) -> Any:
        return self.client.post(f"/sittings/{self.code}/practical/candidates/{admission}/scores/{subject}",
                                headers=self.evaluator(evaluator), json={"marks": marks})


def full_marks(item: dict[str, Any], lose: int = 0, veto: bool = False) -> list[dict[str, Any]]:
    """Every criterion at full points, ``lose`` points taken off the first one, the first veto failed."""
    marks, veto_set = [], False
    for n, criterion in enumerate(item["criteria"]):
        points = criterion["points"] - (min(lose, criterion["points"]) if n == 0 else 0)
        failed = veto and criterion["veto"] and not veto_set
        veto_set = veto_set or failed
        marks.append({"code": criterion["code"], "points": points, "veto_failed": failed})
    return marks
