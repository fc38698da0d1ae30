"""A new PC enrolled by the site technician waits for approval, then shows the seat screen; a revoked one
falls back to enrolment. Sign-in errors are in Chinese and the lock after five wrong codes is said plainly."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.sites import service as sites
from examsvc.sites.models import Workstation
from tests.web.conftest import Site
from tests.web.morning import SITE
from tests.web.screen import accessible, shot, workstation

ADMIN = Actor.system("browser test admin")


def test_enrolment_waiting_approval_and_revocation(browser: Browser, site: Site) -> None:
    context = browser.new_context(base_url=site.base, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto("/ws")
    expect(page.get_by_role("heading", name="考试机登记")).to_be_visible()
    page.get_by_label("考点编号").fill(SITE)
    page.get_by_label("登记码").fill("wrong-code")
    page.get_by_label("本机名称").fill("第01考场 备用机")
    page.get_by_role("button", name="登记本机").click()
    expect(page.get_by_role("alert")).to_have_text("考点编号或登记码错误。")
    page.get_by_label("登记码").fill(site.morning.enrolment_code)
    page.get_by_role("button", name="登记本机").click()
    expect(page.get_by_role("heading", name="本机已登记，等待批准")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "examsvc_ws")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie").find("examsvc_ws") < 0  # never readable by page scripts
    shot(page, "02-waiting")
    accessible(page, "waiting")
    with transaction(site.engine) as db:
        found = db.scalars(select(Workstation).where(Workstation.name == "第01考场 备用机")).one()
        sites.approve_workstation(db_session=db, workstation_id=found.id, actor=ADMIN)
    expect(page.get_by_role("heading", name="考生登录")).to_be_visible(timeout=12_000)
    expect(page.get_by_text("本机尚未绑定座位")).to_be_visible()
    with transaction(site.engine) as db:
        sites.revoke_workstation(db_session=db, workstation_id=found.id, actor=ADMIN, reason="测试撤销")
    page.reload()
    expect(page.get_by_role("heading", name="考试机登记")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("考试机已被撤销。")
    shot(page, "01-enrol")
    accessible(page, "enrolment")
    context.close()


def test_sign_in_errors_in_chinese_and_the_lock_said_plainly(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    page.goto("/ws")
    expect(page.get_by_text("请向监考员领取登录码。")).to_be_visible()
    expect(page.locator(".seat-number")).to_have_text(str(seat.seat))
    shot(page, "02b-seat")
    accessible(page, "seat screen")
    wrong = "000000" if seat.code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        page.get_by_label("准考证号").fill(seat.admission_number)
        page.get_by_label("登录码（6位数字）").fill(wrong)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("alert")).to_contain_text(f"签到码不正确，还可再试 {left} 次；连续错误 5 次将锁定。")
    shot(page, "02c-sign-in-error")
    accessible(page, "sign-in error")
    page.get_by_label("登录码（6位数字）").fill(wrong)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录已锁定。")
    page.get_by_label("登录码（6位数字）").fill(seat.code)  # the right code no longer helps
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("签到码错误次数过多，已锁定，请联系监考员重新签到。")
    shot(page, "02d-sign-in-locked")
    context.close()
