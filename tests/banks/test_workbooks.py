"""Bank workbooks (issue 17): text that looks like a formula stays text; every problem of a workbook at
once; entity bombs and XXE refused fast; formulas, hidden rows and extra sheets refused with their place.
Each refusal is checked three ways (the parser, the upload route, the CLI), with nothing imported."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from examsvc.banks import service
from examsvc.banks.models import BankVersion
from examsvc.banks.problems import BankImportRejected, Problem
from examsvc.banks.xlsx_format import write_xlsx
from examsvc.cli import main
from examsvc.identity.roles import Role
from tests.banks.builders import bank, document, edit_xlsx, mc, sc, tf, to_xlsx, to_yaml
from tests.banks.workbooks import BOMB_DTD, XXE_DTD, edit, with_dtd
from tests.builders import Actors

HOSTILE = "=HYPERLINK(\"http://example.invalid/x\",\"点击查看\")"


def _place(p: Problem) -> tuple[str | None, int | None, str | None]:
    return (p.sheet, p.line, p.field)


def _parsed(data: bytes, name: str = "题库.xlsx") -> list[Problem]:
    with pytest.raises(BankImportRejected) as raised:
        service.parse_bank_file(data, name)
    assert all(p.file == name for p in raised.value.problems)
    return raised.value.problems


def _uploaded(actors: Actors, db_session: Session, data: bytes, name: str = "题库.xlsx") -> list[dict[str, Any]]:
    admin = actors.user_with(Role.BANK_ADMIN)
    before = db_session.scalar(select(func.count()).select_from(BankVersion))
    response = actors.client.post("/banks/import", params={"filename": name}, content=data, headers=admin)
    assert (response.status_code, response.json()["error"]) == (422, "bank_import_rejected"), response.text
    assert db_session.scalar(select(func.count()).select_from(BankVersion)) == before, "a refusal imported"
    problems: list[dict[str, Any]] = response.json()["detail"]["problems"]
    assert all(p["file"] == name for p in problems)
    return problems


def _on_cli(shell: Path, capsys: pytest.CaptureFixture[str], data: bytes, name: str = "题库.xlsx") -> str:
    path = shell / name
    path.write_bytes(data)
    capsys.readouterr()
    assert main(["banks", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert main(["banks", "list"]) == 0 and capsys.readouterr().out == "", "a refusal imported"
    return err


def _shown(sheet: str, line: int | None, field: str | None, name: str = "题库.xlsx") -> str:
    """How the CLI prints a place (banks.problems.Problem.__str__)."""
    where = [name, f"工作表“{sheet}”"] + ([f"第{line}行"] if line else []) + ([f"“{field}”"] if field else [])
    return "，".join(where)


# ---- item 2: text that starts like a formula is written as text, and imports back to the same digest --------

def _formula_like_bank() -> dict[str, Any]:
    return bank(tf("Q-1", stem=HOSTILE), sc("Q-2", options={"A": "+1", "B": "-1", "C": "@SUM(A1)", "D": "=1+1"}),
                mc("Q-3", explanation="=CMD|' /C calc'!A0", legal_basis="-《安全生产法》"))


def test_an_export_writes_formula_looking_text_as_text_cells() -> None:
    data = write_xlsx(document(_formula_like_bank()))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    from openpyxl import load_workbook

    cells = {c.value: c for row in load_workbook(io.BytesIO(data))["试题"].iter_rows() for c in row}
    for text in (HOSTILE, "+1", "-1", "@SUM(A1)", "=1+1", "=CMD|' /C calc'!A0", "-《安全生产法》"):
        assert (cells[text].data_type, cells[text].quotePrefix) == ("s", True), text
    again = service.parse_bank_file(data, "export.xlsx")
    assert again.digest() == document(_formula_like_bank()).digest()


def test_formula_looking_text_round_trips_through_the_routes(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    made = actors.client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(_formula_like_bank()),
                              headers=admin)
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    exported = actors.client.get(f"/bank-versions/{version['id']}/export", headers=admin)
    again = actors.client.post("/banks/import", params={"filename": "export.xlsx"}, content=exported.content,
                               headers=admin)
    assert (again.status_code, again.json()["created"]) == (200, False), again.text
    assert again.json()["version"]["content_digest"] == version["content_digest"]


def test_formula_looking_text_round_trips_through_the_cli(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shell / "b.yaml").write_bytes(to_yaml(_formula_like_bank()))
    assert main(["banks", "import", str(shell / "b.yaml")]) == 0
    digest = re.search(r"sha256 (\w+)", capsys.readouterr().out)
    assert digest is not None
    assert main(["banks", "export", "T-BANK", "2026.1", str(shell / "export.xlsx")]) == 0
    assert main(["banks", "import", str(shell / "export.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "unchanged" in out and digest.group(1) in out


# ---- item 4 and 11: every problem of a workbook at once, each in its own column ----------------------------

def _four_problems() -> bytes:
    data = edit_xlsx(to_xlsx(bank()), "试题", {"T1": "备注", "L3": "E"})  # an unknown column; an answer not offered
    data = edit_xlsx(data, "题库信息", {"B10": "2026 第一版"})  # 版本 with a space
    return edit_xlsx(data, "知识点", {"A4": "1.1", "B4": "法律法规（重复）"})  # a duplicate knowledge point


EXPECTED_FOUR = {("试题", 1, "备注"), ("试题", 3, "答案"), ("题库信息", 10, "版本"), ("知识点", 4, "编号")}


def test_a_column_problem_hides_no_other_problem() -> None:
    problems = _parsed(_four_problems())
    assert {_place(p) for p in problems} == EXPECTED_FOUR, [str(p) for p in problems]
    duplicate = next(p for p in problems if p.sheet == "知识点")
    assert "重复" in duplicate.message


def test_every_problem_at_once_through_the_route(actors: Actors, db_session: Session) -> None:
    problems = _uploaded(actors, db_session, _four_problems())
    assert {(p.get("sheet"), p.get("line"), p.get("field")) for p in problems} == EXPECTED_FOUR


def test_every_problem_at_once_through_the_cli(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _on_cli(shell, capsys, _four_problems())
    for sheet, line, field in EXPECTED_FOUR:
        assert _shown(sheet, line, field) in err, err


def test_a_missing_column_is_named_once_and_the_other_problems_still_shown() -> None:
    data = edit_xlsx(to_xlsx(bank()), "试题", {"M1": None, "L3": "E"})  # the 解析 header gone
    problems = _parsed(data)
    assert {_place(p) for p in problems} == {("试题", 1, "解析"), ("试题", 3, "答案")}, [str(p) for p in problems]


# ---- item 6: DTDs (entity bombs, XXE) refused before any XML is parsed, fast and in bounded memory ---------

@pytest.mark.parametrize(("dtd", "entity"), [(BOMB_DTD, "j"), (XXE_DTD, "xxe")], ids=["entity-bomb", "xxe"])
def test_a_dtd_in_a_workbook_is_refused_naming_the_part(dtd: str, entity: str, actors: Actors,
                                                        db_session: Session) -> None:
    data = with_dtd(to_xlsx(bank()), "xl/worksheets/sheet1.xml", dtd, entity)
    started = time.monotonic()
    [problem] = _parsed(data)
    assert time.monotonic() - started < 2
    assert problem.field == "xl/worksheets/sheet1.xml" and "DOCTYPE" in problem.message
    [shown] = _uploaded(actors, db_session, data)
    assert shown["field"] == "xl/worksheets/sheet1.xml" and "拒绝导入" in shown["message"]


@pytest.mark.parametrize("part", ["xl/workbook.xml", "[Content_Types].xml", "xl/worksheets/sheet3.xml"])
def test_a_dtd_in_any_part_is_refused(part: str) -> None:
    [problem] = _parsed(with_dtd(to_xlsx(bank()), part, XXE_DTD, "xxe"))
    assert problem.field == part and "DOCTYPE" in problem.message


def test_a_part_in_utf16_is_refused_unread() -> None:
    [problem] = _parsed(with_dtd(to_xlsx(bank()), "xl/worksheets/sheet1.xml", XXE_DTD, "xxe", encoding="utf-16"))
    assert problem.field == "xl/worksheets/sheet1.xml" and "编码或结构异常" in problem.message


def test_a_dtd_in_a_workbook_is_refused_on_the_cli(shell: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _on_cli(shell, capsys, with_dtd(to_xlsx(bank()), "xl/worksheets/sheet1.xml", XXE_DTD, "xxe"))
    assert "题库.xlsx，“xl/worksheets/sheet1.xml”：文件内部部件含有文档类型声明" in err
    assert "Traceback" not in err and "root:" not in err  # nothing of /etc/passwd, no English traceback


CAPPED = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (768 * 1024 * 1024, 768 * 1024 * 1024))
from examsvc.banks import service
from examsvc.banks.problems import BankImportRejected
data = open(sys.argv[1], "rb").read()
started = time.monotonic()
try:
    service.parse_bank_file(data, "bomb.xlsx")
except BankImportRejected as rejected:
    print(round(time.monotonic() - started, 2), rejected.problems[0].message)
"""


def test_an_entity_bomb_finishes_in_seconds_under_a_memory_cap(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(with_dtd(to_xlsx(bank(*[tf(f"Q-{n}") for n in range(200)])), "xl/worksheets/sheet1.xml",
                              BOMB_DTD, "j"))
    done = subprocess.run([sys.executable, "-c", CAPPED, str(path)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    seconds, message = done.stdout.split(" ", 1)
    assert float(seconds) < 5 and "DOCTYPE" in message


def test_an_image_part_is_not_taken_for_xml() -> None:
    data = to_xlsx(bank())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400)
    assert service.parse_bank_file(out.getvalue(), "b.xlsx").digest() == document(bank()).digest()


# ---- item 10: extra sheets and hidden rows are refused, not skipped -----------------------------------------

def _extra_sheets_and_hidden_row() -> bytes:
    def change(workbook: Any) -> None:
        workbook.create_sheet("草稿").append(["随手记"])
        workbook["草稿"].sheet_state = "hidden"
        more = workbook.create_sheet("试题（续）")
        more.append(["题目编号", "题型"])
        more.append(["Q-9", "判断题"])
        workbook["试题"].row_dimensions[3].hidden = True

    return edit(to_xlsx(bank()), change)


def test_extra_sheets_and_hidden_rows_are_refused() -> None:
    problems = _parsed(_extra_sheets_and_hidden_row())
    assert {_place(p) for p in problems} == {("草稿", None, None), ("试题（续）", None, None), ("试题", 3, None)}
    by_sheet = {p.sheet: p.message for p in problems}
    assert "隐藏" in by_sheet["草稿"] and "多余的工作表" in by_sheet["试题（续）"] and "隐藏" in by_sheet["试题"]


def test_extra_sheets_and_hidden_rows_through_the_route_and_the_cli(actors: Actors, db_session: Session,
                                                                      shell: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = _extra_sheets_and_hidden_row()
    places = {(p.get("sheet"), p.get("line")) for p in _uploaded(actors, db_session, data)}
    assert places == {("草稿", None), ("试题（续）", None), ("试题", 3)}
    err = _on_cli(shell, capsys, data)
    assert "题库.xlsx，工作表“试题（续）”：多余的工作表" in err
    assert "题库.xlsx，工作表“试题”，第3行：这一行被隐藏了" in err


# ---- item 11: a formula is named as a formula; field names in Chinese ---------------------------------------

def test_a_formula_cell_is_reported_as_a_formula(actors: Actors, db_session: Session, shell: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = edit_xlsx(to_xlsx(bank()), "试题", {"C3": "=A3&\"题干\""})
    [problem] = _parsed(data)
    assert _place(problem) == ("试题", 3, "题干") and "公式" in problem.message
    [shown] = _uploaded(actors, db_session, data)
    assert (shown["line"], shown["field"]) == (3, "题干") and "不能为空" not in shown["message"]
    assert _shown("试题", 3, "题干") + "：这个单元格是公式" in _on_cli(shell, capsys, data)


def test_workbook_messages_name_fields_in_chinese(actors: Actors, db_session: Session, shell: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = edit_xlsx(to_xlsx(bank()), "试题", {"D2": "甲"})  # an option on a 判断题
    [problem] = _parsed(data)
    assert _place(problem) == ("试题", 2, "选项") and "判断题不应有选项" in problem.message
    [shown] = _uploaded(actors, db_session, data)
    assert (shown["sheet"], shown["line"], shown["field"]) == ("试题", 2, "选项")
    err = _on_cli(shell, capsys, data)
    assert _shown("试题", 2, "选项") in err and "options" not in err


def test_a_hidden_column_is_refused_where_its_content_shows() -> None:
    def hide(workbook: Any) -> None:
        workbook["试题"].column_dimensions["O"].hidden = True  # 认知层次

    problems = _parsed(edit(to_xlsx(bank()), hide))
    assert [_place(p) for p in problems] == [("试题", 1, "认知层次")] and "隐藏" in problems[0].message


def test_a_damaged_sheet_is_named_and_the_other_sheets_still_read(actors: Actors, db_session: Session) -> None:
    data = edit_xlsx(to_xlsx(bank()), "知识点", {"A4": "1.1", "B4": "重复"})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # 试题 breaks off mid-XML
            target.writestr(info, content)
    problems = _parsed(out.getvalue())
    places = {_place(p) for p in problems}
    assert ("试题", None, None) in places and ("知识点", 4, "编号") in places
    assert "损坏" in next(p for p in problems if p.sheet == "试题").message
    assert {(p.get("sheet"), p.get("line")) for p in _uploaded(actors, db_session, out.getvalue())} >= {("试题", None)}
