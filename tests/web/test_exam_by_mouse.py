"""A whole exam by mouse in a real Chromium: sign-in, instructions, every question, flags, the 交卷
dialog's counts, the result page; the sealed answer sheet holds exactly what was clicked."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.conftest import Site
from tests.web.screen import (
    accessible,
    current_number,
    question_type,
    saved,
    sealed_answers,
    shot,
    sign_in,
    start,
    workstation,
)

LEFT_UNANSWERED = 2
FLAGGED = (1, 4)  # positions


def wanted(kind: str, position: int) -> str:
    if kind == "判断题":
        return "T" if position % 2 == 0 else "F"
    if kind == "单选题":
        return "AB"[position % 2]
    return "AC"


def test_whole_exam_by_mouse(browser: Browser, site: Site) -> None:
    seat = site.seat()
    context = workstation(browser, site, seat.credential)
    page = context.new_page()
    sign_in(page, seat)
    shot(page, "03-instructions")
    accessible(page, "instructions")
    start(page)
    total = page.locator("#nav-list li").count()
    # The deterrent: no right-click menu, no copying, no selection of the paper's text.
    for event in ("contextmenu", "copy"):
        prevented = page.evaluate("""(name) => { const e = new Event(name, {bubbles: true, cancelable: true});
            document.getElementById('q-stem').dispatchEvent(e); return e.defaultPrevented; }""", event)
        assert prevented, event
    assert page.evaluate("() => getComputedStyle(document.getElementById('q-stem')).userSelect") == "none"
    assert total == 36
    chosen: dict[int, str] = {}
    for position in range(total - LEFT_UNANSWERED):
        assert current_number(page) == position + 1
        kind = question_type(page)
        answer = wanted(kind, position)
        options = page.locator("#q-option-list label")
        for letter in answer:
            index = "TF".index(letter) if kind == "判断题" else ord(letter) - ord("A")
            options.nth(index).click()
        chosen[position] = answer
        if position in FLAGGED:
            page.get_by_role("button", name="标记", exact=True).click()
            expect(page.locator("#q-flagged")).to_be_visible()
        saved(page)
        if position == 2:
            shot(page, "04-exam")
            accessible(page, "exam screen")
        if kind == "多选题" and answer == "AC" and not chosen.get(position - 1, "").startswith("A"):
            shot(page, "05-exam-multiple")  # the first 多选题, answered
        page.get_by_role("button", name="下一题").click()
    navigator = page.locator("#nav-list button")
    expect(navigator.nth(FLAGGED[0])).to_have_attribute("aria-label", f"第{FLAGGED[0] + 1}题，已答，已标记")
    expect(navigator.nth(total - 1)).to_have_attribute("aria-label", f"第{total}题，未答")
    expect(navigator.nth(FLAGGED[0])).to_contain_text("★")
    page.get_by_role("button", name="交卷").click()
    dialog = page.locator("#submit-dialog")
    expect(dialog).to_be_visible()
    unanswered = "、".join(str(n) for n in range(total - LEFT_UNANSWERED + 1, total + 1))
    expect(page.locator("#submit-unanswered")).to_have_text(f"未答题 {LEFT_UNANSWERED} 道：第 {unanswered} 题")
    expect(page.locator("#submit-flagged")).to_have_text(f"已标记 2 道：第 {FLAGGED[0] + 1}、{FLAGGED[1] + 1} 题")
    shot(page, "06-submit-dialog")
    accessible(page, "submit dialog")
    dialog.get_by_role("button", name="确认交卷").click()
    expect(page.get_by_role("heading", name="交卷成功")).to_be_visible()
    expect(page.locator(".score")).to_contain_text("分")
    shot(page, "07-result")
    accessible(page, "result")
    assert sealed_answers(site.engine, seat.admission_number) == chosen
    page.get_by_role("button", name="离开（返回登录界面）").click()
    expect(page.get_by_role("heading", name="考生登录")).to_be_visible()
    context.close()
