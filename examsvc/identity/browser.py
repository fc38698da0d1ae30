"""The workstation's browser carries its two credentials in cookies instead of headers.

The exam-site PC's browser keeps the workstation credential (from enrolment) and the candidate's session
(from sign-in) in HttpOnly, SameSite=Strict cookies: page scripts can never read them, and no other site
can make the browser send them. The JSON routes take them from these cookies when the headers are absent,
so the pages call the very routes the API documents (docs/workstation.md).

A write authenticated by cookie must also carry the CSRF token (``X-CSRF-Token``, or the ``csrf`` form
field of a page's form) equal to the ``examsvc_csrf`` cookie (double submit): SameSite=Strict already
keeps cross-site requests cookie-less, and the token covers browsers or proxies that ignore it.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from examsvc.errors import Forbidden

WORKSTATION_COOKIE = "examsvc_ws"
CANDIDATE_COOKIE = "examsvc_candidate"
# A staff member's login token (the staff console, examsvc.web.staff): a browser-session cookie, never
# readable by scripts; the JSON routes take it where no ``Authorization`` header is sent.
STAFF_COOKIE = "examsvc_staff"
CSRF_COOKIE = "examsvc_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WORKSTATION_COOKIE_DAYS = 400  # the browsers' longest; an enrolment outlives many exam days


def from_header_or_cookie(request: Request, header_value: str | None, cookie: str) -> str | None:
    """The header's credential, else the cookie's; a cookie-borne write must present the CSRF token."""
    if header_value:
        return header_value
    value = request.cookies.get(cookie)
    if value and request.method not in SAFE_METHODS:
        require_csrf(request, request.headers.get(CSRF_HEADER))
    return value or None


def require_csrf(request: Request, presented: str | None) -> None:
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not presented or not hmac.compare_digest(expected.encode(), presented.encode()):
        raise Forbidden("页面已过期或请求来源无效（防伪令牌不符），请刷新页面后重试。", code="csrf_failed",
                        detail={"field": CSRF_HEADER})


def csrf_token(request: Request) -> str:
    """The browser's CSRF token: the cookie's, or a new one (set on the response by ``set_csrf``)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_cookie(response: Response, request: Request, name: str, value: str, *, days: int | None = None) -> None:
    response.set_cookie(name, value, max_age=None if days is None else days * 86400, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
