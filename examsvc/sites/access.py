"""The access rule for candidate-facing calls: they must come from an approved workstation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.db import get_db_session
from examsvc.errors import NotAuthenticated
from examsvc.identity import browser
from examsvc.identity.access import AccessRequirement, workstation_key_scheme
from examsvc.sites import service
from examsvc.sites.models import Workstation


@dataclass(frozen=True)
class CurrentWorkstation:
    workstation: Workstation

    @property
    def id(self) -> int:
        return self.workstation.id

    @property
    def site_id(self) -> int:
        return self.workstation.site_id

    @property
    def actor(self) -> Actor:
        return Actor.workstation(self.workstation.id, self.workstation.site_id)


class WorkstationRequirement(AccessRequirement):
    def __call__(
        self,
        request: Request,
        credential: Annotated[str | None, Depends(workstation_key_scheme)],
        db_session: Annotated[Session, Depends(get_db_session, scope="function")],
    ) -> CurrentWorkstation:
        credential = browser.from_header_or_cookie(request, credential, browser.WORKSTATION_COOKIE)
        if not credential:
            raise NotAuthenticated("请求必须来自已登记并获批准的考试机。", code="workstation_required")
        workstation = service.authenticate_workstation(db_session=db_session, credential=credential)
        request.scope.setdefault("state", {})["principal_label"] = f"workstation:{workstation.id}"
        return CurrentWorkstation(workstation=workstation)


require_workstation = WorkstationRequirement()
