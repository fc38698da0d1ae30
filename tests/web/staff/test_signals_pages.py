"""The integrity signals pages in Chromium against a real ``examsvc serve`` (a closed sitting of its own,
tests/analytics/signal_sitting.py): an exam administrator opens the list from the chooser, filters it by kind
(the filter lands in the URL), opens the similar pair's evidence (answers by question key and bank label,
seats) and refers it for investigation by keyboard only; the action shows in the record; axe-core on every
page; screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from examsvc.identity.roles import Role
from tests.analytics.signal_sitting import closed_sitting
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.sittings.conftest import Day
from tests.web.conftest import NO_CHROMIUM, chromium
from tests.web.live import committed, live_server, own_database, server_settings
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import log_in

SITTING = "SIG-1"


@dataclass(frozen=True)
class Served:
    base: str
    admin: str  # user name
    keys: list[str]  # the similar pair's question keys
    pair: list[str]  # admission numbers


def _sitting(day: Day, client: TestClient, db_session: Session) -> tuple[str, list[str], list[str]]:
    """The closed sitting of tests/analytics and an exam admin, committed for the server."""
    exam, questions = closed_sitting(day, code=SITTING)
    admin = make_user(db_session, Role.EXAM_ADMIN)
    db_session.commit()
    return admin.username, [q.key for q in questions], exam.admissions[:2]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    data_dir = tmp_path_factory.mktemp("signals-data")
    for engine in own_database(tmp_path_factory.mktemp("signals-db"), "signals"):
        settings = server_settings(engine, data_dir, checkpoint_interval_seconds=0, sweep_interval_seconds=0)
        admin, keys, pair = committed(engine, settings, _sitting)
        with live_server(settings) as server:
            yield Served(server.base, admin, keys, pair)


def admin_page(browser: Browser, served: Served) -> Page:
    context = browser.new_context(base_url=served.base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, served.admin, DEFAULT_PASSWORD)
    return page


def test_an_admin_filters_the_signals_reads_the_evidence_and_refers_a_pair_by_keyboard(
        browser: Browser, served: Served) -> None:
    page = admin_page(browser, served)
    page.goto("/staff/analysis")
    expect(page.get_by_role("heading", name="异常线索")).to_be_visible()
    accessible(page, "signals chooser")
    page.get_by_label("考试场次代码").fill(SITTING)
    page.get_by_role("button", name="查看线索").click()
    expect(page.get_by_role("heading", name=f"异常线索 · 场次 {SITTING}")).to_be_visible()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)  # the pair, the fast high score, the idle burst
    accessible(page, "signals list")
    shot(page, "signals-list")

    # The kind filter is in the URL: the list reloads with ?sitting=…&kind=similarity.
    page.get_by_label("线索类型").select_option(label="答案雷同")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(rf"sitting={SITTING}&kind=similarity"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("未处理")

    rows.first.get_by_role("link", name=re.compile("查看证据")).click()
    expect(page.get_by_role("heading", name=f"答案雷同 · 场次 {SITTING}")).to_be_visible()
    answers = page.locator("#answers tbody tr")
    expect(answers).to_have_count(len(served.keys))
    assert set(page.locator("#answers tbody tr td:first-child").all_inner_texts()) == set(served.keys)
    expect(page.locator("#answers")).not_to_contain_text("不同")
    accessible(page, "signal evidence")
    shot(page, "signal-evidence")

    # 移交调查 by keyboard only: Tab to the radio group, arrow to the choice, Tab to the note, Tab to the button.
    reviewed = page.get_by_label("已复核")
    for _ in range(200):
        if reviewed.evaluate("e => e === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(reviewed).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("移交调查")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("处理说明")).to_be_focused()
    page.keyboard.insert_text("调取两考场录像核对，移交调查")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="提交处理")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#action-done")).to_have_text("已记录：移交调查。")
    expect(page.locator("#actions tbody")).to_contain_text("调取两考场录像核对")
    accessible(page, "signal after action")
    shot(page, "signal-referred")

    page.get_by_role("link", name="返回本场次线索列表").click()
    expect(page.locator("table.list tbody tr").filter(has_text="答案雷同")).to_contain_text("移交调查")
