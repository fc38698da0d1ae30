"""Candidates are checked in by a proctor of their room and sign in only on their seat's workstation."""

from __future__ import annotations

import hashlib
from typing import Any

from examsvc.sites import rooms
from tests.builders import TEST_ACTOR
from tests.sittings.conftest import Day
from tests.sittings.test_candidates import csv_of, ident
from tests.sittings.test_presence import Crew, _start

PHOTO = hashlib.sha256(b"photo taken at the door").hexdigest()
ID = ident("19900101", 11)


class Morning:
    def __init__(self, day: Day) -> None:
        self.day = day
        day.sitting("S-1", start=_start(10))
        self.crew = Crew(day, "S-1")
        for person in self.crew.everyone():
            assert self.crew.check_in("S-1", person.id) == 201
        rooms.bind_seat(db_session=day.db_session, site_code="TY-01", room_code="01", number=1,
                        workstation_id=day.workstation.id, actor=TEST_ACTOR)
        self.other_id, self.other_credential = day.another_workstation()
        rooms.bind_seat(db_session=day.db_session, site_code="TY-01", room_code="01", number=2,
                        workstation_id=self.other_id, actor=TEST_ACTOR)
        day.db_session.commit()
        registered = day.client.post("/sittings/S-1/candidates", params={"filename": "名单.csv"},
                                     content=csv_of(("张三", ID, "某校")), headers=day.admin)
        self.admission = registered.json()[0]["admission_number"]
        self.proctor = self.crew.tokens[self.crew.proctors["01"][0].id]

    def check_in(self, headers: dict[str, str] | None = None, **changes: Any) -> Any:
        body = {"admission_number": self.admission, "id_number": ID, "photo_digest": PHOTO, "room": "01",
                "seat": 1, **changes}
        return self.day.client.post("/sittings/S-1/check-ins", headers=headers or self.proctor, json=body)

    def sign_in(self, code: str, credential: str | None = None) -> Any:
        return self.day.client.post("/candidate-sessions", json={"admission_number": self.admission, "code": code},
                                    headers={"X-Workstation-Token": credential or self.day.credential})


def test_check_in_then_sign_in_on_the_seats_workstation(morning: Morning) -> None:
    checked = morning.check_in()
    assert checked.status_code == 201, checked.text
    code = checked.json()["one_time_code"]
    assert len(code) == 6 and code not in str(morning.day.client.get("/sittings/S-1", headers=morning.day.admin).text)
    signed = morning.sign_in(code)
    assert signed.status_code == 201 and signed.json()["session_token"].startswith("exc_")
    again = morning.sign_in(code)
    assert (again.status_code, again.json()["error"]) == (409, "code_used")


def test_no_sign_in_without_check_in_or_from_another_seat(morning: Morning) -> None:
    assert morning.sign_in("000000").json()["error"] == "not_checked_in"
    code = morning.check_in().json()["one_time_code"]
    elsewhere = morning.sign_in(code, morning.other_credential)
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (403, "wrong_workstation")
    assert morning.sign_in(code).status_code == 201


def test_guessing_the_code_locks_it(morning: Morning) -> None:
    code = morning.check_in().json()["one_time_code"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert [morning.sign_in(wrong).json()["error"] for _ in range(5)] == ["wrong_code"] * 5
    assert morning.sign_in(code).json()["error"] == "code_locked"


def test_check_in_refusals(morning: Morning) -> None:
    other_room = morning.crew.tokens[morning.crew.proctors["02"][0].id]
    assert morning.check_in(headers=other_room).json()["error"] == "not_proctor_of_room"
    assert morning.check_in(id_number=ident("19900101", 12)).json()["error"] == "identity_mismatch"
    assert morning.check_in(seat=3).json()["error"] == "seat_unusable"
    assert morning.check_in(admission_number="99999999").json()["error"] == "registration_not_found"
    assert morning.check_in().status_code == 201
    assert morning.check_in(seat=2).json()["error"] == "already_checked_in"
