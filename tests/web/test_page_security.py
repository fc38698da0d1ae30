"""The pages' security without a browser (the ASGI test client): CSP without inline scripts, cookies that
page scripts cannot read, CSRF on cookie-authenticated writes, long-cached static files with ETags, and
nothing of the paper in a page."""

from __future__ import annotations

import gzip
import re

from fastapi.testclient import TestClient

from examsvc.identity.browser import CANDIDATE_COOKIE, CSRF_COOKIE, CSRF_HEADER, WORKSTATION_COOKIE
from examsvc.web import static
from tests.attempts.conftest import exam  # noqa: F401  (the fixture)
from tests.attempts.exam import Exam
from tests.sittings.conftest import day  # noqa: F401  (the fixture)


def as_browser(client: TestClient, exam: Exam, i: int) -> str:  # noqa: F811
    """The candidate's two credentials as the browser's cookies; returns the CSRF token of the page."""
    client.cookies.set(WORKSTATION_COOKIE, exam.sessions[i]["X-Workstation-Token"])
    client.cookies.set(CANDIDATE_COOKIE, exam.sessions[i]["X-Candidate-Session"])
    page = client.get("/ws/exam")
    assert page.status_code == 200, page.text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found is not None
    return found.group(1)


def test_pages_send_a_csp_without_inline_scripts_and_cookies_scripts_cannot_read(client: TestClient) -> None:
    page = client.get("/ws")
    assert page.status_code == 200 and "考试机登记" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "an inline script"
    assert " style=" not in page.text and "<style" not in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_static_files_are_long_cached_with_etags_and_compressed(client: TestClient) -> None:
    url = static.url("exam.js")
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert first.headers["content-encoding"] == "gzip"
    assert first.content == static.ASSETS["exam.js"].body  # httpx undoes the gzip
    assert len(static.ASSETS["exam.js"].gzipped) < len(static.ASSETS["exam.js"].body) / 2
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/static/..%2Fpages.py").status_code == 404
    assert gzip.decompress(static.ASSETS["exam.css"].gzipped) == static.ASSETS["exam.css"].body


def test_a_cookie_authenticated_write_needs_the_csrf_token(client: TestClient, exam: Exam) -> None:  # noqa: F811
    token = as_browser(client, exam, 0)
    started = client.post("/attempt/start")
    assert started.status_code == 403 and started.json()["error"] == "csrf_failed"
    started = client.post("/attempt/start", headers={CSRF_HEADER: token})
    assert started.status_code == 200
    paper = started.json()["items"]
    assert all(set(item) == {"position", "type", "points", "stem", "options"} for item in paper)
    refused = client.put("/attempt/answers/0", json={"response": "T", "seq": 1}, headers={CSRF_HEADER: "forged"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert client.get("/attempt").json()["answers"] == []  # a read needs no token; nothing was stored
    saved = client.put("/attempt/answers/0", json={"response": "", "seq": 1, "flagged": True},
                       headers={CSRF_HEADER: token})
    assert saved.status_code == 200 and saved.json()["accepted"]
    # The exam page itself carries no question text: the script fetches the paper.
    page = client.get("/ws/exam").text
    assert all(item["stem"] not in page for item in paper)


def test_page_forms_need_the_csrf_token(client: TestClient, exam: Exam) -> None:  # noqa: F811
    client.cookies.set(WORKSTATION_COOKIE, exam.sessions[1]["X-Workstation-Token"])
    client.get("/ws")
    refused = client.post("/ws/sign-in", data={"admission_number": exam.admissions[1], "code": "123456"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
