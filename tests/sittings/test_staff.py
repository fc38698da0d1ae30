"""Scheduling a sitting and assigning its staff: every conflict refused by name."""

from __future__ import annotations

from typing import Any

from examsvc.identity.roles import Role
from tests.builders import make_user
from tests.sittings.conftest import Day, days_ahead


def _conflict(response: Any, name: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "staff_conflict" and response.json()["detail"]["conflict"] == name


def test_a_sitting_takes_its_duration_from_the_rule_and_the_defaults(day: Day) -> None:
    sitting = day.sitting("S-1")
    assert (sitting["duration_minutes"], sitting["late_entry_minutes"], sitting["proctors_per_room"]) == (120, 15, 2)
    assert sitting["status"] == "scheduled"


def test_staff_are_assigned_and_each_conflict_is_refused(day: Day) -> None:
    day.sitting("S-1")
    chief = make_user(day.db_session, Role.CHIEF_EXAMINER, Role.PROCTOR)
    proctors = [make_user(day.db_session, Role.PROCTOR) for _ in range(2)]
    outsider = make_user(day.db_session, Role.EVALUATOR)
    assert day.assign("S-1", chief.id, "chief_examiner").status_code == 201
    for proctor in proctors:
        assert day.assign("S-1", proctor.id, "proctor", "01").status_code == 201
    _conflict(day.assign("S-1", outsider.id, "proctor", "01"), "missing_role")
    _conflict(day.assign("S-1", chief.id, "proctor", "02"), "chief_examiner_also_in_room")
    _conflict(day.assign("S-1", proctors[0].id, "proctor", "02"), "two_rooms")
    _conflict(day.assign("S-1", proctors[0].id, "proctor", "01"), "already_assigned")
    second_chief = make_user(day.db_session, Role.CHIEF_EXAMINER)
    _conflict(day.assign("S-1", second_chief.id, "chief_examiner"), "second_chief_examiner")


def test_nobody_sits_in_two_overlapping_sittings(day: Day) -> None:
    day.sitting("S-AM", start=days_ahead(30, "01:00:00"))
    day.sitting("S-OVERLAP", start=days_ahead(30, "02:30:00"), rooms=("03", "04"))
    day.sitting("S-PM", start=days_ahead(30, "06:00:00"))
    proctor = make_user(day.db_session, Role.PROCTOR)
    assert day.assign("S-AM", proctor.id, "proctor", "01").status_code == 201
    refused = day.assign("S-OVERLAP", proctor.id, "proctor", "03")
    _conflict(refused, "overlapping_sitting")
    assert refused.json()["detail"]["other_sitting"] == "S-AM"
    assert day.assign("S-PM", proctor.id, "proctor", "01").status_code == 201


def test_an_assignment_can_be_withdrawn_with_a_reason(day: Day) -> None:
    day.sitting("S-1")
    proctor = make_user(day.db_session, Role.PROCTOR)
    assignment = day.assign("S-1", proctor.id, "proctor", "01").json()
    removed = day.client.request("DELETE", f"/sittings/S-1/staff/{assignment['id']}", headers=day.admin,
                                 json={"reason": "临时生病"})
    assert removed.status_code == 204 and "Audit-Entry" in removed.headers
    assert day.client.get("/sittings/S-1", headers=day.admin).json()["staff"] == []


def test_a_sitting_needs_an_approved_rule_and_its_own_rooms(day: Day) -> None:
    response = day.client.post("/sittings", headers=day.admin, json={
        "code": "S-X", "title": "x", "blueprint_id": day.rule.id, "site_code": "TY-01", "rooms": ["09"],
        "scheduled_start": days_ahead(30)})
    assert (response.status_code, response.json()["error"]) == (404, "room_not_found")
    naive = day.client.post("/sittings", headers=day.admin, json={
        "code": "S-Y", "title": "x", "blueprint_id": day.rule.id, "site_code": "TY-01", "rooms": ["01"],
        "scheduled_start": days_ahead(30)[:-1]})
    assert naive.status_code == 422


def test_a_check_names_the_conflict_the_assignment_would_meet_and_assigns_nobody(day: Day) -> None:
    day.sitting("S-1")
    proctor = make_user(day.db_session, Role.PROCTOR)
    outsider = make_user(day.db_session, Role.EVALUATOR)
    check = day.client.post("/sittings/S-1/staff/check", headers=day.admin,
                            json={"user_id": outsider.id, "role": "proctor", "room": "01"})
    _conflict(check, "missing_role")
    fine = day.client.post("/sittings/S-1/staff/check", headers=day.admin,
                           json={"user_id": proctor.id, "role": "proctor", "room": "01"})
    assert fine.status_code == 200 and fine.json() == {"ok": True}
    assert day.client.get("/sittings/S-1", headers=day.admin).json()["staff"] == []  # the check saved nothing
    assert day.assign("S-1", proctor.id, "proctor", "01").status_code == 201
    again = day.client.post("/sittings/S-1/staff/check", headers=day.admin,
                            json={"user_id": proctor.id, "role": "proctor", "room": "01"})
    _conflict(again, "already_assigned")
