"""The public check page (``/verify``) in Chromium against a real ``examsvc serve``: a valid certificate (its
inclusion proof checked again in the browser, and a proof changed on the way caught there), a revoked one, a
forged one, keyboard-only use with the number-and-name fallback, the camera scan (with a stand-in
BarcodeDetector: Chromium on Linux has none), axe-core, and screenshots on a phone-sized screen.

The certificates are made the real way (tests/certificates/world.py: candidates who passed theory and
practical) through the API in a database of this module's own, committed, then served with the same data
folder (so the same certificate and log keys): tests/web/certificate_world.py."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.certificates.base45 import ALPHABET
from examsvc.certificates.models import Certificate
from examsvc.certificates.signed_form import PREFIX
from examsvc.certificates.verify import mask_name
from examsvc.identity.roles import Role
from tests.builders import auth_header, login, make_user
from tests.certificates.world import World
from tests.web.certificate_world import served_world
from tests.web.conftest import NO_CHROMIUM, chromium
from tests.web.screen import accessible, shot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Cards:
    base: str
    valid: str  # QR texts
    revoked: str
    number: str  # the valid one's number and its holder's full name (the fallback)
    holder: str


def _issue(world: World, client: TestClient, db_session: Session) -> tuple[str, str, str, str]:
    """Two of the world's certificates, one revoked, and a checkpoint over them. (valid QR, revoked QR, number,
    holder)."""
    good, bad = (world.issue(i).json() for i in world.qualified)
    revoked = client.post(f"/certificates/{bad['number']}/revoke", headers=world.officer,
                          json={"reason": "考试作弊，依法撤销", "mode": "cancel"})
    assert revoked.status_code == 200, revoked.text
    auditor = make_user(db_session, Role.AUDITOR)
    db_session.commit()
    # The inclusion proof needs a checkpoint signed after the events (the server signs none: interval 0).
    signed = client.post("/audit/checkpoint", headers=auth_header(login(client, auditor.username)))
    assert signed.status_code == 200, signed.text
    holder = db_session.scalars(select(Certificate.holder_name).where(Certificate.number == good["number"])).one()
    return good["qr_text"], bad["qr_text"], good["number"], holder


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cards]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    with served_world(tmp_path_factory, "verify", _issue, env={"EXAMSVC_VERIFY_RATE_PER_MINUTE": "600"}) as (
            server, (valid, revoked, number, holder)):
        yield Cards(server.base, valid, revoked, number, holder)


def phone_or_desk(browser: Browser, cards: Cards, viewport: dict[str, int], *, script: str = "") -> Page:
    context = browser.new_context(base_url=cards.base, viewport=viewport, locale="zh-CN",  # type: ignore[arg-type]
                                  timezone_id="Asia/Shanghai", has_touch=viewport is PHONE, is_mobile=viewport is PHONE)
    if script:
        context.add_init_script(script)
    return context.new_page()


def check(page: Page, text: str) -> None:
    page.goto("/verify")
    page.get_by_label("二维码内容（以 SQ1: 开头）").fill(text)
    page.get_by_role("button", name="查验", exact=True).click()


def answer(page: Page, label: str) -> None:
    # The hidden words and the label are separate boxes: Chromium puts a space between them in the name.
    heading = page.get_by_role("heading", name=re.compile(rf"^查验结果：\s*{re.escape(label)}$"))
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()  # a screen reader starts at the answer


def test_a_valid_certificate_is_valid_and_its_log_proof_checks_in_the_browser(browser: Browser, cards: Cards) -> None:
    page = phone_or_desk(browser, cards, PHONE)
    check(page, cards.valid)
    answer(page, "有效")
    expect(page.locator("#browser-check")).to_contain_text("已在您的浏览器中独立核验")
    expect(page.locator("#browser-check")).to_contain_text("RFC 9162 包含证明")
    assert "certificate_officer" not in page.content()  # the entry (who acted) stays with the auditors
    for what in ("签名", "发证记录", "审计日志", "状态"):
        expect(page.locator(".check-ok .check-what", has_text=re.compile(f"^{what}$"))).to_have_count(1)
    expect(page.get_by_text(mask_name(cards.holder), exact=True)).to_be_visible()  # the masked name
    expect(page.get_by_text(cards.holder, exact=True)).to_have_count(0)
    accessible(page, "verify valid (phone)")
    shot(page, "verify-valid")
    # The proof opens by keyboard and shows the checkpoint and the hashes.
    page.locator("#proof summary").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="已签名检查点")).to_be_visible()
    accessible(page, "verify valid, proof open")
    page.context.close()

    # A proof changed on its way to the browser (one hash of the path) is caught there, not believed.
    page = phone_or_desk(browser, cards, DESKTOP)

    def tamper(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        if route.request.method == "POST":
            def changed(found: re.Match[str]) -> str:
                proof = json.loads(html.unescape(found.group(1)))
                first = proof["hashes"][0]
                proof["hashes"][0] = ("B" if first[0] == "A" else "A") + first[1:]
                return f'data-proof="{html.escape(json.dumps(proof), quote=True)}"'
            body = re.sub(r'data-proof="([^"]*)"', changed, body)
        route.fulfill(response=response, body=body)

    page.route("**/verify", tamper)
    check(page, cards.valid)
    answer(page, "有效")  # the server's answer ...
    expect(page.locator("#browser-check")).to_contain_text("浏览器核验未通过")  # ... not confirmed here
    page.context.close()


def test_a_revoked_and_a_forged_certificate_say_so(browser: Browser, cards: Cards) -> None:
    page = phone_or_desk(browser, cards, DESKTOP)
    check(page, cards.revoked)
    answer(page, "已撤销")
    expect(page.get_by_text("该证书已被撤销。")).to_be_visible()
    accessible(page, "verify revoked")
    shot(page, "verify-revoked")
    page.context.close()

    at = len(PREFIX) + (len(cards.valid) - len(PREFIX)) // 2
    forged = cards.valid[:at] + ALPHABET[(ALPHABET.index(cards.valid[at]) + 1) % len(ALPHABET)] + cards.valid[at + 1:]
    page = phone_or_desk(browser, cards, PHONE)
    check(page, forged)
    answer(page, "无法验证（疑似伪造）")
    expect(page.locator(".check-bad .check-what", has_text="二维码格式与签名")).to_be_visible()
    expect(page.locator("#proof")).to_have_count(0)
    accessible(page, "verify forged (phone)")
    shot(page, "verify-forged")
    page.context.close()


def test_keyboard_only_qr_check_and_the_number_and_name_fallback(browser: Browser, cards: Cards) -> None:
    page = phone_or_desk(browser, cards, DESKTOP)
    page.goto("/verify")
    expect(page.get_by_role("button", name="📷 用摄像头扫码")).to_be_hidden()  # no BarcodeDetector here
    accessible(page, "verify empty form")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("二维码内容（以 SQ1: 开头）")).to_be_focused()
    page.keyboard.insert_text(cards.valid)
    page.keyboard.press("Tab")
    expect(page.get_by_label("身份证号（可选，照证件输入，用于核对）")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="查验", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    answer(page, "有效")

    # The fallback, by keyboard from the answer: Tab through to the number field.
    number = page.get_by_label("证号", exact=True)
    for _ in range(30):
        page.keyboard.press("Tab")
        if number.evaluate("e => e === document.activeElement"):
            break
    expect(number).to_be_focused()
    page.keyboard.insert_text(cards.number)
    page.keyboard.press("Tab")
    page.keyboard.insert_text(cards.holder)
    page.keyboard.press("Enter")  # Enter in a field sends its form
    answer(page, "有效")
    expect(page.locator(".check-none .check-what", has_text="签名")).to_be_visible()  # not checked: said so
    expect(page.locator("#browser-check")).to_contain_text("已在您的浏览器中独立核验")
    page.context.close()


# A stand-in camera and BarcodeDetector: a canvas's stream, and a detector that "sees" the given text.
FAKE_CAMERA = """
window.BarcodeDetector = class { constructor() {} async detect() { return [{ rawValue: window.__qr }]; } };
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas"); canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream(5);
};
"""


def test_the_camera_scan_fills_the_text_and_checks_it(browser: Browser, cards: Cards) -> None:
    page = phone_or_desk(browser, cards, PHONE, script=f"window.__qr = {json.dumps(cards.revoked)};" + FAKE_CAMERA)
    page.goto("/verify")
    scan = page.get_by_role("button", name="📷 用摄像头扫码")
    expect(scan).to_be_visible()
    scan.click()
    answer(page, "已撤销")
    expect(page.get_by_label("二维码内容（以 SQ1: 开头）")).to_have_value(cards.revoked)
    page.context.close()
