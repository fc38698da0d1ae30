"""The auditor's page in Chromium against a real ``examsvc serve``: the key pinned once, the log verified in the
browser, entries filtered with their inclusion proofs checked, the export bundle, a consistency proof demanded
from the last verified checkpoint, and the alarm when the server serves another key, a checkpoint signed by
another key, or a log whose row an insider rewrote in the database."""

from __future__ import annotations

import json

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, Route, expect

from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import Ed25519Signer, sign_note, verifier_of
from examsvc.identity.roles import Role
from tests.web.conftest import Site
from tests.web.morning import SITTING
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import staff_page
from tests.web.staff.insider import rewritten_entry, staff_user

PASSED = "验证通过"


def open_page(page: Page) -> None:
    page.goto("/staff/audit")
    expect(page.locator("#audit")).to_have_attribute("data-ready", "1")


def verify(page: Page) -> None:
    page.get_by_role("button", name="在浏览器中验证").click()
    expect(page.locator("#verify-status")).not_to_have_text("正在验证……", timeout=30_000)


def sign_now(site: Site, page: Page) -> None:
    page.get_by_role("button", name="请服务器签署新检查点").click()
    expect(page.locator("#verify-status")).to_contain_text("服务器已签署新检查点")


def test_the_auditor_verifies_the_log_in_the_browser_and_raises_the_alarm(browser: Browser, site: Site) -> None:
    staff_user(site, "web-auditor", Role.AUDITOR)
    page = staff_page(browser, site, "web-auditor")
    context = page.context
    open_page(page)
    # The key comes from an independent source (here: the test reads it as an auditor would from a notice);
    # the page only compares what the server serves with it.
    vkey = httpx.get(f"{site.base}/audit/key", timeout=10).text.strip()
    expect(page.get_by_role("button", name="在浏览器中验证")).to_be_disabled()
    sign_now(site, page)
    # By keyboard: paste the key, Tab to 固定此密钥, Enter; Tab on to 在浏览器中验证, Enter.
    page.get_by_label("粘贴从独立渠道").focus()
    page.keyboard.insert_text(vkey)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="固定此密钥")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#key-status")).to_have_text("服务器提供的验证密钥与您固定的一致。")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="在浏览器中验证")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#verify-status")).to_contain_text(PASSED, timeout=30_000)
    size = int(page.locator("#cp-size").inner_text())
    assert size > 20
    # Every verified entry is listed, 50 a page.
    expect(page.locator("#entries-count")).to_have_text(f"共 {size} 条，第 1 / {-(-size // 50)} 页")
    page.get_by_role("button", name="下一页").click()
    expect(page.locator("#entries-count")).to_contain_text("第 2 /")

    # Entries of the sitting, newest first, each with its inclusion proof verified here.
    page.get_by_label("场次编号").first.fill(SITTING)
    page.get_by_label("操作（前缀").fill("sitting.")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#entries-count")).to_contain_text("共 ")
    rows = page.locator("#entries-body tr")
    assert rows.count() > 0
    assert all(t.startswith("sitting.") for t in page.locator("#entries-body tr td:nth-child(4)").all_inner_texts())
    assert set(page.locator("#entries-body tr td:nth-child(5)").all_inner_texts()) == {SITTING}
    rows.first.get_by_role("button").click()
    expect(rows.first.get_by_role("status")).to_contain_text("包含证明有效")
    accessible(page, "auditor")
    shot(page, "20-auditor-verified")

    # The export bundle is what was verified, byte for byte.
    page.get_by_role("button", name="生成导出包").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 entries.jsonl").click()
    exported = download.value.path().read_bytes()
    assert exported.count(b"\n") == size
    assert exported.split(b"\n")[0] == site_entries(site, context, 0, 1)
    page.get_by_label("场次编号").nth(1).fill(SITTING)
    page.get_by_role("button", name="下载该场次的试卷清单").click()
    expect(page.get_by_role("link", name=f"下载 {SITTING}-paper-sets.json")).to_be_visible()
    # The sitting is still open: the room record is not the auditor's to read yet, and the page says why.
    expect(page.locator("#sitting-files")).to_contain_text("room-record.json：")

    # The log grows; next time the page demands a consistency proof from the checkpoint it verified.
    staff_user(site, "web-auditor-grows", Role.AUDITOR)  # a logged action
    sign_now(site, page)
    verify(page)
    expect(page.locator("#verify-status")).to_contain_text(f"上次验证的检查点（{size} 条）的延续")

    # The server serves another key: the alarm, and verification still uses only the pinned one.
    stranger = Ed25519Signer(vkey.split("+")[0], Ed25519PrivateKey.generate())

    def other_key(route: Route) -> None:
        route.fulfill(body=verifier_of(stranger).vkey() + "\n", content_type="text/plain; charset=utf-8")

    page.route("**/audit/key", other_key)
    open_page(page)
    alarm = page.get_by_role("alert")
    expect(alarm).to_contain_text("服务器提供的验证密钥与您固定的不同")
    shot(page, "21-auditor-alarm-key")
    page.unroute("**/audit/key")

    # A checkpoint signed by another key (a server whose key was swapped): refused with the pinned key.
    def foreign_checkpoint(route: Route) -> None:
        body = httpx.get(f"{site.base}/audit/checkpoint", timeout=10).text.split("\n\n")[0] + "\n"
        route.fulfill(body=sign_note(body, stranger), content_type="text/plain; charset=utf-8")

    page.route("**/audit/checkpoint", foreign_checkpoint)
    open_page(page)
    verify(page)
    expect(page.get_by_role("alert")).to_contain_text("没有固定的验证密钥")
    page.unroute("**/audit/checkpoint")

    # An insider drops the guard triggers and rewrites one entry in the database.
    open_page(page)
    forged_index = 5
    original = site_entries(site, context, forged_index, forged_index + 1)
    entry = json.loads(original)
    entry["details"] = {**entry.get("details", {}), "forged": True}
    with rewritten_entry(site, forged_index, canonical_json(entry)):
        verify(page)
        expect(page.get_by_role("alert")).to_contain_text(f"条目 {forged_index} 被改动过")
        expect(page.locator("#verify-status")).to_have_text("验证失败。")
        accessible(page, "auditor alarm")
        shot(page, "22-auditor-alarm-rewritten-row")
    # Put back, the same log verifies again: the alarm was the rewrite's.
    verify(page)
    expect(page.locator("#verify-status")).to_contain_text(PASSED)
    context.close()


def site_entries(site: Site, context: object, start: int, end: int) -> bytes:
    """Entry bytes straight from the API with the auditor's cookie (what the page fetched)."""
    cookies = {c["name"]: c["value"] for c in context.cookies()}  # type: ignore[attr-defined]
    response = httpx.get(f"{site.base}/audit/entries", params={"start": start, "end": end}, cookies=cookies,
                         timeout=10)
    assert response.status_code == 200, response.text
    return response.content.rstrip(b"\n")


def test_the_audit_page_refuses_other_roles(browser: Browser, site: Site) -> None:
    staff_user(site, "web-not-auditor", Role.PROCTOR, Role.INSPECTOR)
    page = staff_page(browser, site, "web-not-auditor")
    context = page.context
    response = page.goto("/staff/audit")
    assert response is not None and response.status == 403
    assert response.headers["x-error"] == "forbidden"
    accessible(page, "audit refused")
    context.close()
    anonymous = httpx.get(f"{site.base}/staff/audit", follow_redirects=False, timeout=10)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/login")
