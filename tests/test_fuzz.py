"""Schemathesis over every route of the OpenAPI document, as each role, as a user holding every role,
and anonymously (bounded examples, derandomized): no 500s, and every documented response matches its
schema and status code."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from examsvc.identity.roles import Role
from tests.builders import Actors

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# /readyz answers 503 while the test's own transaction holds the database: that is its documented job.
SKIP = {("GET", "/readyz")}


# Every operation's strategy, from the document of the first test's app: every app create_app builds has the
# same routes, so the same document, and loading it and building the strategies again was a sixth of each
# test's CPU. Each test still calls its own app (``case.call(app=...)``) as its own caller.
_STRATEGIES: list[Any] = []


def _strategies(app: FastAPI) -> list[Any]:
    if not _STRATEGIES:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) not in SKIP:
                _STRATEGIES.append(operation.as_strategy())
    return _STRATEGIES


def _fuzz(app: FastAPI, headers: dict[str, str], examples: int) -> list[tuple[Any, ...]]:
    failures: list[tuple[Any, ...]] = []
    operations = 0
    for strategy in _strategies(app):
        operations += 1

        @given(strategy)
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case: Any) -> None:
            response = case.call(headers=headers, app=app)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # collected, and reported all at once below
                failures.append((case.method, case.path, response.status_code, str(exc)[:400]))

        run()
    assert operations > 100
    return failures


# Each single role mostly meets refusals, decided before the database is read: those runs are db_agnostic (CI's
# SQLite pass); the user holding every role reaches every route's database work, and runs on both.
@pytest.mark.parametrize("role", [*(pytest.param(r, marks=pytest.mark.db_agnostic) for r in Role), "every role",
                                  "nobody"])
def test_every_route_as_each_role(app: FastAPI, actors: Actors, role: Role | str) -> None:
    _, credential = actors.workstation()
    if role == "nobody":
        headers: dict[str, str] = {}
    else:
        roles = list(Role) if role == "every role" else [Role(role)]
        headers = actors.user_with(*roles) | {"X-Workstation-Token": credential}
    failures = _fuzz(app, headers, examples=8 if role == "every role" else 1)
    assert not failures, "\n".join(map(str, failures[:20]))
