from __future__ import annotations

import json

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.identity.roles import Role
from examsvc.sites import service as sites_service
from tests.builders import TEST_ACTOR, Actors


def _room(actors: Actors, admin: dict[str, str], site: str) -> None:
    response = actors.client.post(f"/sites/{site}/rooms", headers=admin,
                                  json={"code": "01", "name": "第一考场", "seats": 3})
    assert response.status_code == 201, response.text
    assert [s["number"] for s in response.json()["seats"]] == [1, 2, 3]


def test_seats_bind_to_approved_workstations_of_the_same_site(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    workstation, _ = actors.workstation(site_code="ROOM-A")
    other, _ = actors.workstation(site_code="ROOM-B")
    pending, _ = actors.workstation(approved=False, site_code="ROOM-C")
    _room(actors, admin, "ROOM-A")
    bound = actors.client.put("/sites/ROOM-A/rooms/01/seats/2", headers=admin,
                              json={"workstation_id": workstation.id})
    assert bound.json() == {"number": 2, "workstation_id": workstation.id}
    foreign = actors.client.put("/sites/ROOM-A/rooms/01/seats/3", headers=admin, json={"workstation_id": other.id})
    assert (foreign.status_code, foreign.json()["error"]) == (409, "workstation_other_site")
    twice = actors.client.put("/sites/ROOM-A/rooms/01/seats/1", headers=admin,
                              json={"workstation_id": workstation.id})
    assert (twice.status_code, twice.json()["error"]) == (409, "workstation_already_seated")
    _room(actors, admin, "ROOM-C")
    not_approved = actors.client.put("/sites/ROOM-C/rooms/01/seats/1", headers=admin,
                                     json={"workstation_id": pending.id})
    assert (not_approved.status_code, not_approved.json()["error"]) == (409, "workstation_not_active")
    listed = actors.client.get("/sites/ROOM-A/rooms", headers=actors.user_with(Role.EXAM_ADMIN)).json()
    assert listed[0]["seats"][1] == {"number": 2, "workstation_id": workstation.id}


def test_rebinding_a_seat_is_logged_with_both_workstations(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    first, _ = actors.workstation(site_code="ROOM-D")
    created = sites_service.enrol_workstation(
        db_session=db_session, site_code="ROOM-D",
        enrolment_code=sites_service.rotate_enrolment_code(db_session=db_session, code="ROOM-D",
                                                           actor=TEST_ACTOR).enrolment_code, name="02")
    sites_service.approve_workstation(db_session=db_session, workstation_id=created.workstation.id, actor=TEST_ACTOR)
    db_session.commit()
    _room(actors, admin, "ROOM-D")
    actors.client.put("/sites/ROOM-D/rooms/01/seats/1", headers=admin, json={"workstation_id": first.id})
    moved = actors.client.put("/sites/ROOM-D/rooms/01/seats/1", headers=admin,
                              json={"workstation_id": created.workstation.id})
    [entry] = repository.entries(db_session, int(moved.headers["Audit-Entry"]), int(moved.headers["Audit-Entry"]) + 1)
    details = json.loads(entry)["details"]
    assert (details["previous_workstation_id"], details["workstation_id"]) == (first.id, created.workstation.id)
    cleared = actors.client.put("/sites/ROOM-D/rooms/01/seats/1", headers=admin, json={"workstation_id": None})
    assert cleared.json()["workstation_id"] is None


def test_room_codes_are_unique_per_site(actors: Actors) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    actors.workstation(site_code="ROOM-E")
    _room(actors, admin, "ROOM-E")
    again = actors.client.post("/sites/ROOM-E/rooms", headers=admin, json={"code": "01", "name": "重复", "seats": 2})
    assert (again.status_code, again.json()["error"]) == (409, "room_code_taken")
