"""Registering candidates from the lists training institutions send; 考教分离 both ways."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.candidates.id_number import check_character
from examsvc.candidates.models import Candidate, Registration
from examsvc.identity.roles import AffiliationKind, Role
from examsvc.identity.service import add_affiliation
from tests.builders import TEST_ACTOR, make_user
from tests.sittings.conftest import Day, days_ahead

HEADER = "姓名,身份证号,培训机构,工作单位\n"


def ident(birth: str, seq: int) -> str:
    first17 = f"140105{birth}{seq:03d}"
    return first17 + check_character(first17)


def csv_of(*rows: tuple[str, str, str]) -> bytes:
    return (HEADER + "".join(f"{n},{i},{t},某公司\n" for n, i, t in rows)).encode("utf-8")


def _register(day: Day, code: str, data: bytes, filename: str = "名单.csv") -> Any:
    return day.client.post(f"/sittings/{code}/candidates", params={"filename": filename}, content=data,
                           headers=day.admin)


def _count(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(Registration)) or 0


def test_a_list_registers_candidates_with_admission_numbers(day: Day) -> None:
    day.sitting("S-1")
    response = _register(day, "S-1", csv_of(("张三", ident("19900101", 11), "太原某培训学校"),
                                            ("李四", ident("19851231", 22), "晋中某培训中心")))
    assert response.status_code == 201, response.text
    numbers = [r["admission_number"] for r in response.json()]
    assert len(set(numbers)) == 2 and all(n.isdigit() and len(n) == 14 for n in numbers)
    listed = day.client.get("/sittings/S-1/candidates", headers=day.admin).json()
    assert [r["name"] for r in listed] == ["张三", "李四"]
    assert all(len(r["id_number_tail"]) == 4 for r in listed)


def test_bad_rows_are_all_reported_and_nothing_is_written(day: Day) -> None:
    day.sitting("S-1")
    data = csv_of(("王五", "110105194912310021", "甲"), ("", ident("19900101", 33), "乙"),
                  ("赵六", ident("19900101", 44), "丙"), ("赵六", ident("19900101", 44), "丙"),
                  ("孙七", ident("20150101", 55), "丁"))
    response = _register(day, "S-1", data)
    assert (response.status_code, response.json()["error"]) == (422, "registration_rejected")
    problems = {(p["line"], p["field"]) for p in response.json()["detail"]["problems"]}
    assert problems == {(2, "身份证号"), (3, "姓名"), (5, "身份证号"), (6, "身份证号")}
    assert _count(day.db_session) == 0


def test_unknown_and_missing_columns_are_refused(day: Day) -> None:
    day.sitting("S-1")
    response = _register(day, "S-1", "姓名,备注\n张三,x\n".encode())
    problems = {(p["line"], p["field"]) for p in response.json()["detail"]["problems"]}
    assert problems == {(1, "备注"), (1, "身份证号")}


def test_an_xlsx_list_works_too(day: Day) -> None:
    day.sitting("S-1")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "培训机构"])
    sheet.append(["周八", ident("19920202", 66), "太原某培训学校"])
    out = io.BytesIO()
    book.save(out)
    response = _register(day, "S-1", out.getvalue(), "名单.xlsx")
    assert response.status_code == 201 and response.json()[0]["name"] == "周八"


def test_no_double_booking_in_overlapping_sittings(day: Day) -> None:
    day.sitting("S-AM", start=days_ahead(30, "01:00:00"))
    day.sitting("S-OVERLAP", start=days_ahead(30, "02:00:00"), rooms=("03", "04"))
    person = ("吴九", ident("19880808", 77), "某校")
    assert _register(day, "S-AM", csv_of(person)).status_code == 201
    again = _register(day, "S-AM", csv_of(person))
    assert "已登记在本场次" in again.json()["detail"]["problems"][0]["message"]
    overlap = _register(day, "S-OVERLAP", csv_of(person))
    assert "S-AM" in overlap.json()["detail"]["problems"][0]["message"]
    renamed = _register(day, "S-OVERLAP", csv_of(("吴十", person[1], "某校")))
    assert any(p["field"] == "姓名" for p in renamed.json()["detail"]["problems"])


@pytest.mark.parametrize("order", ["staff first", "candidates first"])
def test_staff_never_examine_their_own_trainees(day: Day, order: str) -> None:
    day.sitting("S-1")
    proctor = make_user(day.db_session, Role.PROCTOR)
    add_affiliation(db_session=day.db_session, user_id=proctor.id, kind=AffiliationKind.TRAINING_INSTITUTION,
                    organisation="太原某培训学校", actor=TEST_ACTOR)
    day.db_session.commit()
    trainee = csv_of(("郑一", ident("19900303", 88), "太原某培训学校"))
    if order == "staff first":
        assert day.assign("S-1", proctor.id, "proctor", "01").status_code == 201
        refused = _register(day, "S-1", trainee)
        assert refused.status_code == 422
        assert "考教分离" in refused.json()["detail"]["problems"][0]["message"]
        assert day.db_session.scalar(select(func.count()).select_from(Candidate)) == 0
    else:
        assert _register(day, "S-1", trainee).status_code == 201
        refused = day.assign("S-1", proctor.id, "proctor", "01")
        assert refused.json()["detail"]["conflict"] == "trains_candidates"
        assert refused.json()["detail"]["training_institutions"] == ["太原某培训学校"]


def test_the_registration_records_what_the_candidate_sits(day: Day) -> None:
    day.sitting("S-1")
    listed = "姓名,身份证号,人员类别\n钱三,{},特种作业人员\n李五,{},主要负责人\n".format(
        ident("19900505", 91), ident("19900505", 92)).encode()
    refused = _register(day, "S-1", listed)
    assert [(p["line"], p["field"]) for p in refused.json()["detail"]["problems"]] == [(3, "人员类别")]
    ok = "姓名,身份证号,人员类别\n钱三,{},特种作业人员\n".format(ident("19900505", 91)).encode()
    assert _register(day, "S-1", ok).status_code == 201
    registration = day.db_session.scalars(select(Registration)).one()
    assert (registration.personnel_category, registration.subject) == ("special_operations", "1.2")
