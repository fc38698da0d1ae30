"""What the browser tests do on the workstation's screens, and what they read back from the database."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.engine import Engine

from examsvc.attempts.models import AnswerSave, AnswerSheet, Attempt
from examsvc.bootstrap import transaction
from examsvc.candidates.models import Registration
from tests.web.conftest import SCREENSHOTS, Site
from tests.web.morning import Seat

AXE = Axe()
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def workstation(browser: Browser, site: Site, credential: str) -> BrowserContext:
    """A browser context as an enrolled exam PC: its credential in the HttpOnly cookie."""
    context = browser.new_context(base_url=site.base, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_cookies(site.cookie(credential))  # type: ignore[arg-type]
    return context


def sign_in(page: Page, seat: Seat, code: str | None = None) -> None:
    page.goto("/ws")
    page.get_by_label("准考证号").fill(seat.admission_number)
    page.get_by_label("登录码（6位数字）").fill(code or seat.code)
    page.get_by_role("button", name="登录").click()


def start(page: Page) -> None:
    expect(page.get_by_role("heading", name="考生信息确认")).to_be_visible()
    page.get_by_role("button", name="开始答题").click()
    expect(page.locator("#question")).to_be_visible()


def shot(page: Page, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def accessible(page: Page, name: str) -> None:
    """axe-core (bundled with axe-playwright-python, offline): no WCAG 2.1 A/AA violation on the page."""
    result = AXE.run(page, options=WCAG_AA)
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result.response["violations"]]
    assert not violations, f"{name}: {violations}"


def current_number(page: Page) -> int:
    text = page.locator("#q-number").inner_text()
    found = re.match(r"第 (\d+) 题", text)
    assert found, text
    return int(found.group(1))


def question_type(page: Page) -> str:
    return page.locator("#q-type").inner_text()


def saved(page: Page) -> None:
    expect(page.locator("#save-state")).to_have_text("已保存")


def attempt_of(engine: Engine, admission_number: str) -> Attempt:
    with transaction(engine) as db:
        registration = db.scalars(select(Registration).where(Registration.admission_number == admission_number)).one()
        attempt = db.scalars(select(Attempt).where(Attempt.registration_id == registration.id)).one()
        db.expunge(attempt)
        return attempt


def sealed_answers(engine: Engine, admission_number: str) -> dict[int, str]:
    """The sealed answer sheet's responses, by position."""
    attempt = attempt_of(engine, admission_number)
    with transaction(engine) as db:
        sheet = db.get(AnswerSheet, attempt.id)
        assert sheet is not None, f"{admission_number}: no sealed sheet"
        document: dict[str, Any] = json.loads(sheet.document)
    return {a["position"]: a["response"] for a in document["answers"]}


def journal(engine: Engine, admission_number: str) -> list[tuple[int, int, str]]:
    """Every accepted save of the attempt, in the order the server took them: (position, seq, response)."""
    attempt = attempt_of(engine, admission_number)
    with transaction(engine) as db:
        return [(r.position, r.seq, r.response) for r in db.scalars(
            select(AnswerSave).where(AnswerSave.attempt_id == attempt.id).order_by(AnswerSave.id))]
