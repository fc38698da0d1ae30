"""The certificate officer's console pages without a browser (the ASGI test client, logged in through the
log-in form): issuing through the form, refusals shown on the form with nothing issued, a whole sitting
issued by the page's plain-form button, the lifecycle forms, the register's filters, and the roles that
only read or may not open the pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from examsvc.certificates.models import Certificate
from examsvc.identity import service as identity_service
from examsvc.identity.browser import CSRF_COOKIE, STAFF_COOKIE
from examsvc.identity.roles import Role
from tests.builders import TEST_ACTOR, make_user
from tests.certificates.world import SUBJECT, World
from tests.web.test_staff_session import log_in


def _post(client: TestClient, path: str, **fields: str) -> Response:
    return client.post(path, data={"csrf": client.cookies[CSRF_COOKIE], **fields}, follow_redirects=False)


def _count(world: World) -> int:
    return world.day.db_session.scalar(select(func.count(Certificate.id))) or 0


def _as(client: TestClient, role: Role, world: World) -> None:
    client.cookies.clear()
    user = make_user(world.day.db_session, role)
    world.day.db_session.commit()
    assert log_in(client, user.username).status_code == 303  # type: ignore[attr-defined]


def _rows(page: Response) -> list[str]:
    return re.findall(r'<td><a href="/staff/certificates/([A-Z0-9-]+)">', page.text)


def test_an_officer_issues_and_manages_certificates_through_the_forms(world: World) -> None:
    client = world.client
    assert log_in(client, world.officer_user.username).status_code == 303  # type: ignore[attr-defined]
    home = client.get("/staff")
    assert "/staff/certificates/issue" in home.text and "发证" in home.text

    # Refusals are said on the form, in Chinese, and nothing is issued.
    for id_number, code, words in ((world.ids[World.FAILED], "not_qualified", "没有本系统记录的已公布合格资格"),
                                   ("12345", "bad_id_number", "身份证号应为18位")):
        refused = _post(client, "/staff/certificates/issue", id_number=id_number, subject=SUBJECT)
        assert refused.headers["x-error"] == code and refused.status_code in (409, 422)
        assert words in refused.text and 'id="one-error"' in refused.text and id_number in refused.text
    # 考发分离: the sitting's chief examiner, made an officer too, is refused on both forms.
    chief = world.practical.chief_user
    identity_service.grant_role(db_session=world.day.db_session, user_id=chief.id, role=Role.CERTIFICATE_OFFICER,
                                actor=TEST_ACTOR)
    world.day.db_session.commit()
    client.cookies.clear()
    log_in(client, chief.username)
    own = _post(client, "/staff/certificates/issue", id_number=world.ids[2], subject=SUBJECT)
    assert own.headers["x-error"] == "own_examinees" and "考发分离" in own.text
    own_batch = _post(client, "/staff/certificates/batches", sitting=world.sitting)
    assert own_batch.headers["x-error"] == "own_examinees" and 'id="sitting-error"' in own_batch.text
    assert _count(world) == 0
    client.cookies.clear()
    log_in(client, world.officer_user.username)

    made = _post(client, "/staff/certificates/issue", id_number=world.ids[0], subject=SUBJECT)
    assert made.status_code == 303, made.text
    number = made.headers["location"].split("/")[-1].split("?")[0]
    page = client.get(made.headers["location"])
    assert "证书已发放" in page.text and "低压电工作业" in page.text and 'id="standing">有效<' in page.text
    assert '<svg role="img" aria-label="证书 ' in page.text and f"/certificates/{number}/card.pdf" in page.text
    assert "办理复审" in page.text and "补发证书" in page.text and "撤销证书" in page.text
    assert "恢复证书" not in page.text and "办理换证" not in page.text  # a 特种作业操作证, active
    old_text = client.get(f"/certificates/{number}", headers=world.officer).json()["qr_text"]
    again = _post(client, "/staff/certificates/issue", id_number=world.ids[0], subject=SUBJECT)
    assert again.headers["x-error"] == "already_certified" and "不能重复发证" in again.text
    assert _count(world) == 1

    # The lifecycle forms: a missing reason refused on its form, then 吊销, 恢复, 补证.
    path = f"/staff/certificates/{number}"
    empty = _post(client, f"{path}/revoke", mode="withdraw", reason="  ")
    assert empty.status_code == 422 and 'id="revoke-error"' in empty.text and "请填写原因" in empty.text
    early = _post(client, f"{path}/review", reason="按期复审")
    assert early.headers["x-error"] == "review_too_early" and 'id="review-error"' in early.text
    assert _post(client, f"{path}/revoke", mode="withdraw", reason="伪造学历，依法吊销").status_code == 303
    revoked = client.get(path)
    assert 'id="standing">已撤销<' in revoked.text and "吊销：伪造学历，依法吊销" in revoked.text
    assert "恢复证书" in revoked.text and "撤销证书" not in revoked.text and "补发证书" not in revoked.text
    assert _post(client, f"{path}/reinstate", reason="复议撤销原决定").status_code == 303
    assert _post(client, f"{path}/replace", reason="证书遗失，本人申请补发").status_code == 303
    replaced = client.get(f"{path}?done=replaced")
    assert "旧证二维码作废" in replaced.text and 'id="sequence">2<' in replaced.text
    for label in ("发证", "撤销/吊销", "恢复", "补证"):
        assert f"<td>{label}</td>" in replaced.text
    old = client.post("/certificates/verify", json={"text": old_text}).json()
    assert old["standing"] == "revoked"  # the card before the replacement, as the public check sees it

    # A whole sitting by the page's plain-form button: the one still due (ids[0] is certified already).
    unknown = _post(client, "/staff/certificates/batches", sitting="NO-SUCH")
    assert unknown.status_code == 404 and 'id="sitting-error"' in unknown.text
    started = _post(client, "/staff/certificates/batches", sitting=world.sitting)
    assert started.status_code == 303
    batch = client.get(started.headers["location"])
    assert "已发 0 / 共 1" in batch.text and "<progress" in batch.text and "继续发证" in batch.text
    assert _post(client, f"{started.headers['location']}/continue").status_code == 303
    finished = client.get(started.headers["location"])
    assert "整场发证已完成：已发 1 / 共 1" in finished.text and "继续发证" not in finished.text
    assert _count(world) == 2

    # The register's filters, pages and export link.
    listed = client.get("/staff/certificates", params={"sitting": world.sitting, "standing": "valid"})
    assert len(_rows(listed)) == 2 and "证书（共 2 本）" in listed.text
    assert f"/certificates/register.xlsx?sitting={world.sitting}&amp;standing=valid" in listed.text
    assert _rows(client.get("/staff/certificates", params={"kind": "2"})) == []
    assert _rows(client.get("/staff/certificates", params={"standing": "revoked"})) == []
    assert len(_rows(client.get("/staff/certificates", params={"page": "9"}))) == 2  # past the end: the last page
    bad = client.get("/staff/certificates", params={"expires_to": "2030-13-01"})
    assert bad.status_code == 422 and "有效期至（止）" in bad.text
    sheet = client.get(f"/certificates/register.xlsx?sitting={world.sitting}")
    assert sheet.status_code == 200  # the link works with the console's cookie

    # An auditor reads the register and the certificate, and is offered no form; a proctor may not open it.
    _as(client, Role.AUDITOR, world)
    assert len(_rows(client.get("/staff/certificates"))) == 2
    read = client.get(path)
    assert read.status_code == 200 and number in read.text
    assert 'method="post" action="/staff/certificates' not in read.text and "card.pdf" not in read.text
    assert "发证（单人或整场）" not in client.get("/staff/certificates").text
    assert _post(client, f"{path}/revoke", reason="越权").headers["x-error"] == "forbidden"
    _as(client, Role.PROCTOR, world)
    refused = client.get("/staff/certificates", follow_redirects=False)
    assert refused.status_code == 403 and refused.headers["x-error"] == "forbidden" and "发证人员" in refused.text
    client.cookies.delete(STAFF_COOKIE)
    assert client.get(path, follow_redirects=False).headers["location"].startswith("/staff/login")
