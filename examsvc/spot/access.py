"""Who may call the spot-exam routes (docs/spot-exams.md).

An inspection is acted on by its own two officers only (``inspections.require_officer``); the province's
readers (exam admins, auditors, inspectors) read every inspection. While the device is handed to a
person, the officer's token is locked (``AccessToken.locked_spot_exam_id``): every other route refuses it
(``identity.service.authenticate_token``, 423) and only the handover routes below accept it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from examsvc.db import get_db_session
from examsvc.errors import Forbidden, NotAuthenticated
from examsvc.identity import service
from examsvc.identity.access import CurrentUser, RoleRequirement, bearer_or_cookie, bearer_scheme
from examsvc.identity.models import AccessToken
from examsvc.identity.roles import Role


@dataclass(frozen=True)
class HandedOver:
    """The officer's token, which may be locked to a spot exam, and the officer."""

    token: AccessToken
    current: CurrentUser


class HandoverRequirement(RoleRequirement):
    """An enforcement officer's token, locked or not: the person answering on the handed-over device, or
    the officer unlocking it. The handover routes check which exam the lock is for."""

    def __init__(self) -> None:
        super().__init__(Role.ENFORCEMENT_OFFICER)

    def __call__(  # type: ignore[override]
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        db_session: Annotated[Session, Depends(get_db_session, scope="function")],
    ) -> HandedOver:
        presented = bearer_or_cookie(request, credentials)
        if presented is None or presented.scheme.lower() != "bearer":
            raise NotAuthenticated()
        token = service.live_token(db_session=db_session, secret=presented.credentials)
        request.scope.setdefault("state", {})["principal_label"] = f"user:{token.user.id}"
        acting = tuple(sorted(self.roles.intersection(token.user.role_names)))
        if not acting:
            raise Forbidden(detail={"required_roles": sorted(self.roles)})
        return HandedOver(token, CurrentUser(user=token.user, token=presented.credentials, acting_roles=acting))


require_handover = HandoverRequirement()
