"""Examiners present in their place before a sitting opens; opening only in the window, by its chief."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from examsvc.db import utcnow
from examsvc.identity.roles import Role
from examsvc.sittings import presence, service
from tests.builders import Actors, approved_papers, auth_header, login, make_user, open_sitting, register_candidates
from tests.sittings.conftest import Day


def _start(minutes: int) -> str:
    return (utcnow() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Crew:
    """A chief examiner and two proctors per room, assigned, with their own logins."""

    def __init__(self, day: Day, code: str) -> None:
        self.day = day
        self.chief = make_user(day.db_session, Role.CHIEF_EXAMINER)
        self.proctors = {room: [make_user(day.db_session, Role.PROCTOR) for _ in range(2)] for room in ("01", "02")}
        assert day.assign(code, self.chief.id, "chief_examiner").status_code == 201
        for room, people in self.proctors.items():
            for person in people:
                assert day.assign(code, person.id, "proctor", room).status_code == 201
        self.tokens = {u.id: auth_header(login(day.client, u.username)) for u in self.everyone()}

    def everyone(self) -> list:  # type: ignore[type-arg]
        return [self.chief, *(p for people in self.proctors.values() for p in people)]

    def check_in(self, code: str, user_id: int, credential: str | None = None) -> int:
        headers = self.tokens[user_id] | {"X-Workstation-Token": credential or self.day.credential}
        return self.day.client.post(f"/sittings/{code}/presence", headers=headers).status_code


def test_a_sitting_opens_when_its_staff_are_present_in_the_window(day: Day) -> None:
    day.sitting("S-1", start=_start(10))
    crew = Crew(day, "S-1")
    chief = crew.tokens[crew.chief.id]
    refused = open_sitting(day.client, "S-1", chief)
    assert (refused.status_code, refused.json()["error"]) == (409, "staff_missing")
    assert len(refused.json()["detail"]["missing"]) == 3  # the chief examiner and both rooms
    for person in crew.everyone():
        assert crew.check_in("S-1", person.id) == 201
    register_candidates(day.client, day.admin, "S-1", 1)
    unapproved = open_sitting(day.client, "S-1", chief)
    assert (unapproved.status_code, unapproved.json()["error"]) == (409, "paper_set_not_approved")
    approved_papers(day.client, admin=day.admin, chief=chief, code="S-1")
    opened = open_sitting(day.client, "S-1", chief)
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "open"


def test_no_opening_before_the_window(day: Day) -> None:
    day.sitting("S-LATER", start=_start(180))
    crew = Crew(day, "S-LATER")
    for person in crew.everyone():
        crew.check_in("S-LATER", person.id)
    refused = open_sitting(day.client, "S-LATER", crew.tokens[crew.chief.id])
    assert (refused.status_code, refused.json()["error"]) == (409, "too_early")


def test_only_this_sittings_chief_examiner_opens_it(actors: Actors, day: Day) -> None:
    day.sitting("S-1", start=_start(5))
    Crew(day, "S-1")
    stranger = actors.user_with(Role.CHIEF_EXAMINER)
    refused = open_sitting(day.client, "S-1", stranger)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_assigned")  # the route scope refuses first


def test_check_in_only_from_the_sittings_site_and_only_when_assigned(actors: Actors, day: Day) -> None:
    day.sitting("S-1", start=_start(5))
    crew = Crew(day, "S-1")
    _, elsewhere = actors.workstation(site_code="DT-01")
    assert crew.check_in("S-1", crew.chief.id, elsewhere) == 403
    unassigned = make_user(day.db_session, Role.PROCTOR)
    headers = auth_header(login(day.client, unassigned.username)) | {"X-Workstation-Token": day.credential}
    refused = day.client.post("/sittings/S-1/presence", headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_assigned")
    no_device = day.client.post("/sittings/S-1/presence", headers=crew.tokens[crew.chief.id])
    assert (no_device.status_code, no_device.json()["error"]) == (401, "workstation_required")


def test_a_room_below_its_minimum_is_reported(day: Day) -> None:
    day.sitting("S-1", start=_start(5))
    crew = Crew(day, "S-1")
    for person in crew.everyone():
        crew.check_in("S-1", person.id)
    leaving = crew.proctors["02"][0]
    out = day.client.post(f"/sittings/S-1/presence/{leaving.id}/check-out", headers=crew.tokens[crew.chief.id],
                          json={"reason": "身体不适"})
    assert out.status_code == 200 and out.json()["checkout_reason"] == "身体不适"
    sitting = service.get(db_session=day.db_session, code="S-1")
    rooms = {r.room_id for r in sitting.rooms}
    staffed = {room_id: presence.room_staffed(day.db_session, sitting, room_id) for room_id in rooms}
    assert sorted(staffed.values()) == [False, True]
    refused = open_sitting(day.client, "S-1", crew.tokens[crew.chief.id])
    assert refused.json()["error"] == "staff_missing"


def test_a_substitution_restores_a_room(day: Day) -> None:
    day.sitting("S-1", start=_start(5))
    crew = Crew(day, "S-1")
    for person in crew.everyone():
        crew.check_in("S-1", person.id)
    leaving = crew.proctors["02"][0]
    newcomer = make_user(day.db_session, Role.PROCTOR)
    chief = crew.tokens[crew.chief.id]
    done = day.client.post("/sittings/S-1/substitutions", headers=chief, json={
        "out_user_id": leaving.id, "in_user_id": newcomer.id, "room": "02", "reason": "家中急事"})
    assert done.status_code == 204, done.text
    sitting = service.get(db_session=day.db_session, code="S-1")
    assert presence.missing_staff(day.db_session, sitting)  # the newcomer has not checked in yet
    headers = auth_header(login(day.client, newcomer.username)) | {"X-Workstation-Token": day.credential}
    assert day.client.post("/sittings/S-1/presence", headers=headers).status_code == 201
    assert presence.missing_staff(day.db_session, sitting) == []
    not_chief = day.client.post("/sittings/S-1/substitutions", headers=crew.tokens[crew.proctors["01"][0].id],
                                json={"out_user_id": leaving.id, "in_user_id": newcomer.id, "room": "02",
                                      "reason": "x"})
    assert not_chief.status_code == 403


def test_another_sites_workstation_cannot_sign_a_candidate_in(actors: Actors, morning: Any) -> None:
    code = morning.check_in().json()["one_time_code"]
    _, foreign = actors.workstation(site_code="DT-09")
    refused = morning.sign_in(code, foreign)
    assert (refused.status_code, refused.json()["error"]) == (403, "wrong_workstation")
