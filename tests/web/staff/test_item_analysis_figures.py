"""The item-analysis page in Chromium on realistic numbers (tests/web/staff/item_figures.py: 400 attempts ×
100 questions of a 500-question pool, four planted problems), against a real ``examsvc serve``: a bank admin
filters by keyboard only, the planted questions carry the right flag text, "only flagged" stays in the URL
across pages and lists exactly the API's flagged questions, the export link carries the filters and its
.xlsx lists the same keys; axe-core; screenshots of the flagged list and of a question's row."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from bench.item_world import seed_pool
from examsvc.bootstrap import transaction
from examsvc.identity.roles import Role
from examsvc.web.item_analysis import PAGE_SIZE
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.web.conftest import NO_CHROMIUM, SCREENSHOTS, chromium
from tests.web.live import live_server, own_database, server_settings
from tests.web.screen import accessible, shot
from tests.web.staff.conftest import log_in
from tests.web.staff.item_figures import ATTEMPTS, MISKEYED, PLANTED, POOL, question_key, simulate

BANK = "ITEM-POOL"  # the exam morning's own bank is SX-GEN-MANAGER: "I" picks this one from the keyboard
VERSION = "pool-2026"


@dataclass(frozen=True)
class Committee:
    base: str
    bank_admin: str


@pytest.fixture(scope="module")
def committee(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Committee]:
    if chromium() is None:
        pytest.skip(NO_CHROMIUM)
    data_dir = tmp_path_factory.mktemp("item-figures-data")
    for engine in own_database(tmp_path_factory.mktemp("item-figures-db"), "itemfig"):
        settings = server_settings(engine, data_dir, checkpoint_interval_seconds=0, sweep_interval_seconds=0)
        seed_pool(engine, settings, simulate(), bank_code=BANK, version_label=VERSION)
        with transaction(engine) as db:
            admin = make_user(db, Role.BANK_ADMIN).username
        with live_server(settings) as server:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            yield Committee(server.base, admin)


def _api_flagged(committee: Committee) -> list[dict[str, object]]:
    token = httpx.post(f"{committee.base}/auth/login", json={"username": committee.bank_admin,
                                                            "password": DEFAULT_PASSWORD}, timeout=30).json()
    found = httpx.get(f"{committee.base}/analytics/items/flagged", params={"bank": BANK, "version": VERSION},
                      headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=30)
    assert found.status_code == 200, found.text
    questions: list[dict[str, object]] = found.json()["questions"]
    return questions


def _listed_keys(page: Page) -> list[str]:
    return page.locator("table.items tbody th[scope=row]").all_inner_texts()


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_a_bank_committee_finds_the_planted_problems(browser: Browser, committee: Committee) -> None:
    context = browser.new_context(base_url=committee.base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    page = context.new_page()
    log_in(page, committee.bank_admin, DEFAULT_PASSWORD, then="/staff/analysis/items")
    expect(page.get_by_role("heading", name="试题分析", level=1)).to_be_visible()

    # Keyboard only: type-ahead in the selects, Space on the checkbox, Enter on the button.
    page.get_by_label("题库代码").focus()
    page.keyboard.press("I")
    page.keyboard.press("Tab")
    expect(page.get_by_label("版本号")).to_be_focused()
    page.keyboard.press("p")
    page.keyboard.press("Tab")
    expect(page.get_by_label("题库部分")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("只看待复核试题")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="查看")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"flagged=1"))
    assert {k: v[0] for k, v in _query(page).items()} == {"bank": BANK, "version": VERSION, "flagged": "1"}

    flagged = _api_flagged(committee)
    expected = [str(q["key"]) for q in flagged]
    assert set(PLANTED) <= set(expected), (PLANTED, expected)
    assert PAGE_SIZE < len(expected) < POOL // 5  # more than a page flagged, most questions not
    expect(page.get_by_role("heading", name=f"{BANK} {VERSION}：{ATTEMPTS} 份答卷，待复核 {len(expected)} 题",
                            exact=False)).to_be_visible()
    expect(page.get_by_label("只看待复核试题")).to_be_checked()
    accessible(page, "item analysis, flagged only")
    # At 1366 px the table fits: no sideways scrolling to reach the flags.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot(page, "staff-item-analysis-flagged")

    # Every page of the flagged list: the filter stays in the URL, and the rows are exactly the flagged ones.
    listed = _listed_keys(page)
    seen: dict[str, str] = {}
    while True:
        for key in _listed_keys(page):
            cells = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=key, exact=True))
            seen[key] = cells.locator("td").last.inner_text()
            if key == question_key(MISKEYED):  # the committee's first question: its distractor shares
                cells.screenshot(path=str(SCREENSHOTS / "staff-item-analysis-row.png"))
        following = page.get_by_role("navigation", name="试题统计分页").get_by_role("link", name="下一页")
        if not following.count():
            break
        following.press("Enter")
        page.wait_for_load_state()
        assert _query(page)["flagged"] == ["1"] and _query(page)["bank"] == [BANK]
        expect(page.get_by_label("只看待复核试题")).to_be_checked()
        listed += _listed_keys(page)
    assert page.get_by_role("navigation", name="试题统计分页").get_by_role("link", name="上一页").count()
    assert listed == expected
    for key, flag in PLANTED.items():
        assert flag in seen[key], (key, seen[key])
    assert all(text.strip() not in ("", "—") for text in seen.values())

    # The export link carries the filters; its workbook lists the same keys.
    link = page.get_by_role("link", name=re.compile("导出待复核试题"))
    href = link.get_attribute("href")
    assert href is not None
    assert parse_qs(urlsplit(href).query) == {"bank": [BANK], "version": [VERSION]}
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    sheet = book.worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    keys = [row[header.index("试题编号")] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert keys == expected
    context.close()
