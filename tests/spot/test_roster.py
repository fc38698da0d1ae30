"""The roster of people on duty: JSON rows, .xlsx and .csv; every problem of every row at once, each
naming row and field, never an ID number."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from examsvc.banks.document import PersonKind
from examsvc.candidates.id_number import check_character
from examsvc.spot.roster import (
    EXAMPLE_ROW,
    MAX_PEOPLE,
    MAX_SHEET_ROWS,
    RosterPerson,
    RosterRejected,
    read_roster,
    read_roster_file,
    template_roster_xlsx,
)

TODAY = date(2026, 12, 6)
HEADER = ["姓名", "身份证号", "岗位", "人员类别"]


def person_id(n: int) -> str:
    """A valid GB 11643 number, distinct for each n < 1000."""
    first17 = f"14010519{80 + n // 365 % 20:02d}0101{n:03d}"
    return first17 + check_character(first17)


def people(count: int) -> list[list[Any]]:
    return [[f"工人{n}", person_id(n), "电工", "特种作业人员"] for n in range(count)]


def xlsx(rows: list[list[Any]], *, edit: Any = None) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    if edit is not None:
        edit(workbook, ws)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    return "\r\n".join(",".join(str(c) for c in row) for row in rows).encode(encoding)


def refusal(call: Any, *args: Any, secrets: list[str] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    with pytest.raises(RosterRejected) as raised:
        call(*args, today=TODAY, **kwargs)
    error = raised.value
    assert error.code == "roster_invalid" and "未导入任何内容" in error.message
    shown = error.message + json.dumps(error.detail, ensure_ascii=False)
    for secret in secrets or []:
        assert secret not in shown  # personal data never comes back in an error
    return [{k: v for k, v in p.items() if k != "severity"} for p in error.detail["problems"]]


# ---- good input -------------------------------------------------------------------------------------------

def test_a_workbook_is_read_with_rows_as_excel_numbers_them() -> None:
    ends_in_x = next(person_id(n) for n in range(100) if person_id(n).endswith("X"))
    data = xlsx([HEADER,
                 ["张三", person_id(1), "电工", "特种作业人员"],
                 [],
                 ["李四", ends_in_x.lower(), "主要负责人岗", "principal"],
                 ["王五", f" {person_id(3)} ", "仓管", None]])
    assert read_roster_file(data, "名单.xlsx", today=TODAY) == [
        RosterPerson("张三", person_id(1), "电工", PersonKind.SPECIAL_OPERATIONS, 2),
        RosterPerson("李四", ends_in_x, "主要负责人岗", PersonKind.PRINCIPAL, 4),
        RosterPerson("王五", person_id(3), "仓管", None, 5),
    ]


def test_columns_may_come_in_any_order_and_the_kind_column_may_be_left_out() -> None:
    data = xlsx([["岗位", "身份证号", "姓名"], ["班组长", person_id(1), "张三"]])
    [person] = read_roster_file(data, "名单.xlsx", today=TODAY)
    assert (person.name, person.post, person.kind, person.row) == ("张三", "班组长", None, 2)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_is_read_in_utf8_with_or_without_bom_or_in_gb18030(encoding: str) -> None:
    data = csv_bytes([HEADER, *people(3)], encoding)
    got = read_roster_file(data, "名单.CSV", today=TODAY)
    assert [(p.name, p.id_number, p.row) for p in got] == [(f"工人{n}", person_id(n), n + 2) for n in range(3)]


def test_json_rows_are_read_with_their_position() -> None:
    rows: list[dict[str, object]] = [
        {"name": "张三", "id_number": person_id(1), "post": "电工", "kind": "车间主任"},
        {"name": "李四", "id_number": person_id(2), "post": "焊工", "kind": None},
        {"name": "王五", "id_number": person_id(3), "post": "司机"},
    ]
    got = read_roster(rows, source="手工录入", today=TODAY)
    assert [(p.kind, p.row) for p in got] == [(PersonKind.WORKSHOP_DIRECTOR, 1), (None, 2), (None, 3)]


def test_exactly_the_limit_is_accepted() -> None:
    assert len(read_roster_file(csv_bytes([HEADER, *people(MAX_PEOPLE)]), "名单.csv", today=TODAY)) == MAX_PEOPLE


# ---- every problem at once, each in its place ---------------------------------------------------------------

def test_every_bad_row_is_named_at_once_without_echoing_id_numbers() -> None:
    good, dup = person_id(1), person_id(2)
    bad_check = person_id(3)[:17] + ("0" if person_id(3)[17] != "0" else "1")
    rows = [HEADER,
            ["张三", good, "电工", ""],
            ["", dup, "电工", ""],  # 3: no name
            ["王五", bad_check, "电工", ""],  # 4: GB 11643 check fails
            ["赵六", dup, "电工", ""],  # 5: the same person as row 3
            ["孙七", person_id(4), "", ""],  # 6: no post
            ["周八", person_id(5), "电工", "临时工"],  # 7: unknown kind
            ["吴" * 51, person_id(6), "岗" * 51, ""],  # 8: too long, twice
            ["郑\n十", person_id(7), "电工", ""]]  # 9: a line break in a name
    problems = refusal(read_roster_file, xlsx(rows), "名单.xlsx", secrets=[good, dup, bad_check, person_id(4)])
    assert [(p["line"], p["field"]) for p in problems] == [
        (3, "姓名"), (4, "身份证号"), (5, "身份证号"), (6, "岗位"), (7, "人员类别"), (8, "姓名"), (8, "岗位"),
        (9, "姓名")]
    messages = {(p["line"], p["field"]): p["message"] for p in problems}
    assert messages[(5, "身份证号")] == "与第3行的身份证号相同：同一人只能列一次。"
    assert "校验位" in messages[(4, "身份证号")]
    assert "“临时工”不存在" in messages[(7, "人员类别")] and "主要负责人" in messages[(7, "人员类别")]
    assert messages[(8, "姓名")] == "姓名过长：不超过 50 个字，现为 51 个。"
    assert all(p["file"] == "名单.xlsx" and p["sheet"] == "Sheet" for p in problems)


def test_full_width_digits_are_the_same_person_and_other_digits_are_refused() -> None:
    number = person_id(1)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    arabic_indic = "\u0661" + number[1:]  # a digit to str.isdigit, and to parse_id_number
    rows: list[dict[str, object]] = [{"name": "张三", "id_number": full_width, "post": "电工"},
                                     {"name": "李四", "id_number": number, "post": "电工"},
                                     {"name": "王五", "id_number": arabic_indic, "post": "电工"}]
    problems = refusal(read_roster, rows, source="手工录入", secrets=[number, full_width, arabic_indic])
    assert [(p["line"], p["message"]) for p in problems] == [
        (2, "与第1行的身份证号相同：同一人只能列一次。"), (3, "身份证号只能由数字和字母X组成。")]
    [person] = read_roster(rows[:1], source="手工录入", today=TODAY)
    assert person.id_number == number


def test_json_problems_name_the_key_and_position() -> None:
    rows: list[Any] = [
        {"name": "张三", "id_number": person_id(1), "post": "电工", "kind": "principal"},
        {"name": "李四", "id_number": "12345", "post": "电工", "age": 30},
        "张三",
        {"name": 7, "id_number": person_id(1), "post": "电工"},
    ]
    problems = refusal(read_roster, rows, source="手工录入", secrets=[person_id(1)])
    assert [(p.get("line"), p.get("field")) for p in problems] == [
        (2, "age"), (3, None), (4, "name"), (2, "id_number"), (4, "id_number")]
    assert problems[-1]["message"] == "与第1行的身份证号相同：同一人只能列一次。"


def test_an_empty_roster_is_refused() -> None:
    assert refusal(read_roster, [], source="手工录入") == [{"file": "手工录入", "message": "名单中没有人员。"}]
    [problem] = refusal(read_roster_file, csv_bytes([HEADER]), "名单.csv")
    assert problem["message"] == "名单中没有人员。"
    [problem] = refusal(read_roster_file, b"\xef\xbb\xbf\r\n\r\n", "名单.csv")
    assert "文件是空的" in problem["message"]


def test_more_than_the_limit_is_refused_at_the_first_person_past_it() -> None:
    [problem] = refusal(read_roster_file, xlsx([HEADER, *people(MAX_PEOPLE + 20)]), "名单.xlsx")
    assert problem["line"] == MAX_PEOPLE + 2 and f"名单超过 {MAX_PEOPLE} 人" in problem["message"]
    rows: list[dict[str, object]] = [{"name": "x", "id_number": "x", "post": "x"}] * (MAX_PEOPLE + 1)
    [problem] = refusal(read_roster, rows, source="手工录入")
    assert f"名单超过 {MAX_PEOPLE} 人" in problem["message"]


def test_a_sheet_of_many_blank_rows_is_cut_off() -> None:
    def far_down(_: Any, ws: Any) -> None:
        ws.cell(row=MAX_SHEET_ROWS + 5, column=1, value="张三")

    [problem] = refusal(read_roster_file, xlsx([HEADER], edit=far_down), "名单.xlsx")
    assert problem["line"] == MAX_SHEET_ROWS + 5 and "表格超过" in problem["message"]


# ---- what only a file can get wrong --------------------------------------------------------------------------

def test_an_id_number_stored_as_a_number_is_named_with_the_cure() -> None:
    number = person_id(1)
    data = xlsx([HEADER, ["张三", int(number[:17] + "0"), "电工", None]])
    [problem] = refusal(read_roster_file, data, "名单.xlsx", secrets=[number[:17]])
    assert (problem["line"], problem["field"]) == (2, "身份证号") and "设为“文本”" in problem["message"]
    [problem] = refusal(read_roster_file, csv_bytes([HEADER, ["张三", "1.40105E+17", "电工", ""]]), "名单.csv")
    assert "存成了数字" in problem["message"]


def test_a_list_without_its_header_is_refused_without_quoting_the_person() -> None:
    number = person_id(1)
    for data, name in ((xlsx(people(2)), "名单.xlsx"), (csv_bytes(people(2)), "名单.csv")):
        [problem] = refusal(read_roster_file, data, name, secrets=[number, "工人0"])
        assert problem["line"] == 1 and "应为表头" in problem["message"]


def test_unknown_repeated_and_missing_columns_are_named() -> None:
    data = xlsx([["姓名", "姓名", "工号", "人员类别"], ["张三", "李四", "1", ""]])
    problems = refusal(read_roster_file, data, "名单.xlsx")
    assert [(p["line"], p["field"]) for p in problems[:4]] == [(1, "姓名"), (1, "工号"), (1, "身份证号"), (1, "岗位")]


def test_the_header_may_follow_blank_rows_and_is_named_at_its_row() -> None:
    data = csv_bytes([[], ["姓名", "身份证号"], ["张三", person_id(1)]])
    [problem] = refusal(read_roster_file, data, "名单.csv")
    assert (problem["line"], problem["field"], problem["message"]) == (2, "岗位", "缺少必需的列“岗位”。")


def test_hidden_rows_formulas_and_other_sheets_with_people_are_refused() -> None:
    def hide_and_add(workbook: Any, ws: Any) -> None:
        ws.row_dimensions[3].hidden = True
        ws["A4"] = '=CONCAT("张","三")'
        workbook.create_sheet("Sheet2").append(["李四", person_id(9), "电工"])
        workbook.create_sheet("Sheet3")  # empty: Excel's default sheets are no problem

    data = xlsx([HEADER, *people(3)], edit=hide_and_add)
    problems = refusal(read_roster_file, data, "名单.xlsx", secrets=[person_id(9)])
    assert [(p.get("sheet"), p.get("line"), p.get("field")) for p in problems] == [
        ("Sheet", 3, None), ("Sheet", 4, "姓名"), ("Sheet2", None, None)]
    assert "公式" in problems[1]["message"] and "第一个工作表" in problems[2]["message"]


def test_files_that_are_not_lists_are_refused() -> None:
    [problem] = refusal(read_roster_file, b"%PDF-1.7", "名单.pdf")
    assert "只接受 .xlsx 或 .csv" in problem["message"]
    [problem] = refusal(read_roster_file, b"not a zip", "名单.xlsx")
    assert ".xlsx" in problem["message"]
    [problem] = refusal(read_roster_file, "姓名,身份证号\n\"张三,1".encode(), "名单.csv")
    assert "CSV 格式有误" in problem["message"]
    [problem] = refusal(read_roster_file, b"\xff\xfe\x00\xd8" * 4, "名单.csv")
    assert "编码" in problem["message"]


# ---- the template ----------------------------------------------------------------------------------------------

def test_the_template_has_the_header_a_text_id_column_and_an_example_that_cannot_be_uploaded() -> None:
    data = template_roster_xlsx()
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert [c.value for c in ws[1]] == HEADER
    assert tuple(c.value for c in ws[2]) == EXAMPLE_ROW
    assert ws.column_dimensions["B"].number_format == "@" and ws["B2"].number_format == "@"
    [problem] = refusal(read_roster_file, data, "模板.xlsx")
    assert (problem["line"], problem["field"]) == (2, "姓名") and "示例行" in problem["message"]


def test_the_template_filled_in_is_accepted() -> None:
    workbook = load_workbook(io.BytesIO(template_roster_xlsx()))
    ws = workbook.active
    assert ws is not None
    ws.delete_rows(2)
    ws.append(["张三", person_id(1), "电工", "安全生产管理人员"])
    out = io.BytesIO()
    workbook.save(out)
    [person] = read_roster_file(out.getvalue(), "模板.xlsx", today=TODAY)
    assert person.kind == PersonKind.SAFETY_MANAGER
