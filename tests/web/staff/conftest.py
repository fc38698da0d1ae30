"""The staff console's browser tests: a second sitting on the same ``examsvc serve`` (tests/web/conftest.py),
and browser contexts logged in as a given staff member through the log-in page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.conftest import Site
from tests.web.morning import PASSWORD
from tests.web.staff.morning import StaffMorning, staff_morning


@pytest.fixture(scope="session")
def staff(site: Site) -> StaffMorning:
    assert site.settings is not None
    return staff_morning(site.engine, site.settings, site.base)


def context_for(browser: Browser, site: Site, *, workstation: str | None = None) -> BrowserContext:
    context = browser.new_context(base_url=site.base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    if workstation is not None:  # the room's own PC: its enrolment cookie, as the workstation pages keep it
        context.add_cookies(site.cookie(workstation))  # type: ignore[arg-type]
    return context


def log_in(page: Page, username: str, password: str = PASSWORD, *, then: str = "/staff") -> None:
    page.goto(f"/staff/login?next={then}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def staff_page(browser: Browser, site: Site, username: str, *, then: str = "/staff",
               workstation: str | None = None) -> Page:
    page = context_for(browser, site, workstation=workstation).new_page()
    log_in(page, username, then=then)
    return page
