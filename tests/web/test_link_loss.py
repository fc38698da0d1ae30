"""The link cut for 30+ answers: they are kept in the browser (through a crash too), sent in order when the
link is back, none lost (the sealed sheet), and the banner shows and clears."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, Route, expect

from tests.web.conftest import Site
from tests.web.screen import journal, question_type, saved, sealed_answers, shot, sign_in, start, workstation

OFFLINE_WITH_PAGE_OPEN = 30
OFFLINE_THEN_CRASH = 3


def change(page: Page, position: int, chosen: dict[int, str], order: list[tuple[int, str]]) -> None:
    """Two changes on the question (the first option, then the second): the later one must win."""
    page.locator("#nav-list button").nth(position).click()
    kind = question_type(page)
    options = page.locator("#q-option-list label")
    options.nth(0).click()
    options.nth(1).click()
    if kind == "多选题":
        first, last = "A", "AB"
    else:
        first, last = ("T", "F") if kind == "判断题" else ("A", "B")
    order += [(position, first), (position, last)]
    chosen[position] = last


def test_answers_made_offline_arrive_in_order_after_the_link_returns(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    sign_in(page, seat)
    start(page)
    chosen: dict[int, str] = {}
    order: list[tuple[int, str]] = []
    context.set_offline(True)
    for position in range(OFFLINE_WITH_PAGE_OPEN):
        change(page, position, chosen, order)
        if position == 0:
            expect(page.locator("#offline-banner")).to_be_visible()
            expect(page.locator("#save-state")).to_have_text("未发送（已存本机）")
    shot(page, "08-offline-banner")
    context.set_offline(False)
    expect(page.locator("#offline-banner")).to_be_hidden(timeout=10_000)
    saved(page)
    expect(page.locator("#nav-counts")).to_have_text(f"已答 {OFFLINE_WITH_PAGE_OPEN} / 36，标记 0")

    # Cut again, change more, and close the browser before the link returns (a crash): the next page
    # on this PC finds the changes in local storage and sends them.
    context.set_offline(True)
    for position in range(OFFLINE_WITH_PAGE_OPEN, OFFLINE_WITH_PAGE_OPEN + OFFLINE_THEN_CRASH):
        change(page, position, chosen, order)
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto("/ws")
    expect(again.locator("#question")).to_be_visible()
    expect(again.locator("#nav-counts")).to_have_text(f"已答 {len(chosen)} / 36，标记 0", timeout=10_000)
    expect(again.locator("#save-state")).to_have_text("已保存", timeout=10_000)
    assert [(p, r) for p, _, r in journal(site.engine, seat.admission_number)] == order
    again.get_by_role("button", name="交卷").click()
    again.locator("#submit-dialog").get_by_role("button", name="确认交卷").click()
    expect(again.get_by_role("heading", name="交卷成功")).to_be_visible()
    assert sealed_answers(site.engine, seat.admission_number) == chosen
    context.close()


def test_a_late_acknowledgement_never_overwrites_a_newer_change(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    sign_in(page, seat)
    start(page)
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/attempt/answers/0", hold_the_first)
    options = page.locator("#q-option-list input")
    kind = question_type(page)
    first, second = {"判断题": ("T", "F"), "单选题": ("A", "B")}.get(kind, ("A", "AB"))
    options.nth(0).check()  # sent, its answer held back
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    options.nth(1).check()  # the newer change waits behind it
    expect(page.locator("#save-state")).to_have_text("保存中")
    held[0].continue_()  # the older save arrives and is acknowledged after the newer change was made
    saved(page)
    expect(options.nth(1)).to_be_checked()
    if kind != "多选题":
        expect(options.nth(0)).not_to_be_checked()
    assert [(p, r) for p, _, r in journal(site.engine, seat.admission_number)] == [(0, first), (0, second)]
    context.close()
