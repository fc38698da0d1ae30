"""The countdown follows the server, not the PC: a PC clock 10 minutes off either way changes nothing;
warnings at 15 and 5 minutes; a proctor's pause freezes it behind an overlay, resume and extra time show."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.morning import SITTING, age
from tests.web.screen import accessible, shot, sign_in, start, workstation


def shown_seconds(page: Page) -> int:
    h, m, s = (int(x) for x in re.findall(r"\d+", page.locator("#clock").inner_text()))
    return h * 3600 + m * 60 + s


def server_seconds(page: Page) -> float:
    """The server's remaining time, asked with the page's own cookies (a GET needs no CSRF token)."""
    body = page.request.get("/attempt").json()
    return float(body["clock"]["remaining_seconds"])


def gap(page: Page) -> float:
    """The countdown against the server's remaining time, read back to back (the page shows whole seconds,
    rounded up, so up to 1 s over). The page's own clock request and the two reads each take time on a
    loaded machine (1.16 s was seen in CI): ``GAP`` allows a second more. A PC clock 10 minutes off would
    show as ±600 s."""
    server = server_seconds(page)
    return shown_seconds(page) - server


GAP = (-1.0, 2.0)


@pytest.mark.parametrize("shift_minutes", [10, -10])
def test_a_pc_clock_ten_minutes_off_does_not_move_the_countdown(browser: Browser, site: Site,
                                                                 shift_minutes: int) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    # The PC's clock: Date (wall time) runs shifted; the page must not care.
    page.clock.set_system_time(datetime.now() + timedelta(minutes=shift_minutes))
    shifted = page.evaluate("() => Date.now()") / 1000 - time.time()
    assert abs(shifted - shift_minutes * 60) < 5
    sign_in(page, seat)
    start(page)
    for _ in range(3):
        assert GAP[0] <= gap(page) <= GAP[1]
        page.wait_for_timeout(700)
    if shift_minutes > 0:
        # 15 minutes left, then 5: the warnings show and are announced once each.
        age(site.engine, seat.admission_number, 7200 - 903)
        expect(page.locator("#clock-warning")).to_have_text("剩余时间不足 15 分钟", timeout=12_000)
        expect(page.locator("#clock-box")).to_have_class("clock-box warn")
        expect(page.locator("#announce")).to_have_text("剩余时间不足 15 分钟")
        assert GAP[0] <= gap(page) <= GAP[1]
        shot(page, "09-clock-warning")
        age(site.engine, seat.admission_number, 600)
        expect(page.locator("#clock-warning")).to_have_text("剩余时间不足 5 分钟，请抓紧作答并检查", timeout=12_000)
        expect(page.locator("#clock-box")).to_have_class("clock-box danger")
        assert page.locator("#clock").get_attribute("role") == "timer"
        assert page.locator("#clock").get_attribute("aria-live") == "off"
    context.close()


def test_pause_resume_and_extra_time_by_the_proctor_show_on_the_open_page(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    sign_in(page, seat)
    start(page)
    assert site.act(seat, "pause").status_code == 200
    expect(page.locator("#pause-overlay")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("alertdialog", name="考试已暂停")).to_be_visible()
    frozen = shown_seconds(page)
    page.wait_for_timeout(2200)
    assert shown_seconds(page) == frozen
    shot(page, "11-paused")
    accessible(page, "pause overlay")
    assert site.act(seat, "resume").status_code == 200
    expect(page.locator("#pause-overlay")).to_be_hidden(timeout=6_000)
    page.wait_for_timeout(1200)
    assert shown_seconds(page) < frozen
    # The whole room paused (an outage) and resumed: the same overlay, the same return.
    room = httpx.post(f"{site.base}/sittings/{SITTING}/rooms/{seat.room}/pause", headers=site.proctor(seat.room),
                      json={"reason": "停电"}, timeout=30)
    assert room.status_code == 200 and seat.admission_number in room.json()["admission_numbers"]
    expect(page.locator("#pause-overlay")).to_be_visible(timeout=10_000)
    assert httpx.post(f"{site.base}/sittings/{SITTING}/rooms/{seat.room}/resume", headers=site.proctor(seat.room),
                      json={"reason": "恢复供电"}, timeout=30).status_code == 200
    expect(page.locator("#pause-overlay")).to_be_hidden(timeout=6_000)
    before = shown_seconds(page)
    assert site.act(seat, "extra-time", minutes=10).status_code == 200
    page.wait_for_function(f"() => document.getElementById('clock').textContent >= '{_text(before + 500)}'",
                           timeout=10_000)
    assert GAP[0] <= gap(page) <= GAP[1]
    context.close()


def _text(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
