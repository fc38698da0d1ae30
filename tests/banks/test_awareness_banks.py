"""应知应会 (must-know) banks in examsvc-bank/2 (issue 22): the purpose and the kinds of person a bank serves,
refused clearly when incomplete, stored and exported to the same digest; /1 files keep their digests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from examsvc.banks import service
from examsvc.banks.document import FORMAT, FORMAT_2, Purpose
from examsvc.banks.problems import BankImportRejected, Problem
from examsvc.banks.xlsx_format import parse_xlsx, write_xlsx
from examsvc.banks.yaml_format import write_yaml
from examsvc.identity.roles import Role
from tests.banks.builders import bank, document, edit_xlsx, to_xlsx, to_yaml
from tests.banks.conftest import refused_upload, upload
from tests.builders import TEST_ACTOR, Actors

ROOT = Path(__file__).resolve().parents[2]


def awareness(*, kinds: list[str] | None = None, part: str = "national", **meta: Any) -> dict[str, Any]:
    data = bank(part=part, code="T-AWARE")
    data["format"] = FORMAT_2
    del data["bank"]["personnel_category"]
    data["bank"].update(purpose="awareness", person_kinds=kinds or ["team_leader", "principal"],
                        industry="coal_mine", **meta)
    return data


def _problems(data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(BankImportRejected) as refused:
        document(data)
    return refused.value.problems


def _one(problems: list[Problem], field: str) -> Problem:
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, problems
    return found[0]


def test_an_awareness_bank_is_canonically_format_2_with_its_kinds_in_catalogue_order() -> None:
    doc = document(awareness())
    canonical = doc.canonical()
    assert canonical["format"] == FORMAT_2
    assert canonical["bank"]["purpose"] == "awareness"
    assert canonical["bank"]["person_kinds"] == ["principal", "team_leader"]  # PersonKind order, not as written
    assert "personnel_category" not in canonical["bank"]
    assert document(awareness(kinds=["principal", "team_leader"])).digest() == doc.digest()


def test_labels_are_accepted_for_purpose_and_person_kinds() -> None:
    data = awareness(kinds=["班组长", "主要负责人"])
    data["bank"]["purpose"] = "应知应会"
    assert document(data).digest() == document(awareness()).digest()


def test_a_format_1_file_keeps_its_digest_and_a_qualification_bank_stays_format_1() -> None:
    # Known answers computed before examsvc-bank/2 existed (commit a94acb6): stored digests stay valid.
    for path, digest in (
        ("low_voltage_electrician/national.yaml", "404b0cb64925ad31e098d024e2a0b11393cadc5f28549207eea532be6ffbd7f4"),
        ("hazchem_principal/provincial.yaml", "444ae06405d0903208c974231cd9fc90cd5111c3f8c9636ca91344c9441e4c66"),
    ):
        file = ROOT / "question_banks" / path
        assert service.parse_bank_file(file.read_bytes(), file.name).digest() == digest
    plain = document(bank())
    assert plain.canonical()["format"] == FORMAT and "purpose" not in plain.canonical()["bank"]
    # The same qualification bank written as /2 with its purpose spelled out is the same content.
    explicit = bank()
    explicit["format"] = FORMAT_2
    explicit["bank"]["purpose"] = "qualification"
    assert document(explicit).digest() == plain.digest()
    assert write_yaml(plain).startswith(b"format: examsvc-bank/1\n")


@pytest.mark.parametrize("field", ["purpose", "person_kinds"])
def test_the_new_fields_in_a_format_1_file_say_they_need_format_2(field: str) -> None:
    data = awareness()
    data["format"] = FORMAT
    problem = _one(_problems(data), field)
    assert "examsvc-bank/2" in problem.message and problem.line is not None


def test_an_awareness_bank_without_industry_is_refused_naming_file_and_field(actors: Actors,
                                                                             db_session: Session) -> None:
    data = awareness()
    del data["bank"]["industry"]
    problems = refused_upload(actors, db_session, to_yaml(data), "aware.yaml")
    [problem] = problems
    assert (problem["file"], problem["field"]) == ("aware.yaml", "industry")
    assert "应知应会题库必须注明所属行业" in problem["message"] and "煤矿" in problem["message"]
    assert problem["line"] is not None


def test_a_qualification_bank_without_industry_is_told_the_industry_is_missing() -> None:
    data = bank()
    del data["bank"]["industry"]
    assert _one(_problems(data), "industry").message.startswith("缺少行业")


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"person_kinds": None}, "person_kinds", "必须填写适用人员类型"),
    ({"person_kinds": []}, "person_kinds", "必须填写适用人员类型"),
    ({"person_kinds": ["team_leader", "班组长"]}, "person_kinds", "重复"),
    ({"person_kinds": ["inspector"]}, "person_kinds", "不在目录中"),
    ({"personnel_category": "principal"}, "personnel_category", "应知应会题库不填人员类别"),
    ({"purpose": "training"}, "purpose", "awareness（应知应会）"),
    ({"purpose": ["awareness"]}, "purpose", "awareness（应知应会）"),
])
def test_an_incomplete_awareness_bank_is_refused_in_chinese(change: dict[str, Any], field: str, words: str) -> None:
    data = awareness()
    for name, value in change.items():
        if value is None:
            data["bank"].pop(name)
        else:
            data["bank"][name] = value
    assert words in _one(_problems(data), field).message


def test_a_qualification_bank_may_not_name_person_kinds() -> None:
    data = bank()
    data["format"] = FORMAT_2
    data["bank"]["person_kinds"] = ["principal"]
    assert "只有应知应会题库" in _one(_problems(data), "person_kinds").message


def test_an_awareness_workbook_exports_and_imports_back_to_the_same_digest() -> None:
    doc = document(awareness())
    again = parse_xlsx(write_xlsx(doc), "aware.xlsx")
    assert again.digest() == doc.digest() and again.meta.purpose == Purpose.AWARENESS
    # A qualification workbook has no 用途 / 适用人员 rows: exported workbooks of /1 banks are unchanged.
    plain = parse_xlsx(to_xlsx(bank()), "plain.xlsx")
    assert plain.digest() == document(bank()).digest()


def test_a_workbook_names_the_row_of_a_missing_person_kind() -> None:
    data = write_xlsx(document(awareness()))
    emptied = edit_xlsx(data, "题库信息", {"B7": None})  # 题库编号 名称 省份 部分 用途 适用人员: row 7
    with pytest.raises(BankImportRejected) as refused:
        parse_xlsx(emptied, "aware.xlsx")
    [problem] = refused.value.problems
    assert (problem.sheet, problem.field, problem.line) == ("题库信息", "适用人员", 7)


def test_an_imported_awareness_bank_is_read_and_exported_with_its_purpose(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    imported = upload(actors, to_yaml(awareness()), "aware.yaml")
    assert imported.status_code == 201, imported.text
    version = imported.json()["version"]
    assert (version["purpose"], version["person_kinds"], version["personnel_category"]) == (
        "awareness", ["principal", "team_leader"], None)
    assert version["industry"] == "coal_mine"
    exported = actors.client.get(f"/bank-versions/{version['id']}/export", params={"format": "yaml"}, headers=admin)
    assert exported.status_code == 200, exported.text
    assert exported.content.startswith(b"format: examsvc-bank/2\n")
    assert document_digest(exported.content) == version["content_digest"]


def document_digest(data: bytes) -> str:
    return service.parse_bank_file(data, "export.yaml").digest()


def test_the_parts_of_an_awareness_bank_must_serve_the_same_kinds(db_session: Session) -> None:
    service.import_document(db_session=db_session, document=document(awareness()), actor=TEST_ACTOR)
    provincial = awareness(part="provincial", kinds=["principal"])
    provincial["questions"] = [dict(q, key=q["key"] + "-P") for q in provincial["questions"]]
    with pytest.raises(BankImportRejected) as refused:
        service.import_document(db_session=db_session, document=document(provincial), actor=TEST_ACTOR)
    problem = _one(refused.value.problems, "person_kinds")
    assert "适用人员类型与" in problem.message and "主要负责人、班组长" in problem.message


@pytest.mark.parametrize("statement", [
    "UPDATE bank_version SET person_kinds = '[\"other\"]' WHERE id = :v",
    "UPDATE bank_version SET purpose = 'qualification' WHERE id = :v",
    "UPDATE bank_version SET personnel_category = 'principal' WHERE id = :v",
])
def test_the_database_refuses_changes_to_a_published_awareness_version(db_session: Session, statement: str) -> None:
    result = service.import_document(db_session=db_session, document=document(awareness()), actor=TEST_ACTOR)
    service.publish(db_session=db_session, version_id=result.version.id, actor=TEST_ACTOR)
    db_session.flush()
    with pytest.raises(DBAPIError, match="immutable"), db_session.begin_nested():
        db_session.execute(text(statement), {"v": result.version.id})


def test_a_draft_awareness_version_round_trips_through_the_database(db_session: Session) -> None:
    doc = document(awareness())
    result = service.import_document(db_session=db_session, document=doc, actor=TEST_ACTOR)
    again = service.document_of(db_session=db_session, version_id=result.version.id)
    assert again.digest() == doc.digest() == result.version.content_digest
    assert again.meta.person_kinds == doc.meta.person_kinds and again.meta.personnel_category is None


def test_the_json_schema_describes_format_2() -> None:
    schema = json.loads((ROOT / "docs" / "bank-format.schema.json").read_text(encoding="utf-8"))
    valid = awareness()
    jsonschema.validate(valid, schema)
    jsonschema.validate(bank(), schema)
    no_kinds = awareness()
    del no_kinds["bank"]["person_kinds"]
    with_category = awareness(personnel_category="principal")
    in_format_1 = awareness()
    in_format_1["format"] = FORMAT
    kinds_in_qualification = bank()
    kinds_in_qualification["bank"]["person_kinds"] = ["principal"]
    for refused in (no_kinds, with_category, in_format_1, kinds_in_qualification):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(refused, schema)


def test_a_folder_with_one_awareness_file_without_industry_imports_nothing(shell: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from examsvc.cli import main

    folder = shell / "aware"
    folder.mkdir()
    (folder / "national.yaml").write_bytes(to_yaml(awareness()))
    provincial = awareness(part="provincial")
    provincial["questions"] = [dict(q, key=q["key"] + "-P") for q in provincial["questions"]]
    del provincial["bank"]["industry"]
    (folder / "provincial.yaml").write_bytes(to_yaml(provincial))
    capsys.readouterr()
    assert main(["banks", "import", str(folder), "--publish"]) == 1
    err = capsys.readouterr().err
    assert str(folder / "provincial.yaml") in err and "industry" in err and "应知应会题库必须注明所属行业" in err
    assert main(["banks", "list"]) == 0
    assert "T-AWARE" not in capsys.readouterr().out  # the valid national file was not stored either
