"""Practical banks: the samples, both file formats to one digest, every problem named, all or nothing,
published versions immutable, content for bank administrators only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from examsvc.identity.roles import Role
from examsvc.practical import service
from examsvc.practical.document import Subject
from examsvc.practical.files import parse_practical_file, write_xlsx
from examsvc.practical.models import PracticalBankVersion
from examsvc.practical.validate import PracticalImportRejected
from tests.builders import TEST_ACTOR, Actors
from tests.papers.builders import ROOT

SAMPLES = sorted((ROOT / "question_banks" / "practical").glob("*.yaml"))
LV = ROOT / "question_banks" / "practical" / "low_voltage_electrician.yaml"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_the_samples_are_valid_and_cover_every_subject(path) -> None:  # type: ignore[no-untyped-def]
    document = parse_practical_file(path.read_bytes(), path.name)
    assert all(n >= 3 for n in document.counts().values()), document.counts()
    for item in document.items:
        assert sum(c.points for c in item.criteria) == item.full_marks
        assert all(c.veto_rule for c in item.criteria if c.veto)
    assert any(c.veto for i in document.items if i.subject == Subject.K2 for c in i.criteria)


def test_yaml_and_the_workbook_give_the_same_digest() -> None:
    document = parse_practical_file(LV.read_bytes(), LV.name)
    again = parse_practical_file(write_xlsx(document), "实操题库.xlsx")
    assert again == document and again.digest() == document.digest()


def _broken_yaml() -> bytes:
    text_ = LV.read_text(encoding="utf-8")
    text_ = text_.replace("key: LV-K1-02", "key: LV-K1-01", 1)  # a duplicate key
    text_ = text_.replace("        points: 4\n", "        points: 5\n", 1)  # criteria no longer sum to full marks
    text_ = text_.replace("veto_rule: 用电阻档", "veto_reason: 用电阻档", 1)  # unknown field, veto without a rule
    return text_.encode()


def test_every_problem_is_named_by_line_and_field() -> None:
    with pytest.raises(PracticalImportRejected) as caught:
        parse_practical_file(_broken_yaml(), "实操.yaml")
    problems = caught.value.problems
    fields = {p.field for p in problems}
    assert {"key", "full_marks", "veto_reason", "veto_rule"} <= fields, problems
    assert all(p.file == "实操.yaml" and p.line for p in problems)
    duplicate = next(p for p in problems if p.field == "key")
    assert "重复" in duplicate.message and duplicate.key == "LV-K1-01"


def test_the_workbook_names_sheet_row_and_column() -> None:
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(write_xlsx(parse_practical_file(LV.read_bytes(), LV.name))))
    workbook["评分标准"]["D2"] = 99  # 配分 of the first criterion
    workbook["考核项目"]["B3"] = "K9"
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(PracticalImportRejected) as caught:
        parse_practical_file(out.getvalue(), "实操.xlsx")
    where = {(p.sheet, p.line, p.field) for p in caught.value.problems}
    assert ("考核项目", 2, "满分") in where and ("考核项目", 3, "科目") in where, where


def test_a_missing_subject_is_refused() -> None:
    document = parse_practical_file(LV.read_bytes(), LV.name)
    workbook_bytes = write_xlsx(document)
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(workbook_bytes))
    sheet = workbook["考核项目"]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 2).value == "K4":
            sheet.cell(row, 2).value = "K3"
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(PracticalImportRejected) as caught:
        parse_practical_file(out.getvalue(), "实操.xlsx")
    assert any("K4" in p.message for p in caught.value.problems)


def test_one_bad_file_imports_nothing(db_session: Session) -> None:
    with pytest.raises(PracticalImportRejected):
        service.import_files(db_session=db_session, actor=TEST_ACTOR,
                             files=[(LV.name, LV.read_bytes()), ("坏.yaml", _broken_yaml())])
    assert db_session.scalars(select(PracticalBankVersion)).first() is None


def test_import_publish_and_immutability(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    made = actors.client.post("/practical-banks/import", params={"filename": LV.name}, content=LV.read_bytes(),
                              headers=admin)
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    assert (version["item_count"], version["status"]) == (19, "draft")
    again = actors.client.post("/practical-banks/import", params={"filename": LV.name}, content=LV.read_bytes(),
                               headers=admin)
    assert (again.status_code, again.json()["created"]) == (200, False)
    published = actors.client.post(f"/practical-banks/{version['id']}/publish", headers=admin)
    assert published.json()["status"] == "published"
    assert service.document_of(db_session=db_session, version_id=version["id"]).digest() == version["content_digest"]
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(text("UPDATE practical_item SET full_marks = 99"))
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(text("UPDATE practical_bank_version SET title = 'x'"))
    listed = actors.client.get("/practical-banks", headers=actors.user_with(Role.EXAM_ADMIN)).json()
    assert listed[0]["by_subject"] == {"K1": 5, "K2": 5, "K3": 5, "K4": 4}
    refused = actors.client.get(f"/practical-banks/{version['id']}/items", headers=actors.user_with(Role.EXAM_ADMIN))
    assert refused.status_code == 403
    items = actors.client.get(f"/practical-banks/{version['id']}/items", headers=admin).json()
    assert len(items) == 19 and items[0]["criteria"][0]["points"] > 0
    exported = actors.client.get(f"/practical-banks/{version['id']}/export.xlsx", headers=admin)
    assert parse_practical_file(exported.content, "x.xlsx").digest() == version["content_digest"]
    assert actors.client.post(f"/practical-banks/{version['id']}/retire", headers=admin).json()["status"] == "retired"
    twice = actors.client.post(f"/practical-banks/{version['id']}/retire", headers=admin)
    assert twice.json()["error"] == "practical_wrong_status"
