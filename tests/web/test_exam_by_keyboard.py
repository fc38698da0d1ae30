"""The exam by keyboard alone (visible focus everywhere), and a reload, a second tab and a move to another
seat: the same paper, every saved answer, the same question."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.screen import current_number, question_type, saved, sealed_answers, shot, sign_in, start, workstation


def tab_to(page: Page, element_id: str) -> None:
    """Tab (only) until the element has the focus, and check that the focus can be seen."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), f"#{element_id} has the focus but shows none"
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def key_for(kind: str, position: int) -> tuple[list[str], str]:
    """Keys to press and the response they make."""
    if kind == "判断题":
        return (["t"], "T") if position % 2 == 0 else (["f"], "F")
    if kind == "单选题":
        return (["2"], "B") if position % 2 == 0 else (["a"], "A")
    return (["b", "4"], "BD")


def test_whole_exam_by_keyboard_only(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    page.goto("/ws")
    tab_to(page, "admission_number")
    page.keyboard.type(seat.admission_number)
    tab_to(page, "code")
    page.keyboard.type(seat.code)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="考生信息确认")).to_be_visible()
    tab_to(page, "start")
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_be_visible()
    tab_to(page, "font-up")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_class("exam font-2")
    total = page.locator("#nav-list li").count()
    chosen: dict[int, str] = {}
    for position in range(total):
        assert current_number(page) == position + 1
        keys, response = key_for(question_type(page), position)
        for key in keys:
            page.keyboard.press(key)
        if position == 3:
            page.keyboard.press("m")
            expect(page.locator("#q-flagged")).to_be_visible()
        chosen[position] = response
        saved(page)
        page.keyboard.press("ArrowRight" if position % 2 else "PageDown")
    page.keyboard.press("PageUp")
    assert current_number(page) == total - 1
    page.keyboard.press("ArrowLeft")
    assert current_number(page) == total - 2
    tab_to(page, "submit-open")
    page.keyboard.press("Enter")
    expect(page.locator("#submit-unanswered")).to_have_text("未答题 0 道")
    expect(page.locator("#submit-flagged")).to_have_text("已标记 1 道：第 4 题")
    page.keyboard.press("Tab")  # from 返回检查 (focused when the dialog opens) to 确认交卷
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="交卷成功")).to_be_visible()
    assert sealed_answers(site.engine, seat.admission_number) == chosen
    context.close()


def answer_first(page: Page, count: int) -> dict[int, str]:
    chosen = {}
    for position in range(count):
        kind = question_type(page)
        page.locator("#q-option-list label").nth(0).click()
        chosen[position] = "T" if kind == "判断题" else "A"
        saved(page)
        page.get_by_role("button", name="下一题").click()
    return chosen


def test_reload_second_tab_and_move_return_the_same_paper_answers_and_question(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    sign_in(page, seat)
    start(page)
    stems = [page.locator("#q-stem").inner_text()]
    chosen = answer_first(page, 5)
    page.locator("#nav-list button").nth(6).click()  # jump to question 7
    assert current_number(page) == 7
    page.get_by_role("button", name="减小字号").click()
    page.reload()
    expect(page.locator("#question")).to_be_visible()
    assert current_number(page) == 7
    expect(page.locator("body")).to_have_class("exam font-0")
    expect(page.locator("#nav-counts")).to_have_text("已答 5 / 36，标记 0")
    page.locator("#nav-list button").nth(0).click()
    assert page.locator("#q-stem").inner_text() == stems[0]
    expect(page.locator("#q-option-list input").nth(0)).to_be_checked()

    second = context.new_page()  # another tab on the same PC
    second.goto("/ws")
    expect(second.locator("#question")).to_be_visible()
    assert current_number(second) == 1
    expect(second.locator("#nav-counts")).to_have_text("已答 5 / 36，标记 0")
    second.close()

    # The proctor moves the candidate to the room's spare seat: the old screen ends, the new one signs in
    # with the new code and finds the paper paused on the question saved last, until the proctor resumes.
    page.locator("#nav-list button").nth(5).click()
    page.locator("#q-option-list label").nth(1).click()
    saved(page)
    chosen[5] = "F" if question_type(page) == "判断题" else "B"
    moved = site.act(seat, "move", seat=site.morning.spare_seat)
    assert moved.status_code == 200, moved.text
    expect(page.get_by_role("heading", name="本机考生登录已结束")).to_be_visible(timeout=10_000)
    shot(page, "10-moved-away")
    expect(page.get_by_role("heading", name="考生登录")).to_be_visible(timeout=10_000)
    elsewhere = workstation(browser, site, site.morning.spare_credentials[seat.room])
    other = elsewhere.new_page()
    sign_in(other, seat, code=moved.json()["one_time_code"])
    expect(other.locator("#question")).to_be_visible()
    expect(other.locator("#pause-overlay")).to_be_visible()
    assert current_number(other) == 6
    assert site.act(seat, "resume").status_code == 200
    expect(other.locator("#pause-overlay")).to_be_hidden(timeout=10_000)
    expect(other.locator("#nav-counts")).to_have_text("已答 6 / 36，标记 0")
    other.get_by_role("button", name="交卷").click()
    other.locator("#submit-dialog").get_by_role("button", name="确认交卷").click()
    expect(other.get_by_role("heading", name="交卷成功")).to_be_visible()
    assert sealed_answers(site.engine, seat.admission_number) == chosen
    elsewhere.close()
    context.close()
