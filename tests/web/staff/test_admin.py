"""The exam admin's pages in Chromium: a sitting created, a candidate list whose every refused row is shown at
once (and nothing registered), then a clean list registered; a staff conflict shown before saving; the paper
set made; lists searched and paged."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, expect

from examsvc import localtime
from examsvc.db import utcnow
from tests.web.conftest import Site
from tests.web.morning import _id_number
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import staff_page
from tests.web.staff.morning import STAFF_SITE, STAFF_SITTING, StaffMorning

HEADER = "姓名,身份证号,培训机构,工作单位\n"


def test_create_register_assign_and_make_papers(browser: Browser, site: Site, staff: StaffMorning,
                                                 tmp_path: object) -> None:
    page = staff_page(browser, site, staff.users["admin"], then="/staff/admin/sittings")
    expect(page.get_by_role("heading", name="考务管理 · 考试场次")).to_be_visible()
    expect(page.get_by_role("cell", name=STAFF_SITTING, exact=True)).to_be_visible()
    page.get_by_label("搜索场次代码、科目或考点").fill("第二考点")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("cell", name="WEB-1", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name=STAFF_SITTING, exact=True)).to_be_visible()
    shot(page, "staff-20-admin-sittings")
    accessible(page, "admin sittings")
    # A sitting tomorrow morning in the second site's room 01 (free then).
    tomorrow = (utcnow().astimezone(localtime.zone("Asia/Shanghai")) + timedelta(days=1)).date()
    page.get_by_label("场次代码（字母、数字、- 或 _）").fill("WEB-A")
    page.get_by_label("考试科目名称").fill("一般行业安全生产管理人员补考")
    page.get_by_label("考点", exact=True).select_option(STAFF_SITE)
    page.get_by_label("考场代码（多个用逗号分隔）").fill("01")
    page.get_by_label(re.compile("开考时间")).fill(f"{tomorrow.isoformat()}T09:00")
    page.get_by_role("button", name="创建场次").click()
    expect(page.get_by_role("heading", name=re.compile("考试场次 WEB-A"))).to_be_visible()
    expect(page.locator("#sitting-status")).to_have_text("待开考")
    # A list with three bad rows and one good one: every bad row is named, nothing is registered.
    bad = (HEADER + f"张三,{_id_number(300)},,\n" + "李四,110101199001011230,,\n" + f",{_id_number(301)},,\n"
           + "王五,12345,,\n")
    page.get_by_label(re.compile("上传考生名单")).set_input_files(
        files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="上传并登记").click()
    expect(page.get_by_role("alert")).to_contain_text("未登记")
    rows = page.locator("#refused-rows tbody tr")
    expect(rows).to_have_count(3)
    for line in ("第 3 行", "第 4 行", "第 5 行"):
        expect(page.locator("#refused-rows")).to_contain_text(line)
    expect(page.locator("#registered")).to_contain_text("没有符合条件的考生")
    shot(page, "staff-21-admin-refused-rows")
    accessible(page, "admin refused rows")
    good = HEADER + f"张三,{_id_number(300)},,\n" + f"赵六,{_id_number(302)},,\n"
    page.get_by_label(re.compile("上传考生名单")).set_input_files(
        files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": good.encode()}])
    page.get_by_role("button", name="上传并登记").click()
    expect(page.locator("#registered")).to_contain_text("赵六", timeout=10000)
    expect(page.locator("#registered tbody tr")).to_have_count(2)
    # A conflict shown before saving: a proctor cannot be the chief examiner (the service's own check).
    page.get_by_label("筛选人员（姓名或用户名）").fill("proctor-late")  # the staff list is searchable
    expect(page.get_by_label("人员", exact=True)).to_have_value(re.compile(r"^\d+$"))
    assert page.get_by_label("人员", exact=True).evaluate("s => s.selectedOptions[0].textContent").endswith(
        "（staff-proctor-late）")
    page.get_by_label("筛选人员（姓名或用户名）").fill("")
    page.get_by_label("人员", exact=True).select_option(label="测试人员（staff-proctor-late）")
    page.get_by_label("角色", exact=True).select_option("chief_examiner")
    page.get_by_role("button", name="检查冲突").click()
    expect(page.locator("#staff-result")).to_contain_text("有冲突，不能保存：该人员没有此角色")
    page.get_by_label("角色", exact=True).select_option("proctor")
    page.get_by_label("考场（监考员、考评员必选）").select_option("01")
    page.get_by_role("button", name="检查冲突").click()
    expect(page.locator("#staff-result")).to_have_text("没有冲突，可以保存。")
    page.get_by_role("button", name="保存安排").click()
    expect(page.get_by_role("cell", name="staff-proctor-late")).to_be_visible(timeout=10000)
    # Papers are sealed to the sitting's chief examiner: refused until there is one, said on the page.
    page.get_by_role("button", name="生成试卷集").click()
    expect(page.get_by_role("status").filter(has_text="未生成")).to_contain_text("请先安排主考官")
    page.get_by_label("人员", exact=True).select_option(label="测试人员（staff-chief）")
    page.get_by_label("角色", exact=True).select_option("chief_examiner")
    page.get_by_label("考场（监考员、考评员必选）").select_option("")
    page.get_by_role("button", name="保存安排").click()
    expect(page.get_by_role("cell", name="staff-chief")).to_be_visible(timeout=10000)
    # The paper set: one sealed paper per candidate, waiting for the chief examiner.
    page.get_by_role("button", name="生成试卷集").click()
    expect(page.get_by_role("cell", name="已封存，待主考官签署")).to_be_visible(timeout=20000)
    shot(page, "staff-22-admin-sitting")
    accessible(page, "admin sitting")
    page.context.close()
