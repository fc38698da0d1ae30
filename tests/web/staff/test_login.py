"""Log-in, lockout said plainly, change of password, log-out: the staff console's shared pages in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.conftest import Site
from tests.web.morning import PASSWORD
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import context_for, log_in
from tests.web.staff.morning import StaffMorning


def test_log_in_lockout_password_and_log_out(browser: Browser, site: Site, staff: StaffMorning) -> None:
    page = context_for(browser, site).new_page()
    page.goto("/staff/proctor/WEB-S/rooms/01")  # no login yet: the log-in page, which brings one back after
    expect(page.get_by_role("heading", name="考务人员登录")).to_be_visible()
    assert "next=/staff/proctor/WEB-S/rooms/01" in page.url
    shot(page, "staff-01-login")
    accessible(page, "staff login")
    # The auditor's name: five wrong passwords (the server's EXAMSVC_LOGIN_MAX_FAILURES), then the wait.
    page.get_by_label("用户名").fill(staff.users["auditor"])
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    for _ in range(5):
        page.get_by_label("密码").fill("not the password")
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录已暂时锁定")
    expect(page.get_by_role("alert")).to_contain_text("秒后再试")
    shot(page, "staff-02-locked")
    accessible(page, "staff login locked")
    # The proctor logs in and lands on the page first asked for.
    page.get_by_label("用户名").fill(staff.users["proctor-b"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("^考场监考台：.*第01考场$"))).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "examsvc_staff")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "examsvc_staff" not in page.evaluate("() => document.cookie")
    page.get_by_role("link", name="主页").click()
    expect(page.get_by_role("heading", name="我的监考安排")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("进入考场监考台.*WEB-S 第01考场"))).to_be_visible()
    shot(page, "staff-03-home-proctor")
    accessible(page, "staff home")
    page.get_by_role("link", name="修改密码").click()
    page.get_by_label("当前密码").fill("wrong current one")
    page.get_by_label("新密码（至少10个字符，不能包含用户名）").fill("the proctor's new password")
    page.get_by_label("再次输入新密码").fill("the proctor's new password")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("alert")).to_have_text("当前密码不正确。")
    shot(page, "staff-04-password")
    accessible(page, "staff password")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    page.goto("/staff")
    expect(page.get_by_role("heading", name="考务人员登录")).to_be_visible()
    page.context.close()


def test_each_page_refuses_roles_that_may_not_see_it(browser: Browser, site: Site, staff: StaffMorning) -> None:
    inspector = context_for(browser, site).new_page()
    log_in(inspector, staff.users["inspector"])
    expect(inspector.locator("#today-summary")).to_have_text(re.compile(r"全省共有 \d+ 个考试场次、\d+ 个考场"))
    expect(inspector.get_by_role("link", name="全省巡考看板")).to_be_visible()
    shot(inspector, "staff-06-home-inspector")
    accessible(inspector, "inspector home")
    answer = inspector.goto("/staff/proctor/WEB-S/rooms/01")  # a proctor's console: not an inspector's
    assert answer is not None and answer.status == 403 and answer.headers["x-error"] == "forbidden"
    expect(inspector.get_by_role("heading", name="无法打开此页面")).to_be_visible()
    expect(inspector.get_by_text("此页面供")).to_have_text("此页面供主考官、监考员使用。")
    shot(inspector, "staff-05-refused")
    accessible(inspector, "refused")
    answer = inspector.goto("/staff/admin/sittings")
    assert answer is not None and answer.status == 403
    proctor = context_for(browser, site).new_page()
    log_in(proctor, staff.users["proctor-a"])
    for path in ("/staff/inspector", "/staff/inspector/WEB-S/rooms/01", "/staff/admin/sittings",
                 "/staff/admin/sittings/WEB-S"):
        answer = proctor.goto(path)
        assert answer is not None and (answer.status, answer.headers["x-error"]) == (403, "forbidden"), path
    # A proctor of the other sitting (WEB-1) is refused this sitting's room: not assigned here.
    other = context_for(browser, site).new_page()
    log_in(other, site.morning.proctor_names["01"])
    answer = other.goto("/staff/proctor/WEB-S/rooms/01")
    assert answer is not None and (answer.status, answer.headers["x-error"]) == (403, "not_assigned")
    expect(other.get_by_role("alert")).to_contain_text("您未被安排在本场次")
    for p in (inspector, proctor, other):
        p.context.close()
