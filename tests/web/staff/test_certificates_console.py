"""The certificate officer's console in Chromium against a real ``examsvc serve`` (a certificate world of its own,
tests/web/certificate_world.py): an officer logs in, issues a whole sitting and the progress page runs to the
end by itself (its script continues the batch through the API), opens the register and a certificate with its
QR code, and revokes it by keyboard only; axe-core on every page; screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.builders import DEFAULT_PASSWORD
from tests.certificates.world import World
from tests.web.certificate_world import served_world
from tests.web.conftest import NO_CHROMIUM, chromium
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import log_in


@dataclass(frozen=True)
class Office:
    base: str
    officer: str  # user name
    sitting: str  # the practical sitting whose qualified candidates are due their certificates
    qualified: int


def _nothing_issued(world: World, client: TestClient, db_session: Session) -> Office:
    return Office("", world.officer_user.username, world.sitting, len(world.qualified))


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    with served_world(tmp_path_factory, "officer", _nothing_issued) as (server, made):
        yield Office(server.base, made.officer, made.sitting, made.qualified)


def officer_page(browser: Browser, office: Office) -> Page:
    context = browser.new_context(base_url=office.base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, office.officer, DEFAULT_PASSWORD)
    return page


def tab_to(page: Page, target: object, presses: int = 60) -> None:
    """Tab until ``target`` (a locator) has the focus, as a keyboard user would."""
    for _ in range(presses):
        if target.evaluate("e => e === document.activeElement"):  # type: ignore[attr-defined]
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()  # type: ignore[arg-type]


def test_an_officer_issues_a_sitting_and_revokes_a_certificate_by_keyboard(browser: Browser, office: Office) -> None:
    page = officer_page(browser, office)
    page.get_by_role("link", name="发证", exact=True).click()
    expect(page.get_by_role("heading", name="发证", exact=True)).to_be_visible()
    accessible(page, "issue page")
    page.get_by_label("考试场次代码").fill(office.sitting)
    page.get_by_role("button", name="开始整场发证").click()

    # The progress page continues the batch by itself until it is done, and says so where a screen reader listens.
    expect(page.get_by_role("heading", name=f"整场发证：场次 {office.sitting}")).to_be_visible()
    status = page.locator("#batch-status")
    expect(status).to_have_attribute("aria-live", "polite")
    total = office.qualified
    expect(status).to_have_text(f"整场发证已完成：已发 {total} / 共 {total}", timeout=20000)
    expect(page.locator("#batch-progress")).to_have_js_property("value", total)
    expect(page.get_by_role("heading", name="发证完成")).to_be_focused()
    expect(page.get_by_role("button", name="继续发证")).to_be_hidden()
    accessible(page, "batch done")
    shot(page, "certificate-batch")

    # The register, filtered by the sitting.
    page.get_by_role("link", name="查看本场次的证书").click()
    expect(page.get_by_role("heading", name=f"证书（共 {total} 本）")).to_be_visible()
    expect(page.get_by_label("考试场次代码")).to_have_value(office.sitting)
    numbers = page.locator("table.list tbody a")
    expect(numbers).to_have_count(total)
    expect(page.get_by_role("link", name=re.compile("导出台账"))).to_have_attribute(
        "href", f"/certificates/register.xlsx?sitting={office.sitting}")
    accessible(page, "register")
    shot(page, "certificates-register")

    number = numbers.first.inner_text()
    numbers.first.click()
    expect(page.get_by_role("heading", name=f"证书 {number}")).to_be_visible()
    expect(page.get_by_role("img", name=f"证书 {number} 的二维码")).to_be_visible()
    expect(page.locator("#standing")).to_have_text("有效")
    expect(page.locator("#events tbody tr")).to_have_count(1)
    accessible(page, "certificate page")
    shot(page, "certificate-page")

    # 吊销 by keyboard only: the mode by arrow key, the reason typed, the button by Enter.
    tab_to(page, page.get_by_label("撤销", exact=True))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("吊销", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("撤销或吊销原因")).to_be_focused()
    page.keyboard.insert_text("持证人冒名顶替参加考试，经查属实，依法吊销")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="撤销证书")).to_be_focused()
    page.keyboard.press("Enter")
    done = page.get_by_role("status").filter(has_text="证书已撤销（吊销）")
    expect(done).to_be_focused()  # a screen reader starts at what happened
    expect(page.locator("#standing")).to_have_text("已撤销")
    expect(page.locator("#events tbody tr").last).to_contain_text("吊销：持证人冒名顶替参加考试，经查属实，依法吊销")
    expect(page.get_by_role("button", name="恢复证书")).to_be_visible()
    expect(page.get_by_role("button", name="撤销证书")).to_have_count(0)
    accessible(page, "certificate revoked")
    page.context.close()
