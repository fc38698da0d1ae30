"""The auditor's page (``/staff/audit``): a shell for ``static/auditor.js``, which fetches the log through the
API's own routes (``/audit/…``, with the staff cookie) and verifies it in the browser (``tlog-verify.js``).
The page itself reads nothing: what it shows is what the browser verified."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import Role
from examsvc.web.pages import render
from examsvc.web.staff_access import staff_page

router = APIRouter(prefix="/staff", include_in_schema=False)
Auditor = Annotated[CurrentUser, Depends(staff_page(Role.AUDITOR))]


@router.get("/audit")
def audit_page(request: Request, current: Auditor) -> HTMLResponse:
    return render(request, "staff/audit.html", user=current.user)
