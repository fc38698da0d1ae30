"""Who may open a staff console page: the JSON API's own role and sitting-scope rules, read from the cookie.

A page route declares ``Depends(staff_page(Role.X, …))`` or ``Depends(staff_sitting_page({Role.X:
Scope.…}))``: the very ``RoleRequirement`` / ``SittingRequirement`` of ``examsvc.identity.access`` and
``examsvc.sittings.access`` (subclasses, so the route-matrix tests walk page routes with the API's), with
two differences a browser needs:

- the token comes from the staff cookie (HttpOnly, SameSite=Strict), never from a header;
- a refusal is a page, not JSON: no login (or an expired one) redirects to the log-in page, which
  brings the user back afterwards; a wrong role or sitting shows the refusal in Chinese, with the
  refusal's code in the ``X-Error`` header (what the tests read).

A device handed to a person for a spot exam (逢查必考, ``AccessToken.locked_spot_exam_id``) opens no console
page: the API's 423 ``device_handed_over`` sends the browser back to the phone page (``SPOT_EXAM_PATH``),
which alone admits the locked login (``staff_handover_page``), so no officer data is ever shown.

A write (POST) must carry the CSRF token (double submit: the ``csrf`` form field or the
``X-CSRF-Token`` header equal to the ``examsvc_csrf`` cookie), checked before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from examsvc.db import get_db_session
from examsvc.errors import ExamServiceError, HandedOver, NotAuthenticated
from examsvc.identity import browser
from examsvc.identity.access import CurrentUser, RoleRequirement
from examsvc.identity.roles import Role
from examsvc.sittings.access import Scope, SittingCaller, SittingRequirement
from examsvc.spot.access import HandedOver as HandedOverCaller
from examsvc.spot.access import require_handover

LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff"
SPOT_EXAM_PATH = "/staff/spot/exam"
ERROR_HEADER = "X-Error"


class PageRefusal(Exception):
    """A page's refusal: rendered as a page (``install_page_refusals``), not as the API's JSON."""

    def __init__(self, refused: ExamServiceError) -> None:
        super().__init__(refused.message)
        self.refused = refused


async def page_csrf(request: Request) -> None:
    """A page's write carries the CSRF token, in a header (scripts) or in the form (plain forms). The
    form is kept for the route (``posted``): a plain ``def`` route cannot read the body itself."""
    if request.method in browser.SAFE_METHODS:
        return
    fields: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    request.state.form = fields
    presented = request.headers.get(browser.CSRF_HEADER) or fields.get("csrf")
    try:
        browser.require_csrf(request, presented)
    except ExamServiceError as refused:
        raise PageRefusal(refused) from refused


def posted(request: Request) -> dict[str, str]:
    """The urlencoded form of a page's POST, as ``page_csrf`` read and checked it."""
    return dict(getattr(request.state, "form", {}))


def cookie_credentials(request: Request) -> HTTPAuthorizationCredentials | None:
    token = request.cookies.get(browser.STAFF_COOKIE)
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None


CsrfChecked = Annotated[None, Depends(page_csrf)]
Db = Annotated[Session, Depends(get_db_session, scope="function")]


class StaffPage(RoleRequirement):
    def __call__(self, request: Request, _: CsrfChecked, db_session: Db) -> CurrentUser:  # type: ignore[override]
        try:
            return self.authenticate(request, cookie_credentials(request), db_session)
        except ExamServiceError as refused:
            raise PageRefusal(refused) from refused


class StaffSittingPage(SittingRequirement):
    def __call__(self, request: Request, _: CsrfChecked, db_session: Db) -> SittingCaller:  # type: ignore[override]
        try:
            return self.admit(request, cookie_credentials(request), db_session)
        except ExamServiceError as refused:
            raise PageRefusal(refused) from refused


class StaffHandoverPage(StaffPage):
    """The handed-over device's pages: the officer's login, locked to a spot exam or not (the API's own
    ``spot.access.require_handover``, read from the cookie)."""

    def __init__(self) -> None:
        super().__init__(*require_handover.roles)

    def __call__(self, request: Request, _: CsrfChecked, db_session: Db) -> HandedOverCaller:  # type: ignore[override]
        try:
            return require_handover(request, cookie_credentials(request), db_session)
        except ExamServiceError as refused:
            raise PageRefusal(refused) from refused


def staff_page(*roles: Role) -> StaffPage:
    return StaffPage(*roles)


def staff_sitting_page(scopes: Mapping[Role, Scope]) -> StaffSittingPage:
    return StaffSittingPage(scopes)


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a console page of this origin only (never an open redirect)."""
    if path and path.startswith(HOME_PATH) and not path.startswith("//") and "\\" not in path:
        return path
    return HOME_PATH


def to_login(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = LOGIN_PATH if request.method != "GET" else f"{LOGIN_PATH}?next={quote(safe_next(here), safe='/')}"
    return RedirectResponse(target, status_code=303)


def install_page_refusals(app: FastAPI) -> None:
    from examsvc.web.staff import refused_page  # the page needs the templates; they need nothing from here

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageRefusal)
        if isinstance(exc.refused, HandedOver):  # the person answering never sees the officer's pages
            response: Response = RedirectResponse(SPOT_EXAM_PATH, status_code=303)
        elif isinstance(exc.refused, NotAuthenticated):
            response = to_login(request)
            if request.cookies.get(browser.STAFF_COOKIE):  # expired or revoked: drop it
                browser.clear_cookie(response, request, browser.STAFF_COOKIE)
        else:
            response = refused_page(request, exc.refused)
        response.headers[ERROR_HEADER] = exc.refused.code
        return response

    app.add_exception_handler(PageRefusal, handle)
