"""Which sitting a caller may touch: the one way every sitting-scoped route says it.

A role check alone lets any chief examiner act on any sitting. A sitting-scoped route therefore declares,
for each role it admits, the *scope* in which that role may act:

- ``ASSIGNED``: only a holder of the role who is assigned to this sitting in that role (主考官负责制:
  the sitting's own chief examiner; the sitting's own proctors and evaluators). Room-level rules (a
  proctor of *this* room, checked in) stay with the service that knows the room.
- ``PROVINCE``: the role's job is province-wide (exam administrators run every sitting; inspectors
  patrol every site), so any holder may act.
- ``CLOSED``: province-wide, but only once the sitting is closed (auditors read what is finished, not
  a sitting in progress).

The sitting is found from the path: ``{code}``, or ``{paper_set_id}`` through the set's sitting; a list
that is not under a sitting's path names it in the query instead (``?sitting=CODE``). The
role is checked first (a wrong role is refused before anything is looked up), then the sitting, then
the scope. ``tests/test_sitting_scope.py`` walks the route table with an assigned and an unassigned
holder of every admitted role, so a new route cannot forget this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.db import get_db_session
from examsvc.errors import Forbidden, InvalidInput, NotFound
from examsvc.identity.access import (
    CurrentUser,
    RoleRequirement,
    api_routes,
    bearer_or_cookie,
    bearer_scheme,
    iter_access_requirements,
)
from examsvc.identity.roles import Role
from examsvc.papers.models import PaperSet
from examsvc.sittings.models import Sitting, SittingStatus, StaffAssignment, StaffRole
from examsvc.sittings.service import get as get_sitting


class Scope(StrEnum):
    ASSIGNED = "assigned"
    PROVINCE = "province"
    CLOSED = "closed"


# A role acts on a sitting as the staff role it is assigned under.
STAFF_ROLE = {Role.CHIEF_EXAMINER: StaffRole.CHIEF_EXAMINER, Role.PROCTOR: StaffRole.PROCTOR,
              Role.EVALUATOR: StaffRole.EVALUATOR, Role.INSPECTOR: StaffRole.INSPECTOR}

# Where the path names the sitting; or, for a list outside a sitting's path, the query.
PATH_PARAMETERS = ("code", "paper_set_id")
QUERY_PARAMETER = "sitting"


@dataclass(frozen=True)
class SittingCaller(CurrentUser):
    """A user admitted to one sitting; ``acting_roles`` are the roles whose scope admitted them."""

    sitting_code: str = ""


def sitting_of_path(db_session: Session, path_params: Mapping[str, str],
                    query_params: Mapping[str, str] | None = None) -> Sitting:
    if "code" in path_params:
        return get_sitting(db_session=db_session, code=path_params["code"])
    if "paper_set_id" not in path_params:
        code = (query_params or {}).get(QUERY_PARAMETER)
        if not code:
            raise InvalidInput("请在查询参数 sitting 中给出考试场次代码。", code="sitting_required",
                               detail={"field": QUERY_PARAMETER})
        return get_sitting(db_session=db_session, code=code)
    raw = path_params.get("paper_set_id", "")
    paper_set = db_session.get(PaperSet, int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if paper_set is None:
        raise NotFound("试卷集不存在。", code="paper_set_not_found", detail={"paper_set_id": raw})
    return get_sitting(db_session=db_session, code=paper_set.sitting_code)


def assigned_roles(db_session: Session, sitting: Sitting, user_id: int) -> set[StaffRole]:
    return {StaffRole(r) for r in db_session.scalars(select(StaffAssignment.role).where(
        StaffAssignment.sitting_id == sitting.id, StaffAssignment.user_id == user_id))}


def admits(scope: Scope, role: Role, sitting: Sitting, assigned: set[StaffRole]) -> bool:
    if scope == Scope.PROVINCE:
        return True
    if scope == Scope.CLOSED:
        return sitting.status == SittingStatus.CLOSED
    return STAFF_ROLE.get(role) in assigned


class SittingRequirement(RoleRequirement):
    def __init__(self, scopes: Mapping[Role, Scope]) -> None:
        super().__init__(*scopes)
        for role, scope in scopes.items():
            if scope == Scope.ASSIGNED and role not in STAFF_ROLE:
                raise ValueError(f"{role} is never assigned to a sitting; give it another scope")
        self.scopes = dict(scopes)

    def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        db_session: Annotated[Session, Depends(get_db_session, scope="function")],
    ) -> SittingCaller:
        return self.admit(request, bearer_or_cookie(request, credentials), db_session)

    def admit(self, request: Request, credentials: HTTPAuthorizationCredentials | None,
              db_session: Session) -> SittingCaller:
        """The role (``authenticate``), then the sitting named by the path or query, then the scope."""
        current = self.authenticate(request, credentials, db_session)
        sitting = sitting_of_path(db_session, request.path_params, request.query_params)
        assigned = assigned_roles(db_session, sitting, current.id)
        acting = tuple(r for r in current.acting_roles
                       if admits(self.scopes[Role(r)], Role(r), sitting, assigned))
        if not acting:
            waiting = [str(r) for r in current.acting_roles if self.scopes[Role(r)] == Scope.CLOSED]
            if waiting:
                raise Forbidden("考试场次结束后才能查看。", code="sitting_not_closed",
                                detail={"sitting": sitting.code, "roles": waiting})
            raise Forbidden("您未被安排在本场次，不能查看或操作（不得越位、错位）。", code="not_assigned",
                            detail={"sitting": sitting.code,
                                    "scopes": {str(r): str(s) for r, s in sorted(self.scopes.items())}})
        return SittingCaller(user=current.user, token=current.token, acting_roles=acting,
                             sitting_code=sitting.code)


def require_sitting(scopes: Mapping[Role, Scope]) -> SittingRequirement:
    return SittingRequirement(scopes)


def is_province_wide(current: CurrentUser, *roles: Role) -> bool:
    """For lists: a holder of one of these province-wide roles sees every sitting."""
    return any(current.has(r) for r in roles)


def names_a_sitting(path: str, route: APIRoute) -> bool:
    """The route's path names a sitting, or its query does (``?sitting=CODE``)."""
    return (any("{" + p + "}" in path for p in PATH_PARAMETERS)
            or any(q.alias == QUERY_PARAMETER for q in route.dependant.query_params))


def assert_sitting_routes_scoped(app: FastAPI) -> None:
    """Refuses to build an application in which a route that names a sitting checks only roles."""
    unscoped = [f"{method} {path}" for method, path, route in api_routes(app)
                if names_a_sitting(path, route)
                and not any(isinstance(r, SittingRequirement) for r in iter_access_requirements(route.dependant))]
    if unscoped:
        raise RuntimeError("sitting-scoped routes without a sitting scope (require_sitting): "
                           + ", ".join(sorted(unscoped)))
