"""The OpenAPI document tells a generated client the truth (issue 16 items 12–14, 17): the credentials each
operation needs, all of them, as the server enforces them; the roles it admits; one definition of each
limit; the conventions of positions and options. Requests here are built from the document alone."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from examsvc.candidates.models import Registration
from examsvc.identity.access import api_routes, iter_access_requirements
from examsvc.identity.roles import Role
from examsvc.limits import ADMISSION_NUMBER_MAX, ADMISSION_NUMBER_PATTERN, PASSPHRASE_MIN
from examsvc.openapi import document_path
from examsvc.sittings.access import SittingRequirement
from tests.builders import Actors, make_user

# Refusals that mean "a credential is missing" (as opposed to present but wrong, or the wrong role).
MISSING = {"not_authenticated", "workstation_required", "candidate_session_required"}
_PARAM_VALUES = {"role": "proctor", "action": "pause", "subject": "K1"}


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _PARAM_VALUES.get(m.group(1), "1234"), path)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items()]


def _headers_for(document: dict[str, Any], names: set[str], values: dict[str, str]) -> dict[str, str]:
    """The headers a generated client sends for these security schemes, read from securitySchemes."""
    headers = {}
    for name in names:
        scheme = document["components"]["securitySchemes"][name]
        if scheme["type"] == "http":
            assert scheme["scheme"] == "bearer"
            headers["Authorization"] = values["bearer"]
        else:
            assert scheme["in"] == "header"
            headers[scheme["name"]] = values[scheme["name"]]
    return headers


def test_each_operation_needs_exactly_the_credentials_it_declares(app: FastAPI, actors: Actors) -> None:
    document = actors.client.get("/openapi.json").json()
    _, workstation = actors.workstation()
    # Paths are called with id 1: the caller must not be user 1, or POST /users/1/disable logs it out (on a
    # fresh worker database this test may make the first user).
    make_user(actors.db_session)
    values = {"bearer": actors.user_with(*Role)["Authorization"], "X-Workstation-Token": workstation,
              "X-Candidate-Session": "exc_not_a_session"}
    both = 0
    for method, path, operation in _operations(document):
        declared = operation.get("security", [])
        if not declared:  # public: nothing is asked for, and nothing is refused for a missing credential
            response = actors.client.request(method, _url(path))
            assert not (response.status_code == 401 and response.json()["error"] in MISSING), f"{method} {path}"
            continue
        # One requirement object: every scheme in it is needed (AND), none is an alternative (OR).
        assert len(declared) == 1, f"{method} {path} declares alternatives: {declared}"
        names = set(declared[0])
        both += len(names) > 1
        if path.startswith("/auth/"):  # logout and a password change end the token: a fresh one each time
            values["bearer"] = actors.user_with(*Role)["Authorization"]
        every = _headers_for(document, names, values)
        complete = actors.client.request(method, _url(path), headers=every)
        assert not (complete.status_code == 401 and complete.json()["error"] in MISSING), (
            f"{method} {path}: sent {sorted(names)}, still refused for a missing credential: {complete.text}")
        for name in names:
            without = _headers_for(document, names - {name}, values)
            response = actors.client.request(method, _url(path), headers=without)
            assert response.status_code == 401 and response.json()["error"] in MISSING, (
                f"{method} {path} declares {name} but answered {response.status_code} without it")
    assert both >= 5  # the candidate's calls and the staff's presence check-in need two credentials each
    presence = document["paths"]["/sittings/{code}/presence"]["post"]["security"]
    assert presence == [{"Login": [], "Workstation": []}]
    assert document["paths"]["/attempt/start"]["post"]["security"] == [{"CandidateSession": [], "Workstation": []}]


def test_each_operation_publishes_the_roles_and_scopes_the_server_enforces(app: FastAPI, actors: Actors) -> None:
    document = actors.client.get("/openapi.json").json()
    routes = {(m, document_path(p)): r for m, p, r in api_routes(app)}
    refused = 0
    for method, path, operation in _operations(document):
        requirements = list(iter_access_requirements(routes[(method, path)].dependant))
        roles = sorted({str(r) for q in requirements for r in getattr(q, "roles", ())})
        assert operation["x-roles"] == roles, f"{method} {path}"
        scoped = [q for q in requirements if isinstance(q, SittingRequirement)]
        if scoped:
            assert operation["x-sitting-scope"] == {str(r): str(s) for r, s in scoped[0].scopes.items()}
        else:
            assert "x-sitting-scope" not in operation
        line = operation["description"].splitlines()[-1]
        assert line.startswith("**Who may call:**"), f"{method} {path}"
        for role in roles:
            assert f"{Role(role).label} `{role}`" in line
        # What the document says is what the server does: every role it does not list is refused.
        if roles and "Workstation" not in operation["security"][0]:
            others = [r for r in Role if str(r) not in roles]
            response = actors.client.request(method, _url(path), headers=actors.user_with(*others))
            assert (response.status_code, response.json()["error"]) == (403, "forbidden"), f"{method} {path}"
            refused += 1
    assert refused >= 80
    scope = document["paths"]["/sittings/{code}/papers/{admission_number}"]["get"]["x-sitting-scope"]
    assert scope == {"auditor": "closed", "chief_examiner": "assigned"}


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_each_limit_has_one_definition_in_schema_and_column(actors: Actors) -> None:
    document = actors.client.get("/openapi.json").json()
    # The passphrase: the minimum a key is made with is what every passphrase field asks for.
    passphrases = [p for s in document["components"]["schemas"].values()
                   for n, p in s.get("properties", {}).items() if n == "passphrase"]
    assert len(passphrases) >= 4 and all(p["minLength"] == PASSPHRASE_MIN for p in passphrases)
    # Admission numbers: one length and pattern wherever they come in, the database column's length.
    assert Registration.__table__.c.admission_number.type.length == ADMISSION_NUMBER_MAX
    fields = [_schema(document, "CheckInCreate")["properties"]["admission_number"],
              _schema(document, "SignIn")["properties"]["admission_number"],
              _schema(document, "PaperSetCreate")["properties"]["candidates"]["anyOf"][0]["items"]]
    fields += [p["schema"] for _, _, op in _operations(document) for p in op.get("parameters", [])
               if p["name"] in ("admission_number", "candidate")]
    assert len(fields) >= 12
    for field in fields:
        assert (field["maxLength"], field["pattern"]) == (ADMISSION_NUMBER_MAX, ADMISSION_NUMBER_PATTERN), field
    short = actors.client.post("/examiners/me/key", headers=actors.user_with(Role.CHIEF_EXAMINER),
                               json={"passphrase": "x" * (PASSPHRASE_MIN - 1)})
    assert short.status_code == 422
    assert f"至少 {PASSPHRASE_MIN} 个字符" in short.json()["message"]


def test_positions_count_from_zero_and_a_true_false_question_has_no_options(actors: Actors) -> None:
    document = actors.client.get("/openapi.json").json()
    item = _schema(document, "ItemRead")
    assert "counting from 0" in item["properties"]["position"]["description"]
    assert "`[]`" in item["properties"]["options"]["description"]
    assert "判断题" in item["properties"]["options"]["description"]
    assert any(example["options"] == [] and example["type"] == "true_false" for example in item["examples"])
    save = document["paths"]["/attempt/answers/{position}"]["put"]["parameters"][0]
    assert save["schema"]["minimum"] == 0 and "counting from 0" in save["description"]
