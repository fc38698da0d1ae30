"""开始答题 is enabled only while the start would be accepted, and the page says why not: here the
scheduled start (统一开考) is moved an hour ahead, then back."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select, update

from examsvc.bootstrap import transaction
from examsvc.db import utcnow
from examsvc.sittings.models import Sitting
from tests.web.conftest import Site
from tests.web.morning import SITTING
from tests.web.screen import accessible, shot, sign_in, workstation


def move_start(site: Site, to: datetime) -> datetime:
    with transaction(site.engine) as db:
        before = db.scalars(select(Sitting.scheduled_start).where(Sitting.code == SITTING)).one()
        db.execute(update(Sitting).where(Sitting.code == SITTING).values(scheduled_start=to))
    return before


def test_the_start_button_waits_for_the_start_and_says_why(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    scheduled = move_start(site, utcnow() + timedelta(hours=1))
    try:
        sign_in(page, seat)
        start = page.get_by_role("button", name="开始答题")
        expect(start).to_be_disabled()
        expect(page.locator("#start-why")).to_contain_text("暂不能开始（未开考）：考试尚未开始：统一开考时间为")
        shot(page, "03b-instructions-not-yet")
        accessible(page, "instructions, start refused")
    finally:
        move_start(site, scheduled)
    expect(start).to_be_enabled(timeout=8_000)
    expect(page.locator("#start-why")).to_have_text("可以开始答题。")
    start.click()
    expect(page.locator("#question")).to_be_visible()
    context.close()
