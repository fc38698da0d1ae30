"""The statistics page in Chromium against a real ``examsvc serve`` (the statistics world committed to a
database of its own): an inspector groups by city and month and filters by kind with the keyboard alone,
the URL keeps the filters, the charts are images with names, axe-core finds no WCAG A/AA violation, and a
screenshot is kept."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from examsvc.identity.roles import Role
from tests.analytics.statistics_world import build
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.certificates.world import World
from tests.web.certificate_world import Served, served_world
from tests.web.conftest import NO_CHROMIUM, SCREENSHOTS, chromium
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import log_in


def _province(world: World, client: TestClient, db_session: Session) -> str:
    build(world)
    user = make_user(db_session, Role.INSPECTOR)
    db_session.commit()
    return user.username


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with served_world(tmp_path_factory, "stats", _province) as found:
        yield found


def inspector_page(browser: Browser, served: tuple[Served, str]) -> Page:
    server, username = served
    context = browser.new_context(base_url=server.base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, username, DEFAULT_PASSWORD)
    return page


def test_an_inspector_filters_by_keyboard_and_the_url_keeps_the_filters(browser: Browser,
                                                                        served: tuple[Served, str]) -> None:
    page = inspector_page(browser, served)
    page.get_by_role("link", name="考试统计").click()
    expect(page.get_by_role("heading", name="考试统计", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="按考点的合格率")).to_be_visible()

    # Keyboard only: from the first grouping through the form to the button.
    first = page.get_by_label("分组一")
    first.focus()
    page.keyboard.press("End")  # native <select>: End picks the last option (考试类型)
    expect(first).to_have_value("kind")
    page.keyboard.press("Tab")
    second = page.get_by_label("分组二")
    expect(second).to_be_focused()
    second.select_option("month")  # (a select's value by keyboard is shown above; this one only saves presses)
    for _ in range(2):
        page.keyboard.press("Tab")
    start = page.get_by_label("起始日期")
    expect(start).to_be_focused()
    # Chromium's date field takes typed digits segment by segment, in the locale's order, and a year of up
    # to six digits: what a person types there is not what a test can type blind. The focus order is checked.
    start.fill("2026-01-01")
    page.get_by_label("考试类型").focus()
    page.keyboard.press("ArrowDown")  # 全部 → 理论考试
    expect(page.get_by_label("考试类型")).to_have_value("theory")
    button = page.get_by_role("button", name="统计")
    button.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("img", name="按考试类型、月份的合格率")).to_be_visible()
    asked = parse_qsl(urlsplit(page.url).query)
    assert ("group_by", "kind") in asked and ("group_by", "month") in asked
    assert ("date_from", "2026-01-01") in asked and ("kind", "theory") in asked
    table = page.locator("#statistics-table")
    expect(table.get_by_role("row", name="理论考试 2026年1月 5 2 2 1")).to_be_visible()
    expect(page.get_by_role("img", name="按月份的参考人次与合格人次")).to_be_visible()
    export = page.get_by_role("link", name="导出统计表（.xlsx，按当前分组与筛选条件）")
    assert "kind=theory" in (export.get_attribute("href") or "")
    accessible(page, "statistics")
    shot(page, "statistics")

    # Reloading the URL gives the same page: the filters live in it.
    page.reload()
    expect(page.get_by_label("分组二")).to_have_value("month")
    expect(page.get_by_label("起始日期")).to_have_value("2026-01-01")


def test_a_bad_filter_is_announced(browser: Browser, served: tuple[Served, str]) -> None:
    page = inspector_page(browser, served)
    page.goto("/staff/analysis/statistics?date_from=2026-05-01&date_to=2026-04-01")
    expect(page.get_by_role("alert")).to_contain_text("起始日期不能晚于截止日期")
    accessible(page, "statistics refused")
