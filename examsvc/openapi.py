"""The OpenAPI document, corrected in one place to say what the server enforces (issue 16 items 12, 13).

FastAPI lists a route's security schemes as alternatives (one requirement object each: "this OR that"),
while every examsvc access rule needs all the credentials it reads: a staff member's presence check-in
wants their login AND the site's workstation, a candidate's call the workstation AND the candidate's
session. So each operation's ``security`` is rewritten as one requirement object holding every scheme
the route's dependencies read (OpenAPI 3.1 §4.8.30: the names in one object must all be satisfied).

Who may call is published from the same ``AccessRequirement`` objects that admit or refuse at run time:
``x-roles`` (the roles admitted), ``x-sitting-scope`` (for a route that names a sitting, the scope each
role acts in: ``assigned``, ``province`` or ``closed``; see ``sittings.access``) and a line at the end
of each operation's description.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from examsvc.errors import describe_errors
from examsvc.identity.access import RoleRequirement, api_routes, iter_access_requirements
from examsvc.identity.roles import Role
from examsvc.sittings.access import Scope, SittingRequirement

# What each credential scheme (identity.access, attempts.access) means to a reader of the document.
SCHEME_TEXT = {
    "Login": "a logged-in user (`Authorization: Bearer`)",
    "Workstation": "an approved exam-site workstation (`X-Workstation-Token`)",
    "CandidateSession": "the candidate's session opened on that workstation (`X-Candidate-Session`)",
}
SCOPE_TEXT = {Scope.ASSIGNED: "assigned to this sitting", Scope.PROVINCE: "province-wide",
              Scope.CLOSED: "once the sitting is closed"}


def credential_schemes(dependant: Dependant) -> set[str]:
    """The names of every security scheme the route's dependencies read, at any depth."""
    found: set[str] = set()
    for sub in dependant.dependencies:
        if isinstance(sub.call, SecurityBase):
            found.add(sub.call.scheme_name)
        found |= credential_schemes(sub)
    return found


def admitted_roles(route: APIRoute) -> list[str]:
    roles: set[str] = set()
    for requirement in iter_access_requirements(route.dependant):
        if isinstance(requirement, RoleRequirement):
            roles |= {str(r) for r in requirement.roles}
    return sorted(roles)


def sitting_scopes(route: APIRoute) -> dict[str, str] | None:
    for requirement in iter_access_requirements(route.dependant):
        if isinstance(requirement, SittingRequirement):
            return {str(role): str(scope) for role, scope in sorted(requirement.scopes.items())}
    return None


def _scheme_order(name: str) -> tuple[int, str]:
    order = list(SCHEME_TEXT)
    return (order.index(name) if name in order else len(order), name)


def who_may_call(roles: list[str], scopes: dict[str, str] | None, schemes: set[str]) -> str:
    """One line for the description, e.g. "Who may call: 主考官 chief_examiner (assigned to this sitting)…"."""
    if not schemes:
        return "**Who may call:** anyone (public route)."
    named = []
    for role in roles:
        scope = f" ({SCOPE_TEXT[Scope(scopes[role])]})" if scopes and role in scopes else ""
        named.append(f"{Role(role).label} `{role}`{scope}")
    callers = "; ".join(named) if named else "no staff role needed"
    needs = " AND ".join(SCHEME_TEXT.get(s, s) for s in sorted(schemes, key=_scheme_order))
    return f"**Who may call:** {callers}. **Credentials, all required:** {needs}."


def document_path(path: str) -> str:
    """The route's path as the document writes it: ``{rest:path}`` is ``{rest}`` there."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


def correct(document: dict[str, Any], app: FastAPI) -> None:
    describe_errors(document)
    for method, path, route in api_routes(app):
        operation = document.get("paths", {}).get(document_path(path), {}).get(method.lower())
        if operation is None:  # a route left out of the schema
            continue
        schemes = credential_schemes(route.dependant)
        if schemes:
            operation["security"] = [{name: [] for name in sorted(schemes)}]
        else:
            operation.pop("security", None)
        roles, scopes = admitted_roles(route), sitting_scopes(route)
        operation["x-roles"] = roles
        if scopes is not None:
            operation["x-sitting-scope"] = scopes
        line = who_may_call(roles, scopes, schemes)
        operation["description"] = f"{operation['description']}\n\n{line}" if operation.get("description") else line


def install_openapi(app: FastAPI) -> None:
    """``app.openapi`` builds FastAPI's document once, then corrects it (``correct``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            correct(document, app)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
