"""Candidates who earned a 特种作业操作证 the real way: a theory sitting passed and published, then a
practical sitting (item 1.2, 低压电工作业) scored by two evaluators, closed and published. Candidate
``failed`` (index 1) fails a veto item: not qualified."""

from __future__ import annotations

from typing import Any

from examsvc.identity.roles import Role
from tests.attempts.exam import PASSPHRASE, Exam
from tests.builders import auth_header, login, make_user
from tests.practical.day import Practical, full_marks, passed_theory
from tests.sittings.conftest import Day

SUBJECT = "1.2"


class World:
    FAILED = 1

    def __init__(self, day: Day, candidates: int = 3) -> None:
        self.day, self.client = day, day.client
        self.exam = Exam(day, candidates=candidates)
        passed_theory(self.exam)
        practical = self.practical = Practical(self.exam)
        practical.check_in_staff()
        registered = practical.register(self.exam.ids)
        assert registered.status_code == 201, registered.text
        self.admissions = [r["admission_number"] for r in registered.json()]
        practical.open()
        practical.check_in_candidates(self.admissions, self.exam.ids)
        for n, admission in enumerate(self.admissions):
            drawn = practical.draw(admission)
            assert drawn.status_code == 201, drawn.text
            for item in drawn.json():
                marks = full_marks(item, veto=n == self.FAILED and item["subject"] == "K2")
                for evaluator in (0, 1):
                    scored = practical.score(admission, item["subject"], marks, evaluator)
                    assert scored.status_code == 201, scored.text
        for path in ("close", "practical/results/publish"):
            done = self.client.post(f"/sittings/{practical.code}/{path}", headers=practical.chief,
                                    json={"passphrase": PASSPHRASE})
            assert done.status_code in (200, 201), done.text
        self.ids = self.exam.ids
        self.qualified = [i for n, i in enumerate(self.ids) if n != self.FAILED]
        self.sitting = practical.code
        db = day.db_session
        self.officer_user = make_user(db, Role.CERTIFICATE_OFFICER)
        db.commit()
        self.officer = auth_header(login(self.client, self.officer_user.username))

    def issue(self, id_number: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/certificates", headers=self.officer if headers is None else headers,
                                json={"id_number": id_number, "subject": SUBJECT})
