"""The route-matrix tests' view of the staff console's page routes (examsvc.web.staff_access).

A page route takes the login from the staff cookie (never a header) and answers a refusal with a page:
a redirect to the log-in page, or the refusal page with its code in ``X-Error``. These helpers let the
matrix tests send the same callers to page routes and read the same refusal codes back."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.routing import APIRoute

from examsvc.identity.access import iter_access_requirements
from examsvc.identity.browser import CSRF_COOKIE, CSRF_HEADER, STAFF_COOKIE
from examsvc.web.staff_access import ERROR_HEADER, LOGIN_PATH, StaffPage, StaffSittingPage

PAGE_CSRF = "page-matrix-csrf"


def is_page(route: APIRoute) -> bool:
    return any(isinstance(r, StaffPage | StaffSittingPage) for r in iter_access_requirements(route.dependant))


def as_page_caller(headers: dict[str, str]) -> dict[str, str]:
    """The API caller's bearer token moved into the console's cookie, with a valid CSRF pair for writes."""
    token = headers.get("Authorization", "")[len("Bearer "):]
    cookies = [f"{CSRF_COOKIE}={PAGE_CSRF}"] + ([f"{STAFF_COOKIE}={token}"] if token else [])
    kept = {k: v for k, v in headers.items() if k != "Authorization"}
    return kept | {"Cookie": "; ".join(cookies), CSRF_HEADER: PAGE_CSRF}


def page_request(client: Any, method: str, url: str, headers: dict[str, str], **extra: Any) -> httpx.Response:
    response: httpx.Response = client.request(method, url, headers=as_page_caller(headers), follow_redirects=False,
                                              **extra)
    return response


def error_code(response: httpx.Response) -> str:
    """The refusal's code: the JSON body's ``error``, or a page's ``X-Error`` header; "" when admitted."""
    if ERROR_HEADER.lower() in response.headers:
        return response.headers[ERROR_HEADER]
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return str(body.get("error", "")) if isinstance(body, dict) else ""
    return ""


def sent_to_login(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(LOGIN_PATH)
