"""The staff console's log-in without a browser (the ASGI test client): the cookie scripts cannot read, the
API's throttle said plainly, CSRF on every cookie-authenticated write, log-out, change of password, and
the JSON API answering the console's cookie as it answers a bearer token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from examsvc.identity.browser import CSRF_COOKIE, CSRF_HEADER, STAFF_COOKIE
from examsvc.identity.roles import Role
from tests.builders import DEFAULT_PASSWORD, Actors, make_user


def csrf_of(client: TestClient, path: str = "/staff/login") -> str:
    page = client.get(path)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = DEFAULT_PASSWORD, next_path: str = "/staff") -> object:
    token = csrf_of(client)
    return client.post("/staff/login", data={"csrf": token, "username": username, "password": password,
                                             "next": next_path}, follow_redirects=False)


def test_log_in_keeps_the_token_in_a_cookie_scripts_cannot_read(client: TestClient, actors: Actors) -> None:
    user = make_user(actors.db_session, Role.PROCTOR, Role.EXAM_ADMIN)
    anonymous = client.get("/staff", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/staff/login?next=/staff"
    done = log_in(client, user.username, next_path="/staff/admin/sittings")
    assert done.status_code == 303 and done.headers["location"] == "/staff/admin/sittings"  # type: ignore[attr-defined]
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith(f"{STAFF_COOKIE}="))  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age" not in cookie  # a browser session
    home = client.get("/staff")
    assert home.status_code == 200 and "监考员" in home.text and "考务管理员" in home.text
    assert "/staff/admin/sittings" in home.text and "/staff/inspector" not in home.text
    assert home.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    # The JSON API takes the cookie: a read as is, a write only with the CSRF token.
    assert client.get("/auth/me").json()["username"] == user.username
    refused = client.post("/auth/logout")
    assert (refused.status_code, refused.json()["error"]) == (403, "csrf_failed")


def test_an_open_redirect_is_refused(client: TestClient, actors: Actors) -> None:
    user = make_user(actors.db_session, Role.PROCTOR)
    for target in ("https://evil.example/", "//evil.example/staff", "/auth/me"):
        client.cookies.clear()
        assert log_in(client, user.username, next_path=target).headers["location"] == "/staff"  # type: ignore[attr-defined]


def test_wrong_passwords_then_the_lockout_are_said_plainly(client: TestClient, actors: Actors) -> None:
    user = make_user(actors.db_session, Role.PROCTOR)
    wrong = log_in(client, user.username, "not the password")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text  # type: ignore[attr-defined]
    for _ in range(3):  # the test settings allow 3 failures in a row
        last = log_in(client, user.username, "not the password")
    assert last.status_code == 429 and "登录已暂时锁定" in last.text and "秒后再试" in last.text  # type: ignore[attr-defined]
    # Even the right password waits now: the API's own throttle.
    assert log_in(client, user.username).status_code == 429  # type: ignore[attr-defined]
    assert STAFF_COOKIE not in client.cookies


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, actors: Actors) -> None:
    user = make_user(actors.db_session, Role.PROCTOR)
    csrf_of(client)
    refused = client.post("/staff/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert log_in(client, user.username).status_code == 303  # type: ignore[attr-defined]
    forged = client.post("/staff/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and forged.headers["x-error"] == "csrf_failed"
    assert client.get("/auth/me").status_code == 200  # still logged in


def test_log_out_ends_the_token_and_drops_the_cookie(client: TestClient, actors: Actors) -> None:
    user = make_user(actors.db_session, Role.INSPECTOR)
    log_in(client, user.username)
    token = client.cookies[STAFF_COOKIE]
    out = client.post("/staff/logout", data={"csrf": client.cookies[CSRF_COOKIE]}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/staff/login?done=logout"
    assert STAFF_COOKIE not in client.cookies
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "您已退出登录" in client.get("/staff/login?done=logout").text


def test_change_of_password_checks_the_current_one_and_ends_other_sessions(client: TestClient,
                                                                             actors: Actors) -> None:
    user = make_user(actors.db_session, Role.AUDITOR)
    other = actors.client.post("/auth/login", json={"username": user.username, "password": DEFAULT_PASSWORD})
    other_token = other.json()["access_token"]
    log_in(client, user.username)
    token = client.cookies[CSRF_COOKIE]
    new = "a brand new pass phrase"
    wrong = client.post("/staff/password", data={"csrf": token, "current_password": "wrong one here",
                                                 "new_password": new, "confirm_password": new})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    mismatch = client.post("/staff/password", data={"csrf": token, "current_password": DEFAULT_PASSWORD,
                                                    "new_password": new, "confirm_password": new + "x"})
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.text
    done = client.post("/staff/password", data={"csrf": token, "current_password": DEFAULT_PASSWORD,
                                                "new_password": new, "confirm_password": new})
    assert done.status_code == 200 and "密码已修改" in done.text
    assert client.get("/auth/me").status_code == 200  # this session stays
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {other_token}"}).status_code == 401


def test_the_cookie_write_with_the_token_reaches_the_api(client: TestClient, actors: Actors) -> None:
    user = make_user(actors.db_session, Role.PROCTOR)
    log_in(client, user.username)
    done = client.post("/auth/logout", headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]})
    assert done.status_code == 204
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login?next=/staff"
