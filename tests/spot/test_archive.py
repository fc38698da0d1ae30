"""The spot-exam archive: lists with filters, summaries whose numbers are counted here by hand, the .xlsx
read back, officers limited to their own inspections, other roles refused, ID numbers masked."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from examsvc.identity.roles import Role
from examsvc.spot import archive_sheet
from tests.builders import DEFAULT_PASSWORD, Actors, auth_header, login, make_user
from tests.spot.builders import SpotWorld, credit_code, people
from tests.spot.taking import close, drawn_people, examined, take
from tests.web.test_staff_session import log_in

DATONG = credit_code("91140200MA0K5C8R2")


class Archive:
    """Two closed inspections: A (太原市, today) by the world's lead officer, one pass, one fail, one absent;
    B (大同市, yesterday) by another officer, two passes and one fail."""

    def __init__(self, w: SpotWorld) -> None:
        self.w = w
        self.a = examined(w)
        other = make_user(w.db_session, Role.ENFORCEMENT_OFFICER)
        w.db_session.commit()
        self.other = auth_header(login(w.client, other.username))
        b = w.inspection(headers=self.other, city="大同市", enterprise_name="大同某矿业集团有限公司",
                         credit_code=DATONG, inspected_on=(date.today() - timedelta(days=1)).isoformat())
        assert w.client.post(f"/spot/inspections/{b['id']}/second-officer", headers=self.other, json={
            "username": w.second_user.username, "password": DEFAULT_PASSWORD}).status_code == 200
        assert w.client.put(f"/spot/inspections/{b['id']}/roster", headers=self.other,
                            json={"people": people(8)}).status_code == 200
        drawn = w.client.post(f"/spot/inspections/{b['id']}/draw", headers=self.other)
        assert drawn.status_code == 200, drawn.text
        for person, right in zip(drawn_people(drawn.json()), (15, 15, 5), strict=True):
            take(w, b["id"], person["id"], right=right, headers=self.other)
        self.b = close(w, b["id"], headers=self.other)
        self.province = w.auditor

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = self.w.client.get(path, headers=headers or self.province, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def arc(actors: Actors, db_session: Session) -> Archive:
    return Archive(SpotWorld(actors, db_session))


def test_the_lists_filter_and_officers_see_their_own(arc: Archive) -> None:
    everything = arc.get("/spot/exams")
    assert everything["total"] == 6
    rows = everything["exams"]
    assert Counter(r["outcome"] for r in rows) == {"passed": 3, "failed": 2, "absent": 1}
    assert {r["inspection_code"] for r in rows} == {arc.a["code"], arc.b["code"]}
    assert [r["outcome"] for r in rows if r["inspection_code"] == arc.a["code"]] == ["passed", "failed", "absent"]

    page = arc.get("/spot/exams", limit=2, offset=2)
    assert page["total"] == 6 and [r["person_id"] for r in page["exams"]] == [r["person_id"] for r in rows[2:4]]
    assert arc.get("/spot/exams", result="passed", limit=1)["total"] == 3
    assert arc.get("/spot/inspections", limit=1)["total"] == 2

    def codes(**params: Any) -> Counter[str]:
        return Counter(r["inspection_code"] for r in arc.get("/spot/exams", **params)["exams"])

    assert codes(city="大同市") == {arc.b["code"]: 3}
    assert codes(enterprise="煤业") == {arc.a["code"]: 3}
    assert codes(enterprise=DATONG.lower()) == {arc.b["code"]: 3}
    assert codes(result="failed") == {arc.a["code"]: 1, arc.b["code"]: 1}
    assert codes(result="absent") == {arc.a["code"]: 1}
    assert codes(retraining="required") == {arc.a["code"]: 1, arc.b["code"]: 1}
    assert codes(date_from=date.today().isoformat()) == {arc.a["code"]: 3}
    assert codes(date_to=(date.today() - timedelta(days=1)).isoformat()) == {arc.b["code"]: 3}
    assert codes(industry="metallurgy") == {}
    post = rows[0]["post"]
    assert sum(codes(post=post).values()) == sum(1 for r in rows if post in r["post"])
    assert sum(codes(kind="workshop_director").values()) == sum(1 for r in rows if r["kind"] == "workshop_director")

    lead = arc.get("/spot/exams", headers=arc.w.lead)
    assert {r["inspection_code"] for r in lead["exams"]} == {arc.a["code"]}
    other = arc.get("/spot/inspections", headers=arc.other)
    assert [i["code"] for i in other["inspections"]] == [arc.b["code"]]
    assert other["inspections"][0]["examined"] == 3 and other["inspections"][0]["passed"] == 2
    province = arc.get("/spot/inspections", headers=arc.w.admin)
    assert [i["code"] for i in province["inspections"]] == [arc.a["code"], arc.b["code"]]  # newest first
    # An officer of another inspection is refused its detail and not listed its people.
    refused = arc.w.client.get(f"/spot/inspections/{arc.a['id']}", headers=arc.other)
    assert refused.status_code == 403
    assert arc.get("/spot/exams", headers=arc.other, city="太原市")["total"] == 0


def test_id_numbers_are_masked_everywhere(arc: Archive) -> None:
    listed = arc.w.client.get("/spot/exams", headers=arc.province)
    sheet = arc.w.client.get("/spot/exams.xlsx", headers=arc.province)
    for person in people(12):
        assert person["id_number"] not in listed.text
        assert person["id_number"].encode() not in sheet.content
    masked = listed.json()["exams"][0]["id_number_masked"]
    assert masked.startswith("1401") and "**********" in masked


def test_the_summary_counts_as_counted_by_hand(arc: Archive) -> None:
    by_city = arc.get("/spot/summary", by="city")
    rows = {r["key"]: r for r in by_city["rows"]}
    assert {k: (r["inspections"], r["examined"], r["passed"], r["failed"], r["absent"], r["retraining_due"])
            for k, r in rows.items()} == {"太原市": (1, 2, 1, 1, 1, 1), "大同市": (1, 3, 2, 1, 0, 1)}
    assert rows["太原市"]["pass_rate"] == 0.5 and rows["大同市"]["pass_rate"] == pytest.approx(2 / 3)
    assert by_city["total"]["examined"] == 5 and by_city["total"]["pass_rate"] == pytest.approx(3 / 5)
    assert by_city["total"]["inspections"] == 2
    assert [r["key"] for r in by_city["rows"]] == ["大同市", "太原市"]  # most examined first

    everything = arc.get("/spot/exams")["exams"]
    by_post = {r["key"]: r for r in arc.get("/spot/summary", by="post")["rows"]}
    for post in {r["post"] for r in everything}:
        mine = [r for r in everything if r["post"] == post]
        assert by_post[post]["examined"] == sum(1 for r in mine if r["outcome"] in ("passed", "failed"))
        assert by_post[post]["passed"] == sum(1 for r in mine if r["outcome"] == "passed")
        assert by_post[post]["inspections"] == len({r["inspection_code"] for r in mine})
    by_enterprise = {r["key"]: r for r in arc.get("/spot/summary", by="enterprise")["rows"]}
    assert by_enterprise[DATONG]["label"] == f"大同某矿业集团有限公司（{DATONG}）"
    assert arc.get("/spot/summary", by="industry")["rows"][0]["label"] == "煤矿"

    # The employer's re-training is recorded: no longer due.
    failed = next(r for r in everything if r["inspection_code"] == arc.a["code"] and r["outcome"] == "failed")
    recorded = arc.w.client.post(f"/spot/exams/{failed['exam_id']}/retraining", headers=arc.w.lead,
                                 json={"note": "2027年3月企业组织重新培训8学时"})
    assert recorded.status_code == 200, recorded.text
    again = {r["key"]: r for r in arc.get("/spot/summary", by="city", retraining="required")["rows"]}
    assert set(again) == {"大同市"}
    assert arc.get("/spot/exams", retraining="done")["exams"][0]["retraining_label"] == "已重新培训"


def test_the_workbooks_read_back(arc: Archive) -> None:
    exported = arc.w.client.get("/spot/exams.xlsx", headers=arc.province, params={"result": "failed"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-disposition"].startswith('attachment; filename="spot-exams-')
    sheet = load_workbook(io.BytesIO(exported.content))[archive_sheet.EXAMS_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert "逢查必考抽考记录" in rows[0][0] and "共 2 人" in rows[0][0] and "结果 不合格" in rows[0][0]
    assert rows[1] == tuple(name for name, _ in archive_sheet.EXAM_COLUMNS)
    assert sheet.freeze_panes == "A3"
    assert len(rows) == 4
    listed = {(r["inspection_code"], r["name"]): r for r in arc.get("/spot/exams", result="failed")["exams"]}
    assert {(row[0], row[6]) for row in rows[2:]} == set(listed)
    for row in rows[2:]:
        expected = listed[(row[0], row[6])]
        assert row[0] == expected["inspection_code"] and row[7] == expected["id_number_masked"]
        assert row[12] == expected["score"] / 10 and row[15] == "不合格" and row[16] == "待重新培训"

    summary = arc.w.client.get("/spot/summary.xlsx", headers=arc.w.admin, params={"by": "city"})
    assert summary.status_code == 200, summary.text
    sheet = load_workbook(io.BytesIO(summary.content))[archive_sheet.SUMMARY_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("市", "检查次数", "参考人数", "合格人数", "不合格人数", "缺考人数", "待重新培训", "合格率")
    assert rows[2][:7] == ("大同市", 1, 3, 2, 1, 0, 1) and rows[2][7] == pytest.approx(2 / 3)
    assert rows[3][:7] == ("太原市", 1, 2, 1, 1, 1, 1) and rows[3][7] == 0.5
    assert rows[4][:7] == ("合计", 2, 5, 3, 2, 1, 2) and rows[4][7] == pytest.approx(0.6)
    assert sheet.cell(row=5, column=8).number_format == "0.0%"


def test_other_roles_and_bad_filters_are_refused(actors: Actors, db_session: Session) -> None:
    w = SpotWorld(actors, db_session)
    proctor = actors.user_with(Role.PROCTOR)
    for path in ("/spot/inspections", "/spot/exams", "/spot/summary", "/spot/exams.xlsx", "/spot/summary.xlsx"):
        assert w.client.get(path, headers=proctor).status_code == 403, path
        assert w.client.get(path).status_code == 401, path
    bad = w.client.get("/spot/exams", headers=w.auditor, params={"date_from": "2027-02-01", "date_to": "2027-01-01"})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "date_from"
    assert w.client.get("/spot/summary", headers=w.auditor, params={"by": "sitting"}).status_code == 422


def test_the_archive_page_for_the_province(arc: Archive) -> None:
    client, db = arc.w.client, arc.w.db_session
    officer = make_user(db, Role.ENFORCEMENT_OFFICER)
    inspector = make_user(db, Role.INSPECTOR)
    db.commit()
    assert log_in(client, officer.username).status_code == 303  # type: ignore[attr-defined]
    assert client.get("/staff/spot/archive").status_code == 403
    client.cookies.clear()
    assert log_in(client, inspector.username).status_code == 303  # type: ignore[attr-defined]
    assert "/staff/spot/archive" in client.get("/staff").text
    page = client.get("/staff/spot/archive", params={"by": "city", "result": "failed"})
    assert page.status_code == 200, page.text
    assert "按市统计（2 组）" in page.text and "受检人员（共 2 人）" in page.text
    assert 'href="/spot/exams.xlsx?result=failed&amp;by=city"' in page.text
    assert 'href="/spot/summary.xlsx?result=failed&amp;by=city"' in page.text
    for person in people(12):
        assert person["id_number"] not in page.text
    everything = client.get("/staff/spot/archive")
    assert "60.0%" in everything.text  # 3 passed of 5 examined, over both cities
    bad = client.get("/staff/spot/archive", params={"date_from": "2027-02-01", "date_to": "2027-01-01"})
    assert bad.status_code == 422 and "起始日期不能晚于截止日期" in bad.text
    assert bad.headers["x-error"] == "bad_archive_filter"
    exported = client.get("/spot/exams.xlsx", params={"result": "failed", "by": "city"})
    assert exported.status_code == 200  # the page's link works with the page's own login
