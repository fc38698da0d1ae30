"""Which sitting a caller may touch: the route table walked with assigned and unassigned holders.

``test_access_matrix`` proves each route refuses the wrong *role*. This proves each route that names a
sitting refuses a holder of the right role who has no business with *that* sitting: a chief examiner
of another sitting at another site, a proctor of another site, an auditor before the sitting is over.
Each admitted role is tried twice: as a holder whose scope admits them (assigned to this sitting, or a
province-wide role) and as a holder assigned to another sitting at another site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from httpx import Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from examsvc.identity.access import api_routes, iter_access_requirements
from examsvc.identity.roles import Role
from examsvc.papers.models import PaperSet, PaperSetStatus
from examsvc.sites import rooms
from examsvc.sites.access import WorkstationRequirement
from examsvc.sittings.access import QUERY_PARAMETER, Scope, SittingRequirement, names_a_sitting
from examsvc.sittings.models import Sitting, SittingStatus
from tests.builders import TEST_ACTOR, Actors, auth_header, login, make_user
from tests.page_routes import error_code, is_page, page_request
from tests.papers.builders import approved_rule
from tests.sittings.conftest import days_ahead

REFUSALS = {"not_assigned", "sitting_not_closed", "forbidden", "not_authenticated", "workstation_required"}
# Staff roles with a room of their own; the others are assigned to the whole sitting.
PER_ROOM = {Role.PROCTOR, Role.EVALUATOR}
ASSIGNABLE = (Role.CHIEF_EXAMINER, Role.PROCTOR, Role.EVALUATOR, Role.INSPECTOR)
OTHER_VALUES = {"admission_number": "14010001", "candidate": "14010001", "subject": "K1", "action": "pause",
                "room": "01", "user_id": "1", "assignment_id": "1", "evidence_id": "1", "signal_id": "sg-" + "0" * 24}


@dataclass
class Site:
    code: str
    sitting: str
    credential: str
    paper_set_id: int = 0
    staff: dict[Role, dict[str, str]] = field(default_factory=dict)


class World:
    """Two sites, a sitting at each with its own staff of every assignable role, a paper set each."""

    def __init__(self, actors: Actors, db_session: Session) -> None:
        self.client, self.db_session = actors.client, db_session
        self.actors = actors
        rule = approved_rule(db_session)
        self.admin = actors.user_with(Role.EXAM_ADMIN)
        self.sites = [self._site(code, sitting, rule.id) for code, sitting in (("TY-01", "SC-A"), ("DT-02", "SC-B"))]

    def _site(self, code: str, sitting: str, rule_id: int) -> Site:
        _, credential = self.actors.workstation(site_code=code)
        rooms.create_room(db_session=self.db_session, site_code=code, code="01", name="第01考场", seats=30,
                          actor=TEST_ACTOR)
        self.db_session.commit()
        made = self.client.post("/sittings", headers=self.admin, json={
            "code": sitting, "title": "低压电工作业理论考试", "blueprint_id": rule_id, "site_code": code,
            "rooms": ["01"], "scheduled_start": days_ahead(30)})
        assert made.status_code == 201, made.text
        site = Site(code=code, sitting=sitting, credential=credential)
        for role in ASSIGNABLE:
            user = make_user(self.db_session, role)
            assigned = self.client.post(f"/sittings/{sitting}/staff", headers=self.admin, json={
                "user_id": user.id, "role": str(role), "room": "01" if role in PER_ROOM else None})
            assert assigned.status_code == 201, assigned.text
            site.staff[role] = auth_header(login(self.client, user.username))
        # The scope reads only which sitting a set belongs to: a sealed row is all this test needs.
        paper_set = PaperSet(sitting_code=sitting, blueprint_version_id=rule_id, seed_commitment="0" * 64,
                             sealed_seed=b"", wrapped_data_key=b"", key_id="test", paper_count=0,
                             merkle_root="0" * 64, manifest="", status=PaperSetStatus.SEALED)
        self.db_session.add(paper_set)
        self.db_session.commit()
        site.paper_set_id = paper_set.id
        return site

    def url(self, path: str, site: Site, route: APIRoute) -> str:
        values = {"code": site.sitting, "paper_set_id": str(site.paper_set_id), **OTHER_VALUES}
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        # A list outside a sitting's path names the sitting in its query (?sitting=CODE).
        return f"{url}?{QUERY_PARAMETER}={site.sitting}" if names_a_sitting("", route) else url

    def holder(self, role: Role, site: Site) -> dict[str, str]:
        """A holder of the role assigned to this site's sitting (a fresh one for unassignable roles)."""
        return site.staff[role] if role in site.staff else self.actors.user_with(role)

    def close(self, site: Site) -> None:
        self.db_session.execute(update(Sitting).where(Sitting.code == site.sitting).values(
            status=SittingStatus.CLOSED))
        self.db_session.commit()


@pytest.fixture
def world(actors: Actors, db_session: Session) -> World:
    return World(actors, db_session)


def _scoped_routes(app: FastAPI) -> list[tuple[str, str, SittingRequirement, bool, APIRoute]]:
    found = []
    for method, path, route in api_routes(app):
        requirements = list(iter_access_requirements(route.dependant))
        scoped = [r for r in requirements if isinstance(r, SittingRequirement)]
        if scoped:
            found.append((method, path, scoped[0], any(isinstance(r, WorkstationRequirement) for r in requirements),
                          route))
    return found


def _call(world: World, method: str, url: str, route: APIRoute, headers: dict[str, str]) -> Response:
    """A page route (the staff console) gets the caller's login as its cookie and answers refusals in ``X-Error``."""
    if is_page(route):
        return page_request(world.client, method, url, headers)
    return world.client.request(method, url, headers=headers)


def test_every_route_naming_a_sitting_declares_a_sitting_scope(app: FastAPI) -> None:
    naming = {(m, p) for m, p, route in api_routes(app) if names_a_sitting(p, route)}
    assert naming == {(m, p) for m, p, _, _, _ in _scoped_routes(app)}
    assert ("GET", "/paper-sets") in naming  # named by its query
    assert len(naming) >= 30


def test_each_admitted_role_acts_only_within_its_scope(app: FastAPI, world: World) -> None:
    here, elsewhere = world.sites
    checked = 0
    for closed in (False, True):
        if closed:
            world.close(here)
        for method, path, requirement, at_workstation, route in _scoped_routes(app):
            station = {"X-Workstation-Token": here.credential} if at_workstation else {}
            for role, scope in requirement.scopes.items():
                url = world.url(path, here, route)
                admitted = _call(world, method, url, route, world.holder(role, here) | station)
                outsider = _call(world, method, url, route, world.holder(role, elsewhere) | station)
                what = f"{method} {path} as {role} ({scope}, sitting {'closed' if closed else 'not closed'})"
                if scope == Scope.CLOSED and not closed:
                    for response in (admitted, outsider):
                        assert (response.status_code, error_code(response)) == (403, "sitting_not_closed"), what
                    continue
                assert error_code(admitted) not in REFUSALS, f"{what}: refused its own {admitted.text}"
                if scope == Scope.ASSIGNED:
                    assert (outsider.status_code, error_code(outsider)) == (403, "not_assigned"), (
                        f"{what}: let in a holder assigned to another site's sitting: {outsider.text}")
                else:
                    assert error_code(outsider) not in REFUSALS, f"{what}: refused a province-wide role"
                checked += 1
    assert checked >= 60


def test_the_other_sites_staff_are_refused_on_this_sittings_paper_set(world: World) -> None:
    here, elsewhere = world.sites
    for method, suffix in (("GET", ""), ("POST", "/approve"), ("GET", "/papers/14010001")):
        response = world.client.request(method, f"/paper-sets/{here.paper_set_id}{suffix}",
                                        headers=elsewhere.staff[Role.CHIEF_EXAMINER], json={"passphrase": "x" * 12})
        assert (response.status_code, response.json()["error"]) == (403, "not_assigned"), suffix


def test_staff_lists_show_only_their_own_sittings(world: World) -> None:
    here, elsewhere = world.sites
    for role in (Role.CHIEF_EXAMINER, Role.PROCTOR, Role.EVALUATOR):
        listed = world.client.get("/sittings", headers=here.staff[role]).json()
        assert [s["code"] for s in listed] == [here.sitting], role
    everything = world.client.get("/sittings", headers=world.admin).json()
    assert {s["code"] for s in everything} >= {here.sitting, elsewhere.sitting}


# Metadata an auditor may read while a sitting runs: its schedule and its paper set's manifest (no content).
AUDITOR_ANYTIME = {("GET", "/sittings/{code}"), ("GET", "/paper-sets/{paper_set_id}"), ("GET", "/paper-sets")}


def test_the_policy_staff_act_where_assigned_and_auditors_once_closed(app: FastAPI) -> None:
    for method, path, requirement, _, _ in _scoped_routes(app):
        for role in (Role.CHIEF_EXAMINER, Role.PROCTOR, Role.EVALUATOR):
            if role in requirement.scopes:
                assert requirement.scopes[role] == Scope.ASSIGNED, f"{method} {path}: {role} beyond its sitting"
        if Role.AUDITOR in requirement.scopes and (method, path) not in AUDITOR_ANYTIME:
            assert requirement.scopes[Role.AUDITOR] == Scope.CLOSED, f"{method} {path}: auditor before the close"
        assert Role.SYSTEM_ADMIN not in requirement.scopes and Role.BANK_ADMIN not in requirement.scopes
