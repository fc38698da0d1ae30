"""A certificate holder who fails a spot exam is flagged on the certificate register (API, page, .xlsx) with
the inspection's code and date until the employer's re-training is recorded; then it shows as done."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from examsvc.certificates import register_sheet
from examsvc.identity.roles import Role
from examsvc.spot.models import SpotExam
from tests.builders import Actors, make_user
from tests.certificates.world import World
from tests.sittings.conftest import Day, day  # noqa: F401  (the fixture, shared)
from tests.spot.builders import SpotWorld
from tests.spot.taking import close, take
from tests.web.test_staff_session import log_in

FLAG = "逢查必考不合格，待重新培训"


def test_a_failed_spot_exam_flags_the_certificate_until_retrained(day: Day) -> None:  # noqa: F811
    world = World(day)
    issued = world.issue(world.qualified[0])
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    other = world.issue(world.qualified[1])
    assert other.status_code == 201, other.text

    w = SpotWorld(Actors(client=day.client, db_session=day.db_session), day.db_session)
    inspection = w.drawn()
    added = w.client.post(f"/spot/inspections/{inspection['id']}/people", headers=w.lead, json={
        "name": "持证人员", "id_number": world.qualified[0], "post": "电工", "kind": "班组长",
        "reason": "现场发现其持证作业，一并抽考"})
    assert added.status_code == 201, added.text
    exam_id = take(w, inspection["id"], added.json()["id"], right=5)
    exam = day.db_session.get(SpotExam, exam_id)
    assert exam is not None and exam.certificate_id is not None and exam.retraining == "required"
    day.db_session.commit()
    code = close(w, inspection["id"])["code"]
    expected = f"{FLAG}（检查 {code}，{date.today().isoformat()}）"

    listed = {c["number"]: c for c in w.client.get("/certificates", headers=w.auditor).json()["certificates"]}
    assert [f["text"] for f in listed[number]["spot_exam_flags"]] == [expected]
    assert listed[number]["spot_exam_flags"][0]["retraining"] == "required"
    assert listed[other.json()["number"]]["spot_exam_flags"] == []
    one = w.client.get(f"/certificates/{number}", headers=w.auditor).json()
    assert one["spot_exam_flags"][0]["inspection_code"] == code

    sheet = load_workbook(io.BytesIO(w.client.get("/certificates/register.xlsx", headers=w.auditor).content))[
        register_sheet.SHEET]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows[number][-1] == expected and rows[other.json()["number"]][-1] in ("", None)

    inspector = make_user(day.db_session, Role.INSPECTOR)
    day.db_session.commit()
    assert log_in(w.client, inspector.username).status_code == 303  # type: ignore[attr-defined]
    page = w.client.get("/staff/certificates")
    assert page.status_code == 200 and expected in page.text
    w.client.cookies.clear()

    recorded = w.client.post(f"/spot/exams/{exam_id}/retraining", headers=w.lead,
                             json={"note": "企业已组织重新培训并考核合格"})
    assert recorded.status_code == 200, recorded.text
    listed = {c["number"]: c for c in w.client.get("/certificates", headers=w.auditor).json()["certificates"]}
    flag = listed[number]["spot_exam_flags"][0]
    assert flag["retraining"] == "done" and flag["text"].startswith("逢查必考不合格，已重新培训")
