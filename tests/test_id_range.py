"""An id past 64 bits names nothing: every route answers it with 4xx (422 or 404), never 500."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from examsvc.identity.access import api_routes
from examsvc.identity.browser import STAFF_COOKIE
from examsvc.identity.roles import Role
from tests.builders import Actors
from tests.sittings.conftest import days_ahead

HUGE = 2**64
_OTHER_VALUES = {"role": "proctor"}


def _int_path_params(route: object) -> set[str]:
    dependant = route.dependant  # type: ignore[attr-defined]
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        names.update(p.name for p in current.path_params if p.field_info.annotation is int)
        stack.extend(current.dependencies)
    return names


def test_every_int_path_parameter_refuses_an_id_past_64_bits(app: FastAPI, actors: Actors) -> None:
    _, credential = actors.workstation()
    everything = actors.user_with(*Role) | {"X-Workstation-Token": credential}
    client = TestClient(app, raise_server_exceptions=False)
    # The staff pages read the same token from their cookie: they too get past the login to the id.
    client.cookies.set(STAFF_COOKIE, everything["Authorization"].removeprefix("Bearer "))
    tried = 0
    for method, path, route in api_routes(app):
        ints = _int_path_params(route)
        if not ints:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m, ints=ints: str(HUGE) if m.group(1) in ints  # type: ignore[misc]
                     else _OTHER_VALUES.get(m.group(1), "1"), path)
        response = client.request(method, url, headers=everything)
        assert response.status_code < 500, f"{method} {path} answered {response.status_code} to {HUGE}"
        if response.headers.get("content-type", "").startswith("text/html"):
            continue  # a page (the staff cookie below lets it read the id): its refusal is a page, not JSON
        assert response.json()["error"], f"{method} {path}"
        tried += 1
    assert tried >= 10


def test_a_huge_id_answers_422_naming_the_range(actors: Actors) -> None:
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    response = actors.client.get(f"/users/{HUGE}", headers=admin)
    assert response.status_code == 422
    assert response.json()["error"] == "out_of_range"
    assert actors.client.get(f"/users/{2**31 - 1}", headers=admin).status_code == 404


def test_a_huge_id_in_a_body_is_refused_too(actors: Actors) -> None:
    admin = actors.user_with(Role.EXAM_ADMIN)
    response = actors.client.post("/sittings", headers=admin, json={
        "code": "S-HUGE", "title": "理论考试", "blueprint_id": HUGE, "site_code": "TY-01", "rooms": ["01"],
        "scheduled_start": days_ahead(30)})
    assert response.status_code in (404, 422), response.text
