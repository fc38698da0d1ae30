"""The chief examiner's pages in Chromium against a real ``examsvc serve``: a new rule version approved with
the passphrase after reading its difference from version 1 and the feasibility report; the sitting's paper
set cosigned; the presence checklist and the opening; candidates answering through the API; the close with
the signed room record, viewed for print; results published and one reviewed, the new version beside the
old. Refusals: another sitting's chief, a proctor."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from examsvc.bootstrap import transaction
from examsvc.papers.models import PaperSet, PaperSetStatus
from tests.web.conftest import Site
from tests.web.morning import SITTING
from tests.web.screen import accessible, shot
from tests.web.staff.chief_morning import CHIEF, CHIEF_PASSPHRASE, SITTING2, check_in, second_sitting, submitted_rule
from tests.web.staff.chief_morning import wait_for_start as wait_for_second_start
from tests.web.staff.conftest import staff_page


def sign(page: Page, form: str, button: str, done: str, passphrase: str = CHIEF_PASSPHRASE) -> None:
    """Fill the form's passphrase, press its button, and wait for the page the API's success reloads."""
    scope = page.locator("form", has=page.get_by_role("button", name=button))
    scope.get_by_label("主考官密钥口令").fill(passphrase)
    scope.get_by_role("button", name=button).click()
    expect(page.get_by_role("status").filter(has_text=done)).to_be_visible()
    assert form  # the form's name, for the reader of a failure


def answer_and_submit(site: Site, admission_number: str, credential: str, code: str) -> None:
    workstation = {"X-Workstation-Token": credential}
    signed = httpx.post(f"{site.base}/candidate-sessions", headers=workstation, timeout=30,
                        json={"admission_number": admission_number, "code": code})
    assert signed.is_success, signed.text
    session = workstation | {"X-Candidate-Session": signed.json()["session_token"]}
    started = httpx.post(f"{site.base}/attempt/start", headers=session, timeout=30)
    assert started.is_success, started.text
    submitted = httpx.post(f"{site.base}/attempt/submit", headers=session, json={"confirm": True}, timeout=30)
    assert submitted.is_success, submitted.text


def test_a_chief_examiner_approves_cosigns_opens_closes_publishes_and_reviews(browser: Browser, site: Site) -> None:
    assert site.settings is not None
    rule_id = submitted_rule(site.engine, site.settings)
    page = staff_page(browser, site, CHIEF)
    context = page.context

    page.goto("/staff/chief")
    expect(page.get_by_role("heading", name="主考工作台")).to_be_visible()
    accessible(page, "chief home")
    shot(page, "30-chief-home")
    page.get_by_role("link", name=re.compile(r"审阅\s*（WEB-GEN 第2版）")).click()

    # The difference from version 1: what changed is said, what did not is too.
    expect(page.get_by_role("heading", name="与上一版本的差异（第1版）")).to_be_visible()
    changed = page.get_by_role("row", name="判断题 题数")
    expect(changed).to_contain_text("16")
    expect(changed).to_contain_text("14")
    expect(changed).to_contain_text("有变化")
    expect(page.get_by_role("row", name="题库版本")).to_contain_text("相同")
    expect(page.get_by_text("可行：题库足以按本规则组卷")).to_be_visible()
    accessible(page, "chief rule")
    shot(page, "31-chief-rule-difference")

    # A wrong passphrase: the refusal in Chinese, the field emptied (never kept), nothing approved.
    approve = page.locator("form", has=page.get_by_role("button", name="批准"))
    approve.get_by_label("主考官密钥口令").fill("not the passphrase")
    approve.get_by_role("button", name="批准").click()
    expect(approve.get_by_role("alert")).to_be_visible()
    expect(approve.get_by_label("主考官密钥口令")).to_have_value("")
    sign(page, "approve", "批准", "已批准，您的签名已记录。")
    assert page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)").find(
        CHIEF_PASSPHRASE) < 0

    # Exam morning: the manifest shown before the cosignature, the presence checklist, the opening.
    found = second_sitting(site.engine, site.settings, rule_id, site.morning.enrolment_code)
    page.goto(f"/staff/chief/sittings/{SITTING2}")
    with transaction(site.engine) as db:
        paper_set = db.scalars(select(PaperSet).where(PaperSet.sitting_code == SITTING2)).one()
        root, set_id = paper_set.merkle_root, paper_set.id
    expect(page.get_by_text(root, exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="第03考场")).to_contain_text("满足")
    accessible(page, "chief sitting before cosigning")
    shot(page, "32-chief-manifest-and-presence")
    sign(page, "cosign", f"会签试卷集 {set_id}", "已会签试卷集。")
    with transaction(site.engine) as db:
        assert db.get(PaperSet, set_id).status == PaperSetStatus.APPROVED  # type: ignore[union-attr]
    sign(page, "open", "开考", "已开考。")
    expect(page.locator("#sitting-status")).to_have_text("考试中")

    checked = check_in(site.engine, found)
    wait_for_second_start(site.engine)
    for one in checked:
        answer_and_submit(site, one.admission_number, one.credential, one.code)

    page.reload()
    sign(page, "close", "结束场次", "场次已结束，考场记录已签署。")
    expect(page.get_by_text("主考官签名")).to_be_visible()
    page.get_by_role("link", name="查看并打印考场记录").click()
    expect(page.get_by_text(SITTING2).first).to_be_visible()
    shot(page, "34-room-record-print")
    page.go_back()

    sign(page, "publish", "发布成绩", "成绩已发布。")
    first = checked[0].admission_number
    page.locator("summary", has_text=f"复核 {first}").click()
    review = page.locator("form", has=page.get_by_role("button", name=f"提交复核 {first}"))
    review.get_by_label("第1题", exact=True).fill("1")
    review.get_by_label("复核理由").fill("第1题标准答案经专家组复核认定有误")
    sign(page, "review", f"提交复核 {first}", "复核完成")
    side = page.get_by_role("table", name="第1版与第2版对照（0 分 → 1 分）")
    expect(side.get_by_role("row", name="第1题")).to_contain_text("1")
    expect(page.get_by_text("复核理由：第1题标准答案经专家组复核认定有误")).to_be_visible()
    accessible(page, "chief sitting after review")
    shot(page, "35-chief-results-review")

    # Another sitting is not this chief's: refused as the API refuses it.
    refused = page.goto(f"/staff/chief/sittings/{SITTING}")
    assert refused is not None and refused.status == 403 and refused.headers["x-error"] == "not_assigned"
    accessible(page, "chief refused another sitting")
    shot(page, "36-chief-refused-other-sitting")
    context.close()
    # ... and the first sitting's chief may not open this one.
    other = staff_page(browser, site, "web-chief").context
    refused = other.new_page().goto(f"/staff/chief/sittings/{SITTING2}")
    assert refused is not None and refused.status == 403 and refused.headers["x-error"] == "not_assigned"
    other.close()


def test_chief_pages_refuse_other_roles_and_other_sittings_chiefs(browser: Browser, site: Site) -> None:
    page = staff_page(browser, site, "web-chief")  # the chief examiner of WEB-1 only
    context = page.context
    home = page.goto("/staff/chief")
    assert home is not None and home.status == 200
    mine = page.goto(f"/staff/chief/sittings/{SITTING}")
    assert mine is not None and mine.status == 200
    context.close()
    page = staff_page(browser, site, site.morning.proctor_names["01"])
    proctor = page.context
    refused = page.goto("/staff/chief")
    assert refused is not None and refused.status == 403 and refused.headers["x-error"] == "forbidden"
    accessible(page, "chief refused")
    proctor.close()
