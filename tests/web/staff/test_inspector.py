"""The inspector's province board in Chromium: today's rooms of both sittings, a pause seen without reloading,
search and filter, and the drill-down to a room's read-only seat map."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.conftest import Site
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import staff_page
from tests.web.staff.morning import STAFF_SITTING, StaffMorning

BOARD_LIVE = 9000  # ms: the board polls every 5 s


def test_board_live_search_and_drill_down(browser: Browser, site: Site, staff: StaffMorning) -> None:
    third = staff.seats[2]
    staff.start(third)
    page = staff_page(browser, site, staff.users["inspector"], then="/staff/inspector")
    expect(page.get_by_role("heading", name=re.compile("全省巡考看板"))).to_be_visible()
    rows = page.locator("#board-rows tr")
    expect(rows.filter(has_text="WEB-1")).to_have_count(2)  # the first site's two rooms
    line = rows.filter(has_text=STAFF_SITTING)
    expect(line).to_have_count(1)
    expect(line.locator("td").nth(4)).to_have_text(re.compile(r"^\d / 2$"))
    # A proctor pauses the candidate on seat 3: the board's paused count grows without a reload.
    before = int(line.locator("td").nth(7).inner_text())
    assert staff.act("proctor-a", third.admission_number, "pause").status_code == 200
    expect(line.locator("td").nth(7)).to_have_text(str(before + 1), timeout=BOARD_LIVE)
    expect(line.locator("td").nth(9)).not_to_have_text("0")  # incidents in the last 30 minutes
    shot(page, "staff-30-inspector-board")
    accessible(page, "inspector board")
    page.get_by_label("搜索考点、场次或考场").fill("第二考点")
    expect(rows).to_have_count(1)
    page.get_by_label("只看").select_option("short")
    page.get_by_label("搜索考点、场次或考场").fill("")
    expect(page.locator("#page-info")).to_contain_text("个考场")
    page.get_by_label("只看").select_option("")
    # Drill down: the room's seat map, read-only (no actions, no check-in).
    line.get_by_role("link", name=re.compile("查看")).click()
    expect(page.get_by_role("heading", name=re.compile("考场座位图（只读）"))).to_be_visible()
    expect(page.locator(f"#seat-{third.seat}")).to_contain_text("已暂停")
    expect(page.get_by_role("button", name="暂停全场")).to_have_count(0)
    expect(page.get_by_role("button", name="检录并生成登录码")).to_have_count(0)
    assert staff.act("proctor-a", third.admission_number, "resume").status_code == 200
    expect(page.locator(f"#seat-{third.seat}")).to_contain_text("答题中", timeout=6000)
    shot(page, "staff-31-inspector-room")
    accessible(page, "inspector room")
    page.context.close()
