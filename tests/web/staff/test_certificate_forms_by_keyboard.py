"""The certificate officer's forms by keyboard only, in Chromium against a real ``examsvc serve`` (a certificate
world of its own): the issue form (a refusal, then a certificate), the lifecycle forms of the certificate page
(a review refused as too early, a replacement, a revocation, a reinstatement) and the register's filters.
Each form is reached with Tab, filled by typing and arrow keys, sent with Enter; each answer takes the focus.
(再培训换证 is offered for a 合格证 only; this world's certificates are 特种作业操作证.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.certificates.world import SUBJECT, World
from tests.web.certificate_world import served_world
from tests.web.conftest import NO_CHROMIUM, chromium
from tests.web.screen import accessible, shot
from tests.web.staff.test_certificates_console import Office, officer_page, tab_to


@dataclass(frozen=True)
class Desk:
    office: Office
    qualified: str  # an ID number with a qualification, nothing issued
    failed: str  # an ID number without one


def _nothing_issued(world: World, client: TestClient, db_session: Session) -> Desk:
    office = Office("", world.officer_user.username, world.sitting, len(world.qualified))
    return Desk(office, world.qualified[0], world.ids[World.FAILED])


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    with served_world(tmp_path_factory, "keyboard", _nothing_issued) as (server, made):
        yield Desk(Office(server.base, made.office.officer, made.office.sitting, made.office.qualified),
                   made.qualified, made.failed)


def _issue_by_keyboard(page: Page, id_number: str) -> None:
    tab_to(page, page.get_by_label("身份证号"))
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(id_number)
    page.keyboard.press("Tab")
    subject = page.get_by_label("作业项目/类别")
    expect(subject).to_be_focused()
    page.keyboard.press("Home")  # the first item (1.1), then down to 1.2
    page.keyboard.press("ArrowDown")
    expect(subject).to_have_value(SUBJECT)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="发证", exact=True)).to_be_focused()
    page.keyboard.press("Enter")


def _act_by_keyboard(page: Page, reason_label: str, reason: str, button: str) -> None:
    """Tab to the form's reason, type it, Tab on to its button (past the form's other fields), Enter."""
    tab_to(page, page.get_by_label(reason_label))
    page.keyboard.insert_text(reason)
    tab_to(page, page.get_by_role("button", name=button), presses=6)
    page.keyboard.press("Enter")


def test_the_issue_and_lifecycle_forms_by_keyboard_only(browser: Browser, desk: Desk) -> None:
    page = officer_page(browser, desk.office)
    page.goto("/staff/certificates/issue")

    # A candidate without a qualification: the refusal takes the focus and names the field; the typed number stays.
    _issue_by_keyboard(page, desk.failed)
    refusal = page.get_by_role("alert")
    expect(refusal).to_be_focused()
    expect(refusal).to_contain_text("未发证：")
    expect(refusal).to_contain_text("作业项目/类别")
    expect(page.get_by_label("作业项目/类别")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("身份证号")).to_have_value(desk.failed)
    accessible(page, "issue refused")

    _issue_by_keyboard(page, desk.qualified)
    issued = page.get_by_role("status").filter(has_text="证书已发放")
    expect(issued).to_be_focused()
    number = page.get_by_role("heading", level=1).inner_text().removeprefix("证书 ").strip()
    expect(page.locator("#standing")).to_have_text("有效")

    # 复审 three years early: refused on its own form, the focus on why, the reason kept for a second try.
    _act_by_keyboard(page, "复审原因", "按期复审", "办理复审")
    refused = page.locator("#review-error")
    expect(refused).to_be_focused()
    expect(refused).to_contain_text("复审应在期满前60日内申请")
    expect(page.get_by_label("复审原因")).to_have_value("按期复审")
    expect(page.locator("#events tbody tr")).to_have_count(1)
    accessible(page, "review refused")
    shot(page, "certificate-review-refused")

    _act_by_keyboard(page, "补证原因", "原证遗失，本人申请补发", "补发证书")
    expect(page.get_by_role("status").filter(has_text="已补发证书")).to_be_focused()
    expect(page.locator("#sequence")).to_have_text("2")

    _act_by_keyboard(page, "撤销或吊销原因", "考试资格材料不实", "撤销证书")
    expect(page.get_by_role("status").filter(has_text="证书已撤销")).to_be_focused()
    expect(page.locator("#standing")).to_have_text("已撤销")
    expect(page.get_by_role("button", name="补发证书")).to_have_count(0)

    _act_by_keyboard(page, "恢复原因", "复议后撤销决定被撤回", "恢复证书")
    expect(page.get_by_role("status").filter(has_text="证书已恢复有效")).to_be_focused()
    expect(page.locator("#standing")).to_have_text("有效")
    expect(page.locator("#events tbody tr")).to_have_count(4)
    accessible(page, "certificate reinstated")

    # The register's filters: a select by arrow keys, text typed, sent with Enter from the button.
    page.goto("/staff/certificates")
    tab_to(page, page.get_by_label("证书种类"))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("证书种类")).to_have_value("1")
    page.keyboard.press("Tab")
    page.keyboard.insert_text(SUBJECT)
    tab_to(page, page.get_by_label("考试场次代码"), presses=3)
    page.keyboard.insert_text(desk.office.sitting)
    tab_to(page, page.get_by_label("状态"), presses=3)
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("状态")).to_have_value("valid")
    tab_to(page, page.get_by_role("button", name="筛选"), presses=10)  # each date: three stops
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="证书（共 1 本）")).to_be_visible()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    expect(page.get_by_label("作业项目/类别代码")).to_have_value(SUBJECT)
    expect(page.get_by_label("考试场次代码")).to_have_value(desk.office.sitting)

    # Another standing: nothing revoked now (the reinstatement stands).
    tab_to(page, page.get_by_label("状态"))
    page.keyboard.press("End")
    expect(page.get_by_label("状态")).to_have_value("revoked")
    tab_to(page, page.get_by_role("button", name="筛选"), presses=10)  # each date: three stops
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="证书（共 0 本）")).to_be_visible()
    expect(page.get_by_text("没有符合条件的证书。")).to_be_visible()
    accessible(page, "register filtered")
    shot(page, "certificates-register-by-keyboard")
    page.context.close()
