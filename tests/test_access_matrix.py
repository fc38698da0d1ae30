"""Every route declares who may call it; each refuses the anonymous caller and the wrong role."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from examsvc.attempts.access import CandidateSessionRequirement
from examsvc.identity.access import (
    PUBLIC_ROUTES,
    RoleRequirement,
    api_routes,
    assert_every_route_declares_access,
    iter_access_requirements,
    require_roles,
)
from examsvc.identity.roles import Role
from examsvc.sites.access import WorkstationRequirement
from tests.builders import Actors
from tests.page_routes import error_code, is_page, page_request, sent_to_login

# Path parameters that are not plain ids need a value of their own type to reach the route.
_PARAM_VALUES = {"role": "proctor"}


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _PARAM_VALUES.get(m.group(1), "1"), path)


def test_the_public_allow_list_is_exactly_the_public_routes(app: FastAPI) -> None:
    public = {(m, p) for m, p, r in api_routes(app) if not list(iter_access_requirements(r.dependant))}
    assert public == PUBLIC_ROUTES


def _call(client: TestClient, method: str, path: str, route: APIRoute, headers: dict[str, str]) -> Response:
    """A page route gets the caller's login as the console's cookie (examsvc.web.staff_access)."""
    if is_page(route):
        return page_request(client, method, _url(path), headers)
    return client.request(method, _url(path), headers=headers)


def test_every_guarded_route_refuses_an_anonymous_caller(app: FastAPI, client: TestClient) -> None:
    checked = pages = 0
    for method, path, route in api_routes(app):
        if (method, path) in PUBLIC_ROUTES:
            continue
        if is_page(route):  # no login: the log-in page
            response = page_request(client, method, _url(path), {})
            assert sent_to_login(response), f"{method} {path} answered {response.status_code} to nobody"
            assert error_code(response) == "not_authenticated", f"{method} {path}: {error_code(response)}"
            pages += 1
            continue
        response = client.request(method, _url(path))
        assert response.status_code == 401, f"{method} {path} answered {response.status_code} to nobody"
        assert response.json()["error"] in {"not_authenticated", "workstation_required"}
        checked += 1
    assert checked >= 15 and pages >= 3


def test_every_role_route_refuses_every_other_role(app: FastAPI, actors: Actors) -> None:
    _, credential = actors.workstation()
    for method, path, route in api_routes(app):
        requirements = list(iter_access_requirements(route.dependant))
        # Routes that also want an approved workstation get one, so that the role is what is refused.
        extra = {"X-Workstation-Token": credential} if any(
            isinstance(r, WorkstationRequirement) for r in requirements) else {}
        for requirement in requirements:
            if not isinstance(requirement, RoleRequirement):
                continue
            others = [r for r in Role if r not in requirement.roles]
            # A user holding every other role at once must still be refused; a user with no role too.
            for headers in (actors.user_with(*others), actors.user_with()):
                response = _call(actors.client, method, path, route, headers | extra)
                assert response.status_code == 403, f"{method} {path} let in {others or 'no role'}"
                assert error_code(response) == "forbidden"


def test_every_role_route_admits_each_of_its_roles(app: FastAPI, actors: Actors) -> None:
    _, credential = actors.workstation()
    for method, path, route in api_routes(app):
        requirements = list(iter_access_requirements(route.dependant))
        # Some staff routes also want the call to come from an approved workstation (presence at a site).
        extra = {"X-Workstation-Token": credential} if any(
            isinstance(r, WorkstationRequirement) for r in requirements) else {}
        for requirement in requirements:
            if isinstance(requirement, RoleRequirement):
                for role in requirement.roles:
                    response = _call(actors.client, method, path, route, actors.user_with(role) | extra)
                    assert error_code(response) not in ("not_authenticated", "forbidden", "workstation_required"), (
                        f"{method} {path} refused {role}")


def test_workstation_routes_refuse_users_of_every_role(app: FastAPI, actors: Actors) -> None:
    everything = actors.user_with(*Role)
    device_rules = (WorkstationRequirement, CandidateSessionRequirement)
    workstation_routes = [(m, p) for m, p, r in api_routes(app)
                          if any(isinstance(q, device_rules) for q in iter_access_requirements(r.dependant))]
    assert ("PUT", "/attempt/answers/{position}") in workstation_routes
    for method, path in workstation_routes:
        assert actors.client.request(method, _url(path), headers=everything).status_code == 401


# A forged session is found out in the route's transaction, after the body is validated: send valid ones.
CANDIDATE_BODIES = {"/attempt/answers/{position}": {"response": "T", "seq": 1}, "/attempt/submit": {"confirm": True}}


def test_candidate_routes_need_the_session_on_its_own_workstation(app: FastAPI, actors: Actors) -> None:
    _, credential = actors.workstation()
    for method, path, route in api_routes(app):
        if any(isinstance(q, CandidateSessionRequirement) for q in iter_access_requirements(route.dependant)):
            bare = actors.client.request(method, _url(path), headers={"X-Workstation-Token": credential})
            assert bare.json()["error"] == "candidate_session_required", path
            forged = actors.client.request(method, _url(path), headers={"X-Workstation-Token": credential,
                                                                        "X-Candidate-Session": "exc_forged"},
                                            json=CANDIDATE_BODIES.get(path))
            assert forged.json()["error"] == "candidate_session_invalid", path


def test_a_route_without_an_access_rule_is_refused_at_start_up(app: FastAPI) -> None:
    router = APIRouter()

    @router.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="GET /forgotten"):
        assert_every_route_declares_access(app)


def test_a_public_route_that_also_declares_roles_is_refused(app: FastAPI) -> None:
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/healthz"]

    @app.get("/healthz", dependencies=[Depends(require_roles(Role.AUDITOR))])
    def guarded_health() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="GET /healthz"):
        assert_every_route_declares_access(app)
