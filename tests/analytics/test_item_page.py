"""The item-analysis page (/staff/analysis/items) without a browser: a bank admin's view of a real published
sitting, filters kept in the URL and the links, flags shown as text, refusals for other roles."""

from __future__ import annotations

import re

import pytest

from examsvc.analytics import items
from examsvc.banks.models import BankVersion
from examsvc.identity.roles import Role
from tests.analytics.published import finish, publish
from tests.attempts.exam import Exam
from tests.builders import Actors
from tests.page_routes import error_code, page_request


def test_a_bank_admin_reads_the_statistics_and_flags_with_filters_in_the_url(
        exam: Exam, actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    finish(exam)
    publish(exam)
    version = exam.day.db_session.get(BankVersion, exam.day.rule.national_bank_version_id)
    assert version is not None
    bank, label = version.bank_code, version.version_label
    admin = actors.user_with(Role.BANK_ADMIN)
    empty = page_request(exam.client, "GET", "/staff/analysis/items", admin)
    assert empty.status_code == 200 and "请选择题库代码和版本号" in empty.text
    assert f'<option value="{bank}">' in empty.text
    monkeypatch.setattr(items, "MIN_RESPONSES", 1)
    query = f"bank={bank}&version={label}&part=national"
    page = page_request(exam.client, "GET", f"/staff/analysis/items?{query}", admin)
    assert page.status_code == 200, page.text
    api = exam.client.get("/analytics/items", params={"bank": bank, "version": label, "part": "national"},
                          headers=admin).json()
    keys = re.findall(r'<th scope="row">([^<]+)</th>', page.text)
    assert keys == [q["key"] for q in api["questions"]][:50]
    assert f"{api['attempts']} 份答卷" in page.text
    assert f'href="/analytics/items/flagged.xlsx?{query}"' in page.text.replace("&amp;", "&")
    assert f'<option value="{bank}" selected>' in page.text and 'value="national" selected' in page.text
    flagged = [q for q in api["questions"] if q["flags"]]
    only = page_request(exam.client, "GET", f"/staff/analysis/items?{query}&flagged=1", admin)
    assert re.findall(r'<th scope="row">([^<]+)</th>', only.text) == [q["key"] for q in flagged][:50]
    assert "区分效率低于15%" in only.text or "难度系数超出" in only.text or "干扰项" in only.text
    assert 'id="f-flagged" name="flagged" type="checkbox" value="1" checked' in only.text
    bad = page_request(exam.client, "GET", f"/staff/analysis/items?bank={bank}&version=nope", admin)
    assert (bad.status_code, error_code(bad)) == (404, "bank_version_not_found") and 'role="alert"' in bad.text
    for role in (Role.EXAM_ADMIN, Role.PROCTOR):
        refused = page_request(exam.client, "GET", f"/staff/analysis/items?{query}", actors.user_with(role))
        assert (refused.status_code, error_code(refused)) == (403, "forbidden")
    home = page_request(exam.client, "GET", "/staff", admin)
    assert 'href="/staff/analysis/items"' in home.text
