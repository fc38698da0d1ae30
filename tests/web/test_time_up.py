"""Time up: with the page open it stops taking answers, sends what it has and says the paper was handed in
automatically; with the page closed the server seals it at the deadline all the same."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, expect

from examsvc.attempts.models import AttemptStatus, SubmittedHow
from tests.web.conftest import Site
from tests.web.morning import age
from tests.web.screen import attempt_of, saved, sealed_answers, shot, sign_in, start, workstation

LEFT = 6  # seconds left once the attempts are aged


def test_time_up_hands_in_with_the_page_open_and_with_it_closed(browser: Browser, site: Site) -> None:
    open_seat, closed_seat = site.seat(), site.seat()
    opened = workstation(browser, site, open_seat.credential)
    page = opened.new_page()
    sign_in(page, open_seat)
    start(page)
    page.locator("#q-option-list label").nth(0).click()
    saved(page)
    closed = workstation(browser, site, closed_seat.credential)
    gone = closed.new_page()
    sign_in(gone, closed_seat)
    start(gone)
    gone.locator("#q-option-list label").nth(1).click()
    saved(gone)
    closed.close()  # the page is closed: nothing will ask the server again for this candidate

    for seat in (open_seat, closed_seat):
        age(site.engine, seat.admission_number, 7200 - LEFT)
    expect(page.locator("#end-overlay")).to_be_visible(timeout=15_000)
    expect(page.locator("#q-option-list input").nth(1)).to_be_disabled()
    shot(page, "12-time-up")
    expect(page.get_by_role("heading", name="考试时间到，系统已自动交卷")).to_be_visible(timeout=20_000)
    shot(page, "13-result-time-up")
    assert sealed_answers(site.engine, open_seat.admission_number) == {0: "T"}

    # Its deadline comes a moment later (it started later): the server's sweep seals it after the grace.
    give_up = time.monotonic() + 15
    while (attempt := attempt_of(site.engine, closed_seat.admission_number)).status == AttemptStatus.IN_PROGRESS:
        assert time.monotonic() < give_up, "the closed page's attempt was not sealed at its deadline"
        time.sleep(0.25)
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.submitted_how == SubmittedHow.DEADLINE
    assert sealed_answers(site.engine, closed_seat.admission_number) == {0: "F"}
    opened.close()
