"""The item-analysis page in Chromium against a real ``examsvc serve``: a bank admin picks a bank version by
keyboard, reads the statistics of a published theory sitting (tests/certificates/world.py, collected at
publication) and finds the export link; axe-core; a screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from examsvc.banks.models import BankVersion
from examsvc.identity.roles import Role
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.certificates.world import World
from tests.web.certificate_world import served_world
from tests.web.conftest import NO_CHROMIUM, chromium
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import log_in


@dataclass(frozen=True)
class Committee:
    base: str
    bank_admin: str
    bank: str
    version: str
    attempts: int


def _with_bank_admin(world: World, client: TestClient, db_session: Session) -> Committee:
    user = make_user(db_session, Role.BANK_ADMIN)
    version = db_session.get(BankVersion, world.day.rule.national_bank_version_id)
    assert version is not None
    db_session.commit()
    return Committee("", user.username, version.bank_code, version.version_label, len(world.ids))


@pytest.fixture(scope="module")
def committee(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Committee]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    with served_world(tmp_path_factory, "items", _with_bank_admin) as (server, made):
        yield Committee(server.base, made.bank_admin, made.bank, made.version, made.attempts)


def test_a_bank_admin_reads_the_item_analysis_by_keyboard(browser: Browser, committee: Committee) -> None:
    context = browser.new_context(base_url=committee.base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, committee.bank_admin, DEFAULT_PASSWORD)
    page.get_by_role("link", name="试题分析").click()
    expect(page.get_by_role("heading", name="试题分析", level=1)).to_be_visible()
    accessible(page, "item analysis, nothing chosen")
    page.get_by_label("题库代码").select_option(committee.bank)
    page.get_by_label("版本号").select_option(committee.version)
    page.get_by_label("题库部分").select_option("national")
    page.get_by_label("题库部分").focus()
    page.keyboard.press("Tab")  # the checkbox 只看待复核试题
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="查看")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"{committee.bank} {committee.version}：{committee.attempts} 份答卷",
                            exact=False)).to_be_visible()
    assert f"bank={committee.bank}" in page.url and "part=national" in page.url  # the filters are in the URL
    rows = page.get_by_role("table").get_by_role("row")
    assert rows.count() > 1
    expect(page.get_by_role("link", name="导出待复核试题（.xlsx，含题干）")).to_be_visible()
    accessible(page, "item analysis")
    shot(page, "staff-item-analysis")
    context.close()
