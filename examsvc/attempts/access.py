"""The access rule for a candidate's own calls: their session, on the workstation it was opened on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit.actors import Actor
from examsvc.candidates.models import Registration
from examsvc.errors import Forbidden, NotAuthenticated
from examsvc.identity import browser
from examsvc.identity.access import AccessRequirement, workstation_key_scheme
from examsvc.identity.tokens import digest_secret
from examsvc.sites import service as sites
from examsvc.sites.models import Workstation
from examsvc.sittings.models import CandidateCheckIn

CANDIDATE_HEADER = "X-Candidate-Session"
candidate_session_scheme = APIKeyHeader(name=CANDIDATE_HEADER, scheme_name="CandidateSession", auto_error=False,
                                        description="考生在本机登录后获得的会话令牌 (candidate session)")


@dataclass(frozen=True)
class CurrentCandidate:
    check_in: CandidateCheckIn
    registration: Registration
    workstation: Workstation

    @property
    def admission_number(self) -> str:
        return self.registration.admission_number

    @property
    def actor(self) -> Actor:
        """The log names the workstation; the candidate is named in the entry's details."""
        return Actor.workstation(self.workstation.id, self.workstation.site_id)


@dataclass(frozen=True)
class CandidateCredentials:
    """The two secrets a candidate call carries, checked by ``authenticate`` in the route's transaction."""

    request: Request
    credential: str
    session: str


class CandidateSessionRequirement(AccessRequirement):
    """Reads the credentials without the database, so that the route can check them, do its work and
    commit in one worker thread (``in_request_transaction``); missing credentials are refused here
    already, before the body is read."""

    async def __call__(
        self,
        request: Request,
        credential: Annotated[str | None, Depends(workstation_key_scheme)],
        session: Annotated[str | None, Depends(candidate_session_scheme)],
    ) -> CandidateCredentials:
        # The workstation's browser sends both in HttpOnly cookies (examsvc.identity.browser).
        credential = browser.from_header_or_cookie(request, credential, browser.WORKSTATION_COOKIE)
        session = browser.from_header_or_cookie(request, session, browser.CANDIDATE_COOKIE)
        if not credential:
            raise NotAuthenticated("请求必须来自已登记并获批准的考试机。", code="workstation_required")
        if not session:
            raise NotAuthenticated("请先在本机登录考生账号。", code="candidate_session_required")
        return CandidateCredentials(request=request, credential=credential, session=session)


def authenticate(db_session: Session, credentials: CandidateCredentials) -> CurrentCandidate:
    workstation = sites.authenticate_workstation(db_session=db_session, credential=credentials.credential)
    found = db_session.execute(select(CandidateCheckIn, Registration).join(
        Registration, Registration.id == CandidateCheckIn.registration_id).where(
        CandidateCheckIn.session_digest == digest_secret(credentials.session))).first()
    if found is None:
        raise NotAuthenticated("考生会话无效或已被监考员重置，请重新登录。", code="candidate_session_invalid")
    check_in, registration = found
    if check_in.workstation_id != workstation.id:
        raise Forbidden("考生会话只能在其座位的考试机上使用。", code="wrong_workstation")
    credentials.request.scope.setdefault("state", {})["principal_label"] = f"workstation:{workstation.id}"
    return CurrentCandidate(check_in=check_in, registration=registration, workstation=workstation)


require_candidate = CandidateSessionRequirement()
