"""The enforcement officer's 逢查必考 pages without a browser (the ASGI test client, logged in through the log-in
form): an inspection opened, staffed, listed, drawn and archived through the forms, refusals shown next to
their fields with nothing changed, the device handed to an examinee (every console page then leads back to
the phone page, never to the officer's data) and given back with the officer's password; the roles and the
officers the pages refuse."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.identity.browser import CSRF_COOKIE, CSRF_HEADER
from examsvc.identity.roles import Role
from examsvc.spot.models import Inspection, SpotAnswer, SpotPerson
from tests.builders import DEFAULT_PASSWORD, Actors, make_user
from tests.spot.builders import SpotWorld, credit_code, people
from tests.web.test_staff_session import log_in


def _post(client: TestClient, path: str, **fields: str) -> Response:
    response: Response = client.post(path, data={"csrf": client.cookies[CSRF_COOKIE], **fields},
                                     follow_redirects=False)
    return response


def _form(**changes: str) -> dict[str, str]:
    return {"enterprise_name": "山西某煤业有限公司", "credit_code": credit_code(), "industry": "coal_mine",
            "city": "太原市", "address": "太原市万柏林区某矿工业广场", "inspected_on": "", "draw_count": "2"} | changes


def _rows(listed: list[dict[str, str]], *, skip: int = 0) -> dict[str, str]:
    """The typed-rows form: ``listed`` on rows 1…, with ``skip`` blank rows before the last one."""
    fields: dict[str, str] = {}
    numbers = [*range(1, len(listed)), len(listed) + skip]
    for n, person in zip(numbers, listed, strict=True):
        fields |= {f"{k}_{n}": v for k, v in person.items()}
    return fields | {"rows": str(len(listed) + skip)}


def _count(db_session: Session, model: type) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model)) or 0


def _officer_client(client: TestClient, world: SpotWorld) -> None:
    client.cookies.clear()
    assert log_in(client, world.lead_user.username).status_code == 303  # type: ignore[attr-defined]


def test_an_officer_runs_an_inspection_through_the_forms(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    client = actors.client
    _officer_client(client, world)
    home = client.get("/staff")
    assert "逢查必考" in home.text and 'href="/staff/spot"' in home.text
    listing = client.get("/staff/spot")
    assert listing.status_code == 200 and "新建检查" in listing.text and "煤矿班组长逢查必考抽考" in listing.text
    today = re.search(r'id="inspected_on" name="inspected_on" type="date" required value="([0-9-]+)"', listing.text)
    assert today is not None

    # A refusal is said next to its field, and nothing is opened.
    bad = _post(client, "/staff/spot", **_form(credit_code="91140100MA0K5C7Q30", inspected_on=today.group(1),
                                               blueprint_id=str(world.rule_id)))
    assert bad.status_code == 422 and bad.headers["x-error"] == "bad_credit_code"
    assert re.search(r'id="credit_code"[^>]*aria-invalid="true" aria-describedby="new-error"', bad.text)
    assert "统一社会信用代码校验码不符" in bad.text
    assert "山西某煤业有限公司" in bad.text  # the form keeps what was typed
    assert _count(db_session, Inspection) == 0

    made = _post(client, "/staff/spot", **_form(inspected_on=today.group(1), blueprint_id=str(world.rule_id)))
    assert made.status_code == 303, made.text
    page_path = made.headers["location"]
    inspection_id = int(page_path.rsplit("/", 1)[1])
    assert "山西某煤业有限公司" in client.get("/staff/spot").text

    # The second officer types their own name and password here; a wrong one is refused on the form.
    wrong = _post(client, f"{page_path}/second-officer", username=world.second_user.username, password="x")
    assert wrong.headers["x-error"] == "invalid_credentials" and 'id="second-error"' in wrong.text
    assert _post(client, f"{page_path}/second-officer", username=world.second_user.username,
                 password=DEFAULT_PASSWORD).status_code == 303

    # The typed rows: a bad ID number is marked on its row (row 4 on the form after a blank row), nothing saved.
    on_duty = people(4)
    broken = [*on_duty[:3], on_duty[3] | {"id_number": "140105198001011234"}]
    refused = _post(client, f"{page_path}/roster", **_rows(broken, skip=1))
    assert refused.headers["x-error"] == "roster_invalid" and "名单未保存" in refused.text
    assert re.search(r'name="id_number_5"[^>]*aria-invalid="true" aria-describedby="roster-error"', refused.text)
    assert not re.search(r'name="name_5"[^>]*aria-invalid', refused.text)
    assert _count(db_session, SpotPerson) == 0
    assert _post(client, f"{page_path}/roster", **_rows(on_duty, skip=1)).status_code == 303
    assert _count(db_session, SpotPerson) == 4
    more = _post(client, f"{page_path}/roster", **_rows(on_duty), more="1")
    assert more.text.count('name="name_') == 5 + 5 and _count(db_session, SpotPerson) == 4
    template = client.get("/staff/spot/roster-template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"

    # The draw wants its warning acknowledged.
    unconfirmed = _post(client, f"{page_path}/draw")
    assert unconfirmed.headers["x-error"] == "draw_not_confirmed" and "抽取后名单不能再修改" in unconfirmed.text
    assert _post(client, f"{page_path}/draw", confirm="yes").status_code == 303
    drawn = client.get(page_path)
    assert drawn.text.count("交给受检人员作答") == 2 and "随机抽取 " not in drawn.text

    # By hand: the reason is required; then the person is listed as added by hand.
    extra = people(6)[5]
    no_reason = _post(client, f"{page_path}/people", **extra, reason=" ")
    assert no_reason.headers["x-error"] == "inspection_invalid"
    assert re.search(r'id="m-reason"[^>]*aria-invalid="true"', no_reason.text)
    assert _post(client, f"{page_path}/people", **extra, reason="现场发现其无证上岗").status_code == 303
    assert "现场发现其无证上岗" in client.get(page_path).text

    # Handing over: the exam starts and this login is locked to it.
    person_id = int(re.findall(rf'action="/staff/spot/{inspection_id}/people/(\d+)/exam"', drawn.text)[0])
    handed = _post(client, f"{page_path}/people/{person_id}/exam")
    assert handed.status_code == 303 and handed.headers["location"] == "/staff/spot/exam"
    for path in ("/staff", "/staff/spot", page_path, "/staff/password", "/staff/certificates"):
        back = client.get(path, follow_redirects=False)
        assert back.status_code == 303 and back.headers["location"] == "/staff/spot/exam", path
        assert back.headers["x-error"] == "device_handed_over"
    out = _post(client, "/staff/logout")
    assert out.headers["location"] == "/staff/spot/exam"  # the person cannot log the officer out
    phone = client.get("/staff/spot/exam")
    assert phone.status_code == 200 and 'data-mode="spot"' in phone.text and "交还设备 / 执法人员解锁" in phone.text
    assert "师傅" in phone.text and credit_code() not in phone.text and "手工添加" not in phone.text
    assert 'name="csrf" value=""' not in phone.text  # the hand-back form posts without a script

    # The person answers through the API with the same cookie and submits; the page shows the result.
    csrf = {CSRF_HEADER: client.cookies[CSRF_COOKIE]}
    saved = client.put("/spot/exam/answers/0", json={"response": "T", "seq": 1}, headers=csrf)
    assert saved.status_code == 200 and saved.json()["accepted"]
    assert client.post("/spot/exam/submit", json={"confirm": True}, headers=csrf).status_code == 200
    done = client.get("/staff/spot/exam")
    assert "已交卷" in done.text and "请将设备交还执法人员" in done.text and 'id="spot-score"' in done.text

    # Given back with the officer's password only.
    still = _post(client, "/staff/spot/exam/unlock", password="不是密码")
    assert still.headers["x-error"] == "wrong_password" and "设备仍保持锁定" in still.text
    assert 'data-reopen="1"' in still.text
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/spot/exam"
    back = _post(client, "/staff/spot/exam/unlock", password=DEFAULT_PASSWORD)
    assert back.status_code == 303 and back.headers["location"] == page_path
    assert client.get("/staff").status_code == 200
    assert client.get("/staff/spot/exam", follow_redirects=False).headers["location"] == "/staff/spot"

    # The result on the inspection page; a fail wants the re-training recorded.
    after = client.get(page_path)
    assert "已交卷" in after.text and "不合格" in after.text
    exam_id = re.findall(rf'/staff/spot/{inspection_id}/exams/(\d+)/retraining', after.text)[0]
    empty = _post(client, f"{page_path}/exams/{exam_id}/retraining", note=" ")
    assert empty.headers["x-error"] == "bad_note" and f'id="retraining-{exam_id}" name="note"' in empty.text
    assert _post(client, f"{page_path}/exams/{exam_id}/retraining", note="企业已组织重新培训8学时").status_code == 303
    assert "已重新培训" in client.get(page_path).text

    # Archived: once confirmed.
    assert _post(client, f"{page_path}/close").headers["x-error"] == "close_not_confirmed"
    assert _post(client, f"{page_path}/close", confirm="yes").status_code == 303
    closed = client.get(page_path)
    assert "已归档" in closed.text and "交给受检人员作答" not in closed.text
    mine = client.get("/staff/spot")
    assert "我的检查（共 1 次）" in mine.text and ">1 / 0 / 1<" in mine.text and "已归档" in mine.text
    assert _count(db_session, SpotAnswer) == 1


def test_the_pages_are_the_officers_own(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    inspection = world.inspection()
    client = actors.client
    proctor = make_user(db_session, Role.PROCTOR, Role.EXAM_ADMIN)
    client.cookies.clear()
    log_in(client, proctor.username)
    for path in ("/staff/spot", f"/staff/spot/{inspection['id']}", "/staff/spot/exam"):
        refused = client.get(path, follow_redirects=False)
        assert refused.status_code == 403 and refused.headers["x-error"] == "forbidden", path
        assert "执法人员" in refused.text
    other = make_user(db_session, Role.ENFORCEMENT_OFFICER)
    client.cookies.clear()
    log_in(client, other.username)
    theirs = client.get(f"/staff/spot/{inspection['id']}")
    assert theirs.status_code == 403 and theirs.headers["x-error"] == "not_your_inspection"
    assert "山西某煤业" not in theirs.text
    hijack = _post(client, f"/staff/spot/{inspection['id']}/draw", confirm="yes")
    assert hijack.headers["x-error"] == "not_your_inspection"
    assert inspection["code"] not in client.get("/staff/spot").text
    assert client.get("/staff/spot/exam", follow_redirects=False).headers["location"] == "/staff/spot"
    client.cookies.clear()
    anonymous = client.get("/staff/spot/exam", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/login")


def test_the_done_page_shows_the_score_only_when_the_rule_does(actors: Actors, db_session: Session) -> None:
    world = SpotWorld(actors, db_session)
    world.rule_id = world.spot_rule(code="SX-SPOT-COAL-QUIET", show_score=False)
    drawn = world.drawn(count=4, draw_count=1)
    person = next(p for p in drawn["people"] if p["draw_order"] == 1)
    client = actors.client
    _officer_client(client, world)
    assert _post(client, f"/staff/spot/{drawn['id']}/people/{person['id']}/exam").status_code == 303
    csrf = {CSRF_HEADER: client.cookies[CSRF_COOKIE]}
    assert client.post("/spot/exam/submit", json={"confirm": True}, headers=csrf).status_code == 200
    done = client.get("/staff/spot/exam")
    assert "已交卷" in done.text and "请将设备交还执法人员" in done.text
    assert 'id="spot-score"' not in done.text and "不合格" not in done.text and "成绩由执法人员告知" in done.text
    back = _post(client, "/staff/spot/exam/unlock", password=DEFAULT_PASSWORD)
    assert back.headers["location"] == f"/staff/spot/{drawn['id']}"
    assert "不合格" in client.get(back.headers["location"]).text  # the officer sees it


def test_the_officer_may_hand_over_under_another_spot_rule_for_the_person(actors: Actors,
                                                                          db_session: Session) -> None:
    from examsvc.spot.models import SpotExam

    world = SpotWorld(actors, db_session)
    other = world.spot_rule(code="SX-SPOT-COAL-B", title="煤矿班组长逢查必考抽考（B卷）", duration_minutes=10)
    drawn = world.drawn()
    person = next(p for p in drawn["people"] if p["draw_order"])
    client = actors.client
    _officer_client(client, world)
    page = client.get(f"/staff/spot/{drawn['id']}")
    assert f'<option value="{other}">' in page.text and "本次检查的规则" in page.text
    handed = _post(client, f"/staff/spot/{drawn['id']}/people/{person['id']}/exam", blueprint_id=str(other))
    assert handed.status_code == 303 and handed.headers["location"] == "/staff/spot/exam"
    db_session.expire_all()
    exam = db_session.scalars(select(SpotExam).where(SpotExam.person_id == person["id"])).one()
    assert exam.blueprint_version_id == other
