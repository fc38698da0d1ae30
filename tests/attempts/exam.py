"""An open theory sitting with candidates checked in and signed in, each on their own workstation."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from starlette.requests import Request

from examsvc.attempts import autosave
from examsvc.attempts.access import CandidateCredentials
from examsvc.attempts.models import Attempt
from examsvc.banks.models import BankVersion, Question
from examsvc.candidates.models import Registration
from examsvc.db import utcnow
from examsvc.sites import rooms
from tests.builders import TEST_ACTOR, approved_papers, register_candidates
from tests.builders import open_sitting as open_sitting_with
from tests.sittings.conftest import Day
from tests.sittings.test_presence import Crew

PASSPHRASE = "the chief examiner's own passphrase"
SPARE_SEAT = 30  # the last seat of each room: free, bound, for moves


class _SetUpTime:
    """How long an Exam's set-up took last in this process. The sitting is scheduled to start about then
    (统一开考: nobody starts before it), not a fixed second ahead: with a set-up of 0.3 s of work, each
    world slept 0.7 s with its worker's core idle, on every test that builds one."""

    def __init__(self) -> None:
        self.last = 1.0

    def lead(self) -> float:
        return max(0.3, 0.8 * self.last)

    def took(self, seconds: float) -> None:
        self.last = min(1.0, seconds)


_SET_UP = _SetUpTime()


def seat_of(i: int) -> tuple[str, int]:
    return ("01", i // 2 + 1) if i % 2 == 0 else ("02", i // 2 + 1)


class Exam:
    def __init__(self, day: Day, candidates: int = 2, code: str = "S-1", open_sitting: bool = True,
                 start: str | None = None) -> None:
        """Scheduled to start about when the set-up is done (as long from now as the last set-up took; a
        second when the caller opens it): candidates may start once it is done (统一开考), each with the
        whole duration. ``start``: another scheduled start."""
        self.day, self.code, self.client = day, code, day.client
        self.sessions: dict[int, dict[str, str]] = {}
        began = time.monotonic()
        scheduled = self._schedule(start, _SET_UP.lead() if open_sitting else 1.0)
        self.crew = Crew(day, code)
        for person in self.crew.everyone():
            assert self.crew.check_in(code, person.id) == 201
        self.chief = self.crew.tokens[self.crew.chief.id]
        self.credentials: dict[tuple[str, int], str] = {}
        wanted = [seat_of(i) for i in range(candidates)] + [("01", SPARE_SEAT), ("02", SPARE_SEAT)]
        for room, seat in wanted:
            workstation_id, credential = day.another_workstation()
            rooms.bind_seat(db_session=day.db_session, site_code="TY-01", room_code=room, number=seat,
                            workstation_id=workstation_id, actor=TEST_ACTOR)
            self.credentials[(room, seat)] = credential
        day.db_session.commit()
        self.admissions, self.ids = register_candidates(self.client, day.admin, code, candidates)
        self.paper_set = approved_papers(self.client, admin=day.admin, chief=self.chief, code=code,
                                         passphrase=PASSPHRASE)
        if not open_sitting:  # the caller opens it (with or without the right passphrase)
            return
        assert open_sitting_with(self.client, code, self.chief, PASSPHRASE).json()["status"] == "open"
        self.check_in_all()
        if scheduled is not None:
            _SET_UP.took(time.monotonic() - began)
            time.sleep(max(0.0, (scheduled - utcnow()).total_seconds()))

    def _schedule(self, start: str | None, lead: float) -> datetime | None:
        """The sitting, scheduled at ``start`` or ``lead`` seconds from now; if a short lead has already
        passed when the service checks it (refused as in the past: nothing stored), once more a second ahead."""
        if start is not None:
            self.day.sitting(self.code, start=start)
            return None
        scheduled = utcnow() + timedelta(seconds=lead)
        try:
            self.day.sitting(self.code, start=scheduled.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        except AssertionError as refused:
            if lead >= 1.0 or "scheduled_in_past" not in str(refused):
                raise
            scheduled = utcnow() + timedelta(seconds=1)
            self.day.sitting(self.code, start=scheduled.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        return scheduled

    def check_in_all(self) -> None:
        for i in range(len(self.admissions)):
            self.check_in(i)

    def proctor(self, room: str) -> dict[str, str]:
        return self.crew.tokens[self.crew.proctors[room][0].id]

    def check_in(self, i: int) -> None:
        room, seat = seat_of(i)
        checked = self.client.post(f"/sittings/{self.code}/check-ins", headers=self.proctor(room), json={
            "admission_number": self.admissions[i], "id_number": self.ids[i], "room": room, "seat": seat,
            "photo_digest": hashlib.sha256(f"photo {i}".encode()).hexdigest()})
        assert checked.status_code == 201, checked.text
        self.sign_in(i, checked.json()["one_time_code"], self.credentials[(room, seat)])

    def sign_in(self, i: int, code: str, credential: str) -> None:
        signed = self.client.post("/candidate-sessions", json={"admission_number": self.admissions[i], "code": code},
                                  headers={"X-Workstation-Token": credential})
        assert signed.status_code == 201, signed.text
        self.sessions[i] = {"X-Workstation-Token": credential, "X-Candidate-Session": signed.json()["session_token"]}

    def start(self, i: int) -> Any:
        return self.client.post("/attempt/start", headers=self.sessions[i])

    def save(self, i: int, position: int, response: str, seq: int, flagged: bool = False) -> Any:
        return self.client.put(f"/attempt/answers/{position}", headers=self.sessions[i],
                               json={"response": response, "seq": seq, "flagged": flagged})

    def answer(self, i: int, responses: Sequence[str], *, seq: int = 1, flagged: Collection[int] = ()) -> None:
        """Candidate ``i`` saves ``responses`` (position by position, "" skips one) through the save service
        itself, in one transaction: what a test needs as filler answers, without a request each. The HTTP
        save (``save``) keeps its own tests (tests/attempts/test_answering.py, tests/web)."""
        app: Any = self.client.app
        headers = self.sessions[i]
        credentials = CandidateCredentials(request=Request({"type": "http", "state": {}, "headers": []}),
                                           credential=headers["X-Workstation-Token"],
                                           session=headers["X-Candidate-Session"])
        grace = app.state.settings.answer_grace_seconds
        with app.state.session_factory() as db_session, db_session.begin():
            for position, response in enumerate(responses):
                if response:
                    autosave.save(db_session=db_session, credentials=credentials, position=position,
                                  response=response, seq=seq, flagged=position in flagged, now=utcnow(),
                                  grace_seconds=grace, keys=app.state.paper_keys)

    def submit(self, i: int) -> Any:
        return self.client.post("/attempt/submit", headers=self.sessions[i], json={"confirm": True})

    def act(self, i: int, action: str, reason: str = "监考记录", **extra: Any) -> Any:
        room, _ = seat_of(i)
        return self.client.post(f"/sittings/{self.code}/attempts/{self.admissions[i]}/{action}",
                                headers=self.proctor(room), json={"reason": reason, **extra})

    def correct(self, i: int) -> list[str]:
        """The right response per position, in the labels the candidate sees (read by the chief examiner)."""
        paper = self.client.get(f"/paper-sets/{self.paper_set}/papers/{self.admissions[i]}", headers=self.chief).json()
        answers = {(part, key): answer for part, key, answer in self.day.db_session.execute(
            select(BankVersion.part, Question.key, Question.answer).join(
                BankVersion, BankVersion.id == Question.bank_version_id).where(
                BankVersion.id.in_([self.day.rule.national_bank_version_id,
                                    self.day.rule.provincial_bank_version_id])))}
        self.day.db_session.commit()  # end the read: on SQLite every transaction holds the write lock
        out = []
        for item in paper["items"]:
            answer = answers[(item["part"], item["key"])]
            out.append(answer if not item["options"] else
                       "".join(sorted(chr(ord("A") + item["options"].index(label)) for label in answer)))
        return out

    def wrong(self, right: str) -> str:
        return {"T": "F", "F": "T"}.get(right, "A" if right != "A" else "B")

    def age(self, i: int, minutes: float) -> None:
        """Moves the attempt's start into the past, as if ``minutes`` had gone by."""
        registration = self.day.db_session.scalars(select(Registration).where(
            Registration.admission_number == self.admissions[i])).one()
        attempt = self.day.db_session.scalars(select(Attempt).where(Attempt.registration_id == registration.id)).one()
        self.day.db_session.execute(update(Attempt).where(Attempt.id == attempt.id).values(
            started_at=attempt.started_at - timedelta(minutes=minutes),
            paused_at=None if attempt.paused_at is None else attempt.paused_at - timedelta(minutes=minutes)))
        self.day.db_session.commit()
        self.day.db_session.expire_all()

    def attempt(self, i: int) -> Attempt:
        self.day.db_session.expire_all()
        registration = self.day.db_session.scalars(select(Registration).where(
            Registration.admission_number == self.admissions[i])).one()
        attempt = self.day.db_session.scalars(select(Attempt).where(Attempt.registration_id == registration.id)).one()
        self.day.db_session.commit()
        return attempt
