"""Candidate lists are read as a stream, cut off at the first row past the limits, before any lock."""

from __future__ import annotations

import pytest

from examsvc.candidates.sheets import MAX_ROWS, MAX_SHEET_ROWS, RegistrationRejected, read_sheet
from tests.candidates.xlsx_bombs import bomb_workbook


def _refusal(data: bytes, filename: str) -> list[dict[str, object]]:
    with pytest.raises(RegistrationRejected) as raised:
        read_sheet(data, filename)
    return [p.as_dict() for p in raised.value.problems]


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_parsing() -> None:
    bomb = bomb_workbook(4_000_000)  # the reported bomb: 4 million rows in about a megabyte
    assert len(bomb) < 2 * 1024 * 1024
    [problem] = _refusal(bomb, "名单.xlsx")
    assert "解压后过大" in str(problem["message"]) and "50 MB" in str(problem["message"])


def test_the_row_past_the_limit_stops_the_reading_and_is_named() -> None:
    [problem] = _refusal(bomb_workbook(100_000), "名单.xlsx")
    assert problem["line"] == MAX_ROWS + 2  # the header, then 5,000 candidates
    assert f"考生超过 {MAX_ROWS} 人" in str(problem["message"]) and f"第 {MAX_ROWS + 2} 行" in str(problem["message"])


def test_a_sheet_of_empty_styled_rows_is_cut_off_too() -> None:
    [problem] = _refusal(bomb_workbook(100_000, blank=True), "名单.xlsx")
    assert problem["line"] == MAX_SHEET_ROWS + 1
    assert f"表格超过 {MAX_SHEET_ROWS} 行" in str(problem["message"])


def test_a_csv_list_past_the_limit_is_cut_off_at_its_row() -> None:
    data = ("姓名,身份证号\n" + "张三,x\n" * (MAX_ROWS + 500)).encode()
    [problem] = _refusal(data, "名单.csv")
    assert problem["line"] == MAX_ROWS + 2


def test_a_list_at_the_limit_is_read() -> None:
    sheet = read_sheet(bomb_workbook(MAX_ROWS), "名单.xlsx")
    assert len(sheet.rows) == MAX_ROWS and sheet.header == ["姓名", "身份证号"]


def test_a_file_that_is_not_a_workbook_is_refused_by_the_shared_container_check() -> None:
    [problem] = _refusal(b"PK\x03\x04 not a zip at all", "名单.xlsx")
    assert "已损坏" in str(problem["message"])
