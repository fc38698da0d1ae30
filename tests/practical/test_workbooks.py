"""Practical bank workbooks (issue 17): the practical rules enforced (3–6 criteria, full marks equal to the
subject's weight, the key naming the item's subject, no unknown column), formula-looking text exported as
text, every problem at once, DTDs, formulas, hidden rows and extra sheets refused. Refusals are checked in
the parser, through the upload route and on the CLI, each naming file, sheet, row and column, with nothing
imported."""

from __future__ import annotations

import dataclasses
import io
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.banks.problems import Problem
from examsvc.cli import main
from examsvc.identity.roles import Role
from examsvc.practical.document import Criterion, PracticalBankDocument, PracticalItem, Subject
from examsvc.practical.files import parse_practical_file, write_xlsx
from examsvc.practical.models import PracticalBankVersion
from examsvc.practical.validate import PracticalImportRejected
from tests.banks.builders import edit_xlsx
from tests.banks.workbooks import BOMB_DTD, XXE_DTD, edit, with_dtd
from tests.builders import Actors
from tests.papers.builders import ROOT

LV = ROOT / "question_banks" / "practical" / "low_voltage_electrician.yaml"
NAME = "实操.xlsx"
HOSTILE = "=HYPERLINK(\"http://example.invalid/x\",\"点击\")"


def _lv() -> PracticalBankDocument:
    return parse_practical_file(LV.read_bytes(), LV.name)


def _with_item(document: PracticalBankDocument, which: str, **changes: Any) -> PracticalBankDocument:
    items = tuple(dataclasses.replace(i, **changes) if i.key == which else i for i in document.items)
    return dataclasses.replace(document, items=items)


def _row_of(data: bytes, sheet: str, key: str) -> int:
    rows = load_workbook(io.BytesIO(data), read_only=True)[sheet].iter_rows(values_only=True)
    return next(n for n, row in enumerate(rows, start=1) if row[0] == key)


def _place(p: Problem) -> tuple[str | None, int | None, str | None]:
    return (p.sheet, p.line, p.field)


def _parsed(data: bytes) -> list[Problem]:
    with pytest.raises(PracticalImportRejected) as raised:
        parse_practical_file(data, NAME)
    assert all(p.file == NAME for p in raised.value.problems)
    return raised.value.problems


def _uploaded(actors: Actors, db_session: Session, data: bytes) -> set[tuple[Any, Any, Any]]:
    before = db_session.scalar(select(func.count()).select_from(PracticalBankVersion))
    response = actors.client.post("/practical-banks/import", params={"filename": NAME}, content=data,
                                  headers=actors.user_with(Role.BANK_ADMIN))
    assert (response.status_code, response.json()["error"]) == (422, "practical_bank_import_rejected"), response.text
    assert db_session.scalar(select(func.count()).select_from(PracticalBankVersion)) == before
    problems = response.json()["detail"]["problems"]
    assert all(p["file"] == NAME for p in problems)
    return {(p.get("sheet"), p.get("line"), p.get("field")) for p in problems}


def _on_cli(shell: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> str:
    (shell / NAME).write_bytes(data)
    capsys.readouterr()
    assert main(["practical", "import", str(shell / NAME)]) == 1
    err = capsys.readouterr().err
    assert main(["practical", "list"]) == 0 and capsys.readouterr().out == "", "a refusal imported"
    # Problems name the file by the path given (the test's folder, whose name is the test's): keep the words.
    assert str(shell / NAME) in err, err
    return err.replace(str(shell / NAME), NAME)


def _shown(sheet: str, line: int | None, field: str | None) -> str:
    return "，".join([NAME, f"工作表“{sheet}”"] + ([f"第{line}行"] if line else []) + ([f"“{field}”"] if field else []))


# ---- item 8: the practical rules -----------------------------------------------------------------------

def _criteria(points: list[int]) -> tuple[Criterion, ...]:
    return tuple(Criterion(code=n, name=f"评分项{n}", points=p, deductions=("未做到扣分",), veto=False, veto_rule=None)
                 for n, p in enumerate(points, start=1))


def _rule_breaks() -> tuple[bytes, dict[str, tuple[str, str]]]:
    """A workbook breaking each practical rule once, and where each break must be named (sheet, column)."""
    document = _lv()
    by_subject: dict[Subject, list[PracticalItem]] = {}
    for item in sorted(document.items, key=lambda i: i.key):
        by_subject.setdefault(item.subject, []).append(item)
    k1a, k1b, k1c = by_subject[Subject.K1][:3]
    k2 = by_subject[Subject.K2][0]
    document = _with_item(document, k1a.key, criteria=_criteria([10, 10]))  # 2 criteria
    document = _with_item(document, k1b.key, criteria=_criteria([3, 3, 3, 3, 3, 3, 2]))  # 7 criteria
    document = _with_item(document, k1c.key, full_marks=40, criteria=_criteria([10, 10, 10, 10]))  # K1 worth 40
    document = _with_item(document, k2.key, key="LV-K3-09")  # a K3 key on a K2 item
    data = edit_xlsx(write_xlsx(document), "考核项目", {"H1": "备注", "H3": "自用"})  # an unknown column
    return data, {"2 criteria": (k1a.key, "评分标准"), "7 criteria": (k1b.key, "评分标准"),
                  "K1 worth 40": (k1c.key, "满分"), "key": ("LV-K3-09", "编号")}


def _expected_rule_places(data: bytes, breaks: dict[str, tuple[str, str]]) -> set[tuple[Any, Any, Any]]:
    return {("考核项目", _row_of(data, "考核项目", key), column) for key, column in breaks.values()} | {
        ("考核项目", 1, "备注")}


def test_the_practical_rules_are_enforced_in_a_workbook() -> None:
    data, breaks = _rule_breaks()
    problems = _parsed(data)
    assert {_place(p) for p in problems} == _expected_rule_places(data, breaks), [str(p) for p in problems]
    messages = {p.field: p.message for p in problems if p.line != 1}
    assert "3–6 项" in messages["评分标准"] and "应为 20 分" in messages["满分"]
    assert "K3" in messages["编号"] and "K2" in messages["编号"]


def test_the_practical_rules_through_the_route_and_the_cli(actors: Actors, db_session: Session, shell: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    data, breaks = _rule_breaks()
    expected = _expected_rule_places(data, breaks)
    assert _uploaded(actors, db_session, data) == expected
    err = _on_cli(shell, capsys, data)
    for sheet, line, field in expected:
        assert _shown(sheet, line, field) in err, err


def _yaml_with(change: Any) -> bytes:
    data = yaml.safe_load(LV.read_text(encoding="utf-8"))
    change(data["items"])
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda items: items[0].update(criteria=items[0]["criteria"][:2]), "criteria", "3–6 项"),
    (lambda items: items[0].update(full_marks=40), "full_marks", "应为 20 分"),
    (lambda items: next(i for i in items if i["subject"] == "K2").update(key="FZ-K3-09"), "key", "应一致"),
], ids=["two-criteria", "k1-worth-40", "key-of-another-subject"])
def test_the_same_rules_hold_in_yaml(change: Any, field: str, words: str) -> None:
    with pytest.raises(PracticalImportRejected) as raised:
        parse_practical_file(_yaml_with(change), "实操.yaml")
    named = [p for p in raised.value.problems if p.field == field]
    assert named and words in named[0].message and named[0].line, [str(p) for p in raised.value.problems]


def test_every_sample_keeps_the_rules() -> None:
    for path in sorted(LV.parent.glob("*.yaml")):
        document = parse_practical_file(path.read_bytes(), path.name)
        assert all(3 <= len(i.criteria) <= 6 and i.key.split("-")[-2] == i.subject for i in document.items)


# ---- item 2: formula-looking text stays text ------------------------------------------------------------

def _hostile() -> PracticalBankDocument:
    first = sorted(_lv().items, key=lambda i: i.key)[0]
    criteria = (dataclasses.replace(first.criteria[0], name="-接地", deductions=("=1+1", "@SUM(A1)")),
                *first.criteria[1:])
    return _with_item(_lv(), first.key, task=HOSTILE, title="+标题", criteria=criteria)


def test_a_practical_export_writes_text_as_text_and_round_trips() -> None:
    data = write_xlsx(_hostile())
    cell = next(c for row in load_workbook(io.BytesIO(data))["考核项目"].iter_rows() for c in row if c.value == HOSTILE)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
    assert parse_practical_file(data, NAME).digest() == _hostile().digest()


def test_a_practical_export_round_trips_through_the_route_and_the_cli(actors: Actors, shell: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    made = actors.client.post("/practical-banks/import", params={"filename": NAME}, content=write_xlsx(_hostile()),
                              headers=admin)
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    exported = actors.client.get(f"/practical-banks/{version['id']}/export.xlsx", headers=admin).content
    again = actors.client.post("/practical-banks/import", params={"filename": "导出.xlsx"}, content=exported,
                               headers=admin)
    assert (again.status_code, again.json()["version"]["content_digest"]) == (200, version["content_digest"])
    (shell / "导出.xlsx").write_bytes(exported)
    assert main(["practical", "import", str(shell / "导出.xlsx")]) == 0
    assert main(["practical", "list"]) == 0 and version["content_digest"][:16] in capsys.readouterr().out


# ---- items 4, 6, 10, 11: everything at once; DTD; extra sheets, hidden rows, formulas; Chinese names ---------

def _many_problems() -> bytes:
    data = write_xlsx(_lv())

    def change(workbook: Any) -> None:
        workbook["考核项目"]["H1"] = "备注"  # a column problem …
        workbook["考核项目"]["E2"] = 25  # … must not hide a wrong full mark,
        workbook["评分标准"]["D3"] = "=1+1"  # a formula,
        workbook["评分标准"].row_dimensions[4].hidden = True  # a hidden row,
        workbook["题库信息"]["A9"] = "负责人"  # an unknown metadata row,
        workbook.create_sheet("草稿").sheet_state = "hidden"  # and a hidden extra sheet

    return edit(data, change)


MANY = {("考核项目", 1, "备注"), ("考核项目", 2, "满分"), ("评分标准", 3, "配分"), ("评分标准", 4, None),
        ("题库信息", 9, "负责人"), ("草稿", None, None)}


def test_every_problem_of_a_practical_workbook_at_once(actors: Actors, db_session: Session, shell: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = _many_problems()
    problems = _parsed(data)
    assert {_place(p) for p in problems} == MANY, [str(p) for p in problems]
    formula = next(p for p in problems if p.field == "配分")
    assert "公式" in formula.message
    assert _uploaded(actors, db_session, data) == MANY
    err = _on_cli(shell, capsys, data)
    assert _shown("评分标准", 3, "配分") + "：这个单元格是公式" in err and _shown("评分标准", 4, None) in err


@pytest.mark.parametrize(("dtd", "entity"), [(BOMB_DTD, "j"), (XXE_DTD, "xxe")], ids=["entity-bomb", "xxe"])
def test_a_dtd_in_a_practical_workbook_is_refused(dtd: str, entity: str, actors: Actors, db_session: Session,
                                                  shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = with_dtd(write_xlsx(_lv()), "xl/worksheets/sheet2.xml", dtd, entity)
    started = time.monotonic()
    [problem] = _parsed(data)
    assert time.monotonic() - started < 2 and problem.field == "xl/worksheets/sheet2.xml"
    assert _uploaded(actors, db_session, data) == {(None, None, "xl/worksheets/sheet2.xml")}
    assert f"{NAME}，“xl/worksheets/sheet2.xml”：文件内部部件含有文档类型声明" in _on_cli(shell, capsys, data)


def test_a_subject_without_items_is_named_in_chinese(actors: Actors, db_session: Session, shell: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    document = _lv()
    document = dataclasses.replace(document, items=tuple(i for i in document.items if i.subject != Subject.K4))
    data = write_xlsx(document)
    problems = _parsed(data)
    assert [(p.sheet, p.field) for p in problems] == [("考核项目", "科目")] and "K4" in problems[0].message
    assert _uploaded(actors, db_session, data) == {("考核项目", None, "科目")}
    err = _on_cli(shell, capsys, data)
    assert f"{NAME}，工作表“考核项目”，“科目”：科目 K4 没有考核项目" in err and "subject" not in err


def test_a_missing_key_column_is_named_once() -> None:
    data = edit_xlsx(write_xlsx(_lv()), "评分标准", {"A1": None})  # the 项目编号 header gone
    problems = _parsed(data)
    assert [_place(p) for p in problems] == [("评分标准", 1, "项目编号")], [str(p) for p in problems]
