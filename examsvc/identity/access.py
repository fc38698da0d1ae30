"""Who may call a route. Every route declares it; ``assert_every_route_declares_access`` enforces that.

A route admits either users holding one of a set of roles (``require_roles``), an approved workstation
(``require_workstation``), or is on the short public allow-list (``PUBLIC_ROUTES``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.db import get_db_session
from examsvc.errors import Forbidden, NotAuthenticated
from examsvc.identity import browser, service
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import Role

WORKSTATION_HEADER = "X-Workstation-Token"

# Each credential has a scheme name of its own: the OpenAPI document's security requirements name them
# (examsvc.openapi), and two schemes under one name would collapse into one.
bearer_scheme = _bearer = HTTPBearer(scheme_name="Login", auto_error=False,
                                     description="登录后获得的访问令牌 (access token): `Authorization: Bearer …`")
workstation_key_scheme = APIKeyHeader(name=WORKSTATION_HEADER, scheme_name="Workstation", auto_error=False,
                                      description="考试机登记后获得的凭据 (workstation credential)")

# (method, path) pairs that need no credential at all.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/auth/login"),
    # Gated by the site's enrolment code in the body instead of a login; the device stays
    # useless until a system admin approves it.
    ("POST", "/workstations/enrol"),
    # The log's checkpoint and verifier key are public by design: anyone may keep and compare them.
    ("GET", "/audit/checkpoint"),
    ("GET", "/audit/key"),
    # Certificates are checked by anyone (docs/certificates.md): the province's public keys, and the check of
    # a QR text, rate-limited per client, answering no more than the card itself shows.
    ("GET", "/certificates/keys"), ("POST", "/certificates/verify"),
    # ... and its page for people (examsvc.web.verify): the same check and limiter, a form without a login.
    ("GET", "/verify"), ("POST", "/verify"),
    # C2SP tlog-tiles hash tiles: hashes only, no entry content, so anyone may rebuild and compare the
    # tree the public checkpoint commits to. Entry bundles stay auditor-only (docs/audit-log.md).
    ("GET", "/audit/tile/{level:int}/{rest:path}"),
    # The workstation's pages (examsvc.web.pages): each reads the browser's cookies itself and shows a
    # browser without them the enrolment or the seat page; what they show or do goes through the same
    # checks as the API (sites.authenticate_workstation, attempts.access.authenticate, CSRF on writes).
    ("GET", "/ws"), ("POST", "/ws/enrol"), ("POST", "/ws/sign-in"), ("GET", "/ws/readiness"), ("GET", "/ws/exam"),
    ("GET", "/ws/result"), ("POST", "/ws/done"),
    # The staff console's log-in page and form (examsvc.web.staff): the API's own login service and throttle,
    # with the CSRF token on the form.
    ("GET", "/staff/login"), ("POST", "/staff/login"),
    # The pages' scripts and style sheet (no data).
    ("GET", "/static/{name}"),
})


@dataclass(frozen=True)
class CurrentUser:
    user: UserAccount
    token: str
    # The roles under which the route admitted this user: what the log records them acting as.
    acting_roles: tuple[str, ...] = ()

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def actor(self) -> Actor:
        return Actor.user(self.user.id, self.user.username, self.acting_roles)

    def has(self, role: Role) -> bool:
        return role in self.user.role_names


class AccessRequirement:
    """Marker base: a dependency that decides who may call the route it guards."""


class RoleRequirement(AccessRequirement):
    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a role requirement needs at least one role")
        self.roles = frozenset(roles)

    def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        db_session: Annotated[Session, Depends(get_db_session, scope="function")],
    ) -> CurrentUser:
        return self.authenticate(request, bearer_or_cookie(request, credentials), db_session)

    def authenticate(self, request: Request, credentials: HTTPAuthorizationCredentials | None,
                     db_session: Session) -> CurrentUser:
        """The caller's token, then their roles: a wrong role is refused before anything is looked up."""
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise NotAuthenticated()
        user = service.authenticate_token(db_session=db_session, secret=credentials.credentials)
        request.scope.setdefault("state", {})["principal_label"] = f"user:{user.id}"
        acting = tuple(sorted(self.roles.intersection(user.role_names)))
        if not acting:
            raise Forbidden(detail={"required_roles": sorted(self.roles)})
        return CurrentUser(user=user, token=credentials.credentials, acting_roles=acting)


def bearer_or_cookie(request: Request,
                     credentials: HTTPAuthorizationCredentials | None) -> HTTPAuthorizationCredentials | None:
    """The ``Authorization`` header's token, else the staff console's cookie (a write by cookie must carry
    the CSRF token, ``browser.from_header_or_cookie``): the console's scripts call these very routes."""
    if credentials is not None:
        return credentials
    cookie = browser.from_header_or_cookie(request, None, browser.STAFF_COOKIE)
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=cookie) if cookie else None


def require_roles(*roles: Role) -> RoleRequirement:
    return RoleRequirement(*roles)


ALL_ROLES = tuple(Role)


def iter_access_requirements(dependant: Dependant) -> Iterator[AccessRequirement]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, AccessRequirement):
            yield sub.call
        yield from iter_access_requirements(sub)


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) for every API route, through included routers."""
    found: list[tuple[str, str, APIRoute]] = []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, APIRoute) and context.path:
            found.extend((method, context.path, route) for method in sorted(context.methods or ()))
    return found


def assert_every_route_declares_access(app: FastAPI) -> None:
    """Refuses to build an application in which some route forgot to say who may call it."""
    missing = []
    for method, path, route in api_routes(app):
        declared = list(iter_access_requirements(route.dependant))
        if ((method, path) in PUBLIC_ROUTES) == bool(declared):
            missing.append(f"{method} {path}")
    if missing:
        raise RuntimeError("routes without exactly one access rule (roles, workstation or public): "
                           + ", ".join(sorted(missing)))
