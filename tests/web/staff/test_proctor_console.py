"""The proctor's room console in Chromium: presence on the room's workstation, check-in with a one-time code
that then signs the candidate in, an action through the reason dialog, and a pause and a move made by the
other proctor (through the API) seen on the seat map without reloading; the incidents listed."""

from __future__ import annotations

import hashlib
import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import staff_page
from tests.web.staff.morning import STAFF_SITTING, StaffMorning

ROOM_PAGE = f"/staff/proctor/{STAFF_SITTING}/rooms/01"
LIVE = 6000  # ms: the seat map polls every 2 s; the bound is 5 s after the event


def seat(page: Page, number: int) -> object:
    return page.locator(f"#seat-{number}")


def test_presence_check_in_and_the_one_time_code(browser: Browser, site: Site, staff: StaffMorning) -> None:
    # proctor-late logs in on the room's staff PC (its enrolment cookie) and checks in there.
    page = staff_page(browser, site, staff.users["proctor-late"], then=ROOM_PAGE, workstation=staff.desk_credential)
    expect(page.get_by_role("heading", name=re.compile("考场监考台"))).to_be_visible()
    expect(page.locator("#presence-state")).to_have_text(re.compile("您尚未签到到岗"))
    page.get_by_role("button", name="签到到岗").click()
    expect(page.locator("#presence-state")).to_have_text(re.compile("您已于 .* 签到到岗"))
    expect(page.locator("#proctors-present")).to_have_text("3", timeout=LIVE)
    # Check-in: the ID-card reader types the number and Enter, which moves on instead of submitting.
    admission, id_number = staff.waiting[0]
    page.get_by_label("准考证号", exact=True).fill(admission)
    page.get_by_label("身份证号（可用读卡器读入）").press_sequentially(id_number + "\n")
    expect(page.get_by_label("现场照片（只计算摘要，不上传）")).to_be_focused()
    photo = b"\xff\xd8 a photo taken at the door"
    page.get_by_label("现场照片（只计算摘要，不上传）").set_input_files(
        files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(page.get_by_label("照片摘要（SHA-256）")).to_have_value(hashlib.sha256(photo).hexdigest())
    page.get_by_label("座位号", exact=True).select_option("5")
    page.get_by_role("button", name="检录并生成登录码").click()
    code_box = page.locator("#slip-code")
    expect(code_box).to_have_text(re.compile(r"^\d{6}$"))
    one_time = code_box.inner_text()
    expect(page.locator("#slip-admission")).to_have_text(admission)
    expect(seat(page, 5)).to_contain_text("已检录")
    shot(page, "staff-10-proctor-checkin-slip")
    accessible(page, "proctor console")
    page.emulate_media(media="print")
    shot(page, "staff-11-slip-printed")
    page.emulate_media(media="screen")
    # The code signs the candidate in on seat 5's workstation, once: the map says 已登录 without a reload.
    signed = httpx.post(f"{site.base}/candidate-sessions", headers={"X-Workstation-Token": staff.credentials[5]},
                        json={"admission_number": admission, "code": one_time}, timeout=30)
    assert signed.status_code == 201, signed.text
    expect(seat(page, 5)).to_contain_text("已登录", timeout=LIVE)
    # A wrong ID number is refused by the API's own rule, said on the page.
    admission2, _ = staff.waiting[1]
    page.get_by_label("准考证号", exact=True).fill(admission2)
    page.get_by_label("身份证号（可用读卡器读入）").fill("110101199001011237")
    page.get_by_label("照片摘要（SHA-256）").fill("0" * 64)
    page.get_by_role("button", name="检录并生成登录码").click()
    expect(page.locator("#checkin-error")).to_have_text("检录未成功：身份证号与报名信息不符。")
    page.context.close()


def test_actions_by_dialog_and_a_pause_and_move_seen_live(browser: Browser, site: Site,
                                                          staff: StaffMorning) -> None:
    first, second = staff.seats[0], staff.seats[1]
    staff.start(first)
    staff.start(second)
    page = staff_page(browser, site, staff.users["proctor-a"], then=ROOM_PAGE)
    expect(seat(page, 1)).to_contain_text("答题中", timeout=LIVE)
    expect(seat(page, 1)).to_contain_text("已答 0/36")
    # The other proctor pauses seat 2 through the API: this console sees it without reloading.
    assert staff.act("proctor-b", second.admission_number, "pause").status_code == 200
    expect(seat(page, 2)).to_contain_text("已暂停", timeout=LIVE)
    # …and moves it to seat 6: seat 2 empties, seat 6 holds the paused candidate.
    moved = staff.act("proctor-b", second.admission_number, "move", seat=6)
    assert moved.status_code == 200, moved.text
    expect(seat(page, 6)).to_contain_text("已暂停", timeout=LIVE)
    expect(seat(page, 6)).to_contain_text(second.admission_number)
    expect(seat(page, 2)).to_contain_text("未到")
    # This proctor warns seat 1 through the dialog, by keyboard: it says what it will do before doing it.
    seat(page, 1).get_by_role("button").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="考场处置")
    expect(dialog).to_be_visible()
    dialog.get_by_label("处置方式").select_option("extra-time")
    dialog.get_by_label("延长分钟数").fill("10")
    expect(dialog.locator("#action-confirm")).to_contain_text("延长考试时间 10 分钟")
    dialog.get_by_role("button", name="确认执行").click()
    expect(dialog.get_by_role("alert")).to_have_text("请填写原因。")  # a reason is required
    dialog.get_by_label("原因（记入考场记录）").fill("考试机故障耽误时间")
    shot(page, "staff-12-action-dialog")
    accessible(page, "action dialog")
    dialog.get_by_role("button", name="确认执行").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#incidents")).to_contain_text("考试机故障耽误时间", timeout=LIVE)
    expect(page.locator("#incidents")).to_contain_text("延长时间")
    # The whole room: pause, confirmed, then every running attempt is paused.
    page.get_by_role("button", name="暂停全场").click()
    expect(dialog.locator("#action-confirm")).to_contain_text("第01考场全场")
    dialog.get_by_label("原因（记入考场记录）").fill("考场停电")
    dialog.get_by_role("button", name="确认执行").click()
    expect(seat(page, 1)).to_contain_text("已暂停", timeout=LIVE)
    expect(page.locator("#incidents")).to_contain_text("考场停电")
    page.get_by_label("搜索原因或准考证号").fill("停电")  # the incident list is searchable (and paged)
    expect(page.locator("#incidents tr")).to_have_count(1)
    expect(page.locator("#incident-info")).to_contain_text("共 1 条")
    page.get_by_label("搜索原因或准考证号").fill("")
    expect(page.locator("#incident-info")).to_contain_text("自动更新")
    shot(page, "staff-13-proctor-seatmap")
    accessible(page, "seat map")
    page.get_by_role("button", name="继续全场").click()
    dialog.get_by_label("原因（记入考场记录）").fill("恢复供电")
    dialog.get_by_role("button", name="确认执行").click()
    expect(seat(page, 1)).to_contain_text("答题中", timeout=LIVE)
    # 重新登录 (after a crash): the dialog says the session ends; a new one-time code shows as a slip.
    seat(page, 1).get_by_role("button").click()
    dialog.get_by_label("处置方式").select_option("reopen")
    expect(dialog.locator("#action-confirm")).to_contain_text("原会话作废")
    dialog.get_by_label("原因（记入考场记录）").fill("考试机死机")
    dialog.get_by_role("button", name="确认执行").click()
    expect(page.locator("#slip-admission")).to_have_text(first.admission_number)
    expect(page.locator("#slip-code")).to_have_text(re.compile(r"^\d{6}$"))
    expect(seat(page, 1)).to_contain_text("已暂停", timeout=LIVE)
    page.context.close()
