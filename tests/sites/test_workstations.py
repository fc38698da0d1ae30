from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from examsvc.identity.roles import Role
from examsvc.sites.models import Workstation
from tests.builders import Actors

HEADER = "X-Workstation-Token"


def _create_site(actors: Actors, code: str = "TY-01") -> tuple[dict[str, str], str]:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    response = actors.client.post("/sites", headers=admin, json={"code": code, "name": "太原考点", "address": "太原"})
    assert response.status_code == 201, response.text
    return admin, response.json()["enrolment_code"]


def _enrol(client: TestClient, code: str, site: str = "TY-01") -> dict[str, object]:
    response = client.post("/workstations/enrol", json={"site_code": site, "enrolment_code": code, "name": "01号机"})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_enrolment_approval_and_revocation(actors: Actors, db_session: Session) -> None:
    admin, code = _create_site(actors)
    enrolled = _enrol(actors.client, code)
    assert enrolled["status"] == "pending"
    credential = {HEADER: str(enrolled["credential"])}

    pending = actors.client.get("/workstations/me", headers=credential)
    assert (pending.status_code, pending.json()["error"]) == (403, "workstation_pending")

    approved = actors.client.post(f"/workstations/{enrolled['id']}/approve", headers=admin)
    assert approved.json()["status"] == "active"
    me = actors.client.get("/workstations/me", headers=credential)
    assert me.status_code == 200 and me.json()["site_code"] == "TY-01"

    revoked = actors.client.post(f"/workstations/{enrolled['id']}/revoke", headers=admin, json={"reason": "设备报废"})
    assert revoked.json()["status"] == "revoked"
    after = actors.client.get("/workstations/me", headers=credential)
    assert (after.status_code, after.json()["error"]) == (403, "workstation_revoked")
    stored = db_session.get(Workstation, enrolled["id"])
    assert stored is not None and stored.credential_digest != enrolled["credential"]


def test_an_unenrolled_device_gets_nothing(actors: Actors) -> None:
    assert actors.client.get("/workstations/me").status_code == 401
    forged = actors.client.get("/workstations/me", headers={HEADER: "exw_made-up-credential"})
    assert (forged.status_code, forged.json()["error"]) == (401, "workstation_unknown")


def test_a_user_token_is_not_a_workstation(actors: Actors) -> None:
    everything = actors.user_with(*Role)
    assert actors.client.get("/workstations/me", headers=everything).status_code == 401


def test_enrolment_needs_the_sites_current_code(actors: Actors) -> None:
    admin, code = _create_site(actors)
    wrong = actors.client.post("/workstations/enrol",
                               json={"site_code": "TY-01", "enrolment_code": "exe_wrong-code", "name": "x"})
    no_site = actors.client.post("/workstations/enrol",
                                 json={"site_code": "NOPE", "enrolment_code": code, "name": "x"})
    assert wrong.status_code == no_site.status_code == 401
    assert wrong.json() == no_site.json()
    rotated = actors.client.post("/sites/TY-01/enrolment-code", headers=admin).json()["enrolment_code"]
    old = actors.client.post("/workstations/enrol", json={"site_code": "TY-01", "enrolment_code": code, "name": "x"})
    assert old.status_code == 401
    _enrol(actors.client, rotated)


def test_a_workstation_is_bound_to_its_site(actors: Actors) -> None:
    admin, code_a = _create_site(actors, "SITE-A")
    code_b = actors.client.post("/sites", headers=admin, json={"code": "SITE-B", "name": "B"}).json()["enrolment_code"]
    # A's code cannot enrol a device at B.
    cross = actors.client.post("/workstations/enrol",
                               json={"site_code": "SITE-B", "enrolment_code": code_a, "name": "x"})
    assert cross.status_code == 401
    enrolled = _enrol(actors.client, code_b, site="SITE-B")
    listed = actors.client.get("/workstations", headers=admin, params={"site_code": "SITE-B"}).json()
    assert [w["id"] for w in listed] == [enrolled["id"]]
    assert actors.client.get("/workstations", headers=admin, params={"site_code": "SITE-A"}).json() == []


def test_only_pending_workstations_can_be_approved(actors: Actors) -> None:
    admin, code = _create_site(actors)
    enrolled = _enrol(actors.client, code)
    actors.client.post(f"/workstations/{enrolled['id']}/approve", headers=admin)
    again = actors.client.post(f"/workstations/{enrolled['id']}/approve", headers=admin)
    assert (again.status_code, again.json()["error"]) == (409, "workstation_not_pending")
