"""The spot exam on an officer's phone (逢查必考) in Chromium, in a phone's viewport with touch, against a real
``examsvc serve``: the officer hands the device to a drawn person from the inspection page, the person answers
by tapping, the link goes for part of it (the changes stay on the device and reach the server when it is back,
each carrying the remaining time the device showed), submits; the console stays out of reach until the
officer's password gives it back. And a mine site with no signal at the end: the time runs out on the device
while off line (or the person submits without signal), the page says the answers are kept, and sends them and
the submission when the link returns; a change the server gets after its deadline with no off-line claim is
refused, and the page says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.bootstrap import transaction
from examsvc.spot.models import SpotAnswer, SpotAnswerSave, SpotExam
from tests.builders import DEFAULT_PASSWORD, Actors
from tests.spot.builders import SpotWorld, credit_code, people
from tests.web.conftest import NO_CHROMIUM, chromium
from tests.web.live import committed, live_server, own_database, server_settings
from tests.web.screen import accessible, shot

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
QUESTIONS = 15  # the world's spot rule: 10 判断题 + 5 单选题


@dataclass(frozen=True)
class Field:
    base: str
    engine: Engine
    officer: str  # the lead officer's user name
    inspections: tuple[int, int]  # two drawn inspections


def _world(actors: Actors, db_session: Session) -> tuple[str, int, int]:
    world = SpotWorld(actors, db_session)
    first = world.drawn(count=6, draw_count=2)["id"]
    # Another enterprise (one open inspection per enterprise).
    second = world.inspection(draw_count=3, credit_code=credit_code("91140100MA0K5C8Q3"),
                              enterprise_name="山西另一煤业有限公司")["id"]
    world.second(second)
    assert world.client.put(f"/spot/inspections/{second}/roster", headers=world.lead,
                            json={"people": people(6)}).status_code == 200
    assert world.client.post(f"/spot/inspections/{second}/draw", headers=world.lead).status_code == 200
    return world.lead_user.username, first, second


@pytest.fixture(scope="module")
def field(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    for engine in own_database(tmp_path_factory.mktemp("spot-db"), "spot"):
        settings = server_settings(engine, tmp_path_factory.mktemp("spot-data"), checkpoint_interval_seconds=0,
                                   sweep_interval_seconds=0)
        officer, first, second = committed(engine, settings, lambda day, client, db_session: _world(
            Actors(client=client, db_session=db_session), db_session))
        with live_server(settings, {"EXAMSVC_ANSWER_GRACE_SECONDS": "2"}) as server:
            yield Field(server.base, engine, officer, (first, second))


def phone(browser: Browser, field: Field) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=field.base, **PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto("/staff/login?next=/staff/spot")
    page.get_by_label("用户名").fill(field.officer)
    page.get_by_label("密码").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page.get_by_role("heading", name="逢查必考 · 我的检查")).to_be_visible()
    return context, page


def hand_over(page: Page, inspection_id: int) -> None:
    page.goto(f"/staff/spot/{inspection_id}")
    page.get_by_role("button", name=re.compile(r"^交给 .+ 作答$")).first.tap()
    expect(page).to_have_url(re.compile(r"/staff/spot/exam$"))
    expect(page.locator("#question")).to_be_visible()


def tap_answer(page: Page) -> str:
    """Taps the first option of the question shown (正确 for a 判断题, A for a 单选题): its response."""
    if page.locator("#q-type").inner_text() == "判断题":
        page.get_by_role("radio", name=re.compile("正确")).tap()
        return "T"
    page.locator("#q-option-list label").first.tap()
    return "A"


def server_answers(engine: Engine, exam_id: int) -> dict[int, str]:
    with transaction(engine) as db_session:
        return {a.position: a.response for a in db_session.scalars(
            select(SpotAnswer).where(SpotAnswer.spot_exam_id == exam_id))}


def saves(engine: Engine, exam_id: int) -> list[SpotAnswerSave]:
    with transaction(engine) as db_session:
        rows = list(db_session.scalars(select(SpotAnswerSave).where(SpotAnswerSave.spot_exam_id == exam_id)
                                       .order_by(SpotAnswerSave.id)))
        db_session.expunge_all()
        return rows


def exam_of(engine: Engine, inspection_id: int) -> SpotExam:
    with transaction(engine) as db_session:
        exam = db_session.scalars(select(SpotExam).where(SpotExam.inspection_id == inspection_id)
                                  .order_by(SpotExam.id.desc())).first()
        assert exam is not None
        db_session.expunge(exam)
        return exam


def wait_for(check: object, page: Page, timeout_ms: int = 15_000) -> None:
    waited = 0
    while not check():  # type: ignore[operator]
        assert waited < timeout_ms, "the server never got it"
        page.wait_for_timeout(250)
        waited += 250


def test_a_person_answers_on_the_officers_phone_through_a_lost_link(browser: Browser, field: Field) -> None:
    context, page = phone(browser, field)
    inspection_id = field.inspections[0]
    accessible(page, "spot inspections page")
    page.goto(f"/staff/spot/{inspection_id}")
    accessible(page, "spot inspection page")
    shot(page, "spot-00-inspection")
    hand_over(page, inspection_id)
    exam_id = exam_of(field.engine, inspection_id).id
    accessible(page, "spot phone page")
    # The phone layout: one column, the question panel under the question, big touch targets.
    question, navigator = page.locator("#main").bounding_box(), page.locator("#navigator").bounding_box()
    assert question and navigator and navigator["y"] > question["y"] + question["height"] - 1
    assert page.locator("#q-option-list label").first.bounding_box()["height"] >= 44  # type: ignore[index]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    expected: dict[int, str] = {}
    for position in range(2):  # on line
        expected[position] = tap_answer(page)
        page.get_by_role("button", name="下一题").tap()
    wait_for(lambda: server_answers(field.engine, exam_id) == expected, page)

    context.set_offline(True)  # the link goes: kept on the device
    for position in range(2, 5):
        expected[position] = tap_answer(page)
        if position == 2:
            expect(page.locator("#offline-banner")).to_be_visible()
            expect(page.locator("#save-state")).to_have_text("未发送（已存本机）")
        page.get_by_role("button", name="下一题").tap()
    shot(page, "spot-01-phone-offline")
    assert len(server_answers(field.engine, exam_id)) == 2
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#offline-banner")).to_be_hidden(timeout=10_000)
    wait_for(lambda: server_answers(field.engine, exam_id) == expected, page)
    journal = saves(field.engine, exam_id)
    on_line = [s for s in journal if s.position < 2]
    kept = [s for s in journal if s.position >= 2]
    assert all(s.made_remaining_ms is None for s in on_line)
    assert kept and all(s.made_remaining_ms and 0 < s.made_remaining_ms <= 15 * 60_000 for s in kept)

    # The question panel from the bottom of the screen, then the last question.
    page.get_by_role("button", name=re.compile(f"第{QUESTIONS}题")).tap()
    expected[QUESTIONS - 1] = tap_answer(page)
    wait_for(lambda: server_answers(field.engine, exam_id) == expected, page)

    # While the person answers, the officer's pages lead back here.
    console = context.new_page()
    console.goto("/staff/spot")
    expect(console).to_have_url(re.compile(r"/staff/spot/exam$"))
    console.close()

    page.get_by_role("button", name="交卷").tap()
    page.get_by_role("button", name="确认交卷").tap()
    expect(page.get_by_text("请将设备交还执法人员")).to_be_visible()
    expect(page.locator("#spot-score")).to_contain_text("得分")
    accessible(page, "spot done page")
    shot(page, "spot-02-done")
    assert exam_of(field.engine, inspection_id).status == "submitted"

    # Given back: the officer's password only.
    page.get_by_role("button", name="交还设备 / 执法人员解锁").tap()
    page.get_by_label("执法人员密码").fill("不是这个密码")
    page.get_by_role("button", name="解锁", exact=True).tap()
    expect(page.get_by_role("alert")).to_contain_text("设备仍保持锁定")
    expect(page.get_by_label("执法人员密码")).to_be_focused()
    page.get_by_label("执法人员密码").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="解锁", exact=True).tap()
    expect(page).to_have_url(re.compile(rf"/staff/spot/{inspection_id}(\?.*)?$"))
    expect(page.get_by_role("heading", name=re.compile("执法检查"))).to_be_visible()
    expect(page.locator(".score-cell").first).to_contain_text(re.compile("分 (合格|不合格)"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the console fits the phone too
    context.close()


def test_time_runs_out_without_signal_and_the_answers_follow_when_it_returns(browser: Browser, field: Field) -> None:
    context, page = phone(browser, field)
    inspection_id = field.inspections[1]
    hand_over(page, inspection_id)
    exam = exam_of(field.engine, inspection_id)
    # As if the person had started all but 18 s of the 15 minutes ago: the server's clock, which the page follows.
    with transaction(field.engine) as db_session:
        row = db_session.get(SpotExam, exam.id)
        assert row is not None
        row.started_at -= timedelta(seconds=row.duration_seconds - 18)
    expect(page.locator("#clock")).to_have_text(re.compile(r"^00:00:[01]\d$"), timeout=10_000)
    expected = {0: tap_answer(page)}
    wait_for(lambda: server_answers(field.engine, exam.id) == expected, page)
    context.set_offline(True)
    page.get_by_role("button", name="下一题").tap()
    expected[1] = tap_answer(page)
    # The minute runs out on the device, off line: the page says where the answers are.
    expect(page.get_by_role("heading", name="考试时间到")).to_be_visible(timeout=40_000)
    expect(page.locator("#end-text")).to_contain_text("答案已保存在本设备")
    shot(page, "spot-03-time-up-offline")
    page.wait_for_timeout(3_000)  # past the server's deadline and grace too
    assert server_answers(field.engine, exam.id) == {0: expected[0]}
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_text("请将设备交还执法人员")).to_be_visible(timeout=20_000)
    assert server_answers(field.engine, exam.id) == expected  # made in time, taken after the deadline
    sealed = exam_of(field.engine, inspection_id)
    assert sealed.status == "submitted" and sealed.submitted_how in ("deadline", "candidate")
    context.close()


def test_a_change_the_server_gets_after_the_deadline_is_refused_and_said(browser: Browser, field: Field) -> None:
    context, page = phone(browser, field)
    hand_over(page, field.inspections[0])
    exam = exam_of(field.engine, field.inspections[0])
    # The device still shows time left (its next look at the server's clock is held back) while the server's
    # deadline and grace have passed: a change made now, on line, carries no off-line claim and is refused.
    held: list[Route] = []
    page.route(re.compile(r"/spot/exam$"), lambda route: held.append(route) if route.request.method == "GET"
               else route.continue_())
    with transaction(field.engine) as db_session:
        row = db_session.get(SpotExam, exam.id)
        assert row is not None
        row.started_at -= timedelta(seconds=row.duration_seconds + 10)
    tap_answer(page)
    expect(page.locator("#refused-banner")).to_contain_text("第 1 题的修改未被接收：作答时间已到")
    expect(page.locator("#save-state")).to_contain_text("截止之后作出的答案不予接收")
    shot(page, "spot-04-late-change-refused")
    assert server_answers(field.engine, exam.id) == {}
    page.unroute(re.compile(r"/spot/exam$"))
    for route in held:
        route.continue_()
    # The server's clock says the time is up: the device submits and the sheet is sealed at the deadline.
    expect(page.get_by_text("请将设备交还执法人员")).to_be_visible(timeout=20_000)
    assert exam_of(field.engine, field.inspections[0]).submitted_how == "deadline"
    context.close()


def test_a_submission_without_signal_waits_on_the_device(browser: Browser, field: Field) -> None:
    context, page = phone(browser, field)
    hand_over(page, field.inspections[1])
    exam = exam_of(field.engine, field.inspections[1])
    context.set_offline(True)
    expected = {0: tap_answer(page)}
    page.get_by_role("button", name="交卷").tap()
    page.get_by_role("button", name="确认交卷").tap()
    expect(page.get_by_role("heading", name="已交卷（保存在本设备）")).to_be_visible()
    expect(page.locator("#end-text")).to_contain_text("网络恢复后将自动发送")
    shot(page, "spot-05-submitted-offline")
    page.wait_for_timeout(1_000)
    assert exam_of(field.engine, field.inspections[1]).status == "in_progress" and not server_answers(
        field.engine, exam.id)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_text("请将设备交还执法人员")).to_be_visible(timeout=20_000)
    assert server_answers(field.engine, exam.id) == expected
    sealed = exam_of(field.engine, field.inspections[1])
    assert sealed.status == "submitted" and sealed.submitted_how == "candidate"
    context.close()



def test_the_officer_cannot_take_the_device_back_before_what_it_kept_has_reached_the_server(
        browser: Browser, field: Field) -> None:
    """The person answered without signal and hands the device back; the officer, where the link works again,
    types the password at once: the page first sends the changes it kept (unlocking would leave them on the
    device, and after the deadline the exam cannot be handed over again to send them), and says so while it
    cannot; then the device is given back."""
    context, page = phone(browser, field)
    inspection_id = field.inspections[1]
    hand_over(page, inspection_id)
    exam = exam_of(field.engine, inspection_id)
    context.set_offline(True)
    expected = {0: tap_answer(page)}
    expect(page.locator("#offline-banner")).to_be_visible()
    # The link is back for the page's form, not yet for its scripted requests (a weak signal).
    kept = re.compile(r"/spot/exam/answers/\d+$")
    page.route(kept, lambda route: route.abort())
    context.set_offline(False)
    page.get_by_role("button", name="交还设备 / 执法人员解锁").tap()
    page.get_by_label("执法人员密码").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="解锁", exact=True).tap()
    expect(page.locator("#unlock-pending")).to_contain_text("尚未送达服务器", timeout=20_000)
    assert page.url.endswith("/staff/spot/exam") and not server_answers(field.engine, exam.id)
    page.unroute(kept)
    page.get_by_role("button", name="解锁", exact=True).tap()
    expect(page).to_have_url(re.compile(rf"/staff/spot/{inspection_id}$"), timeout=20_000)
    assert server_answers(field.engine, exam.id) == expected
    context.close()
