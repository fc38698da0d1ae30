from __future__ import annotations

from datetime import date

import pytest

from examsvc.candidates.id_number import InvalidIdNumber, check_character, parse_id_number


def test_the_gb11643_sample_number_is_valid() -> None:
    # The worked example of GB 11643-1999 (an address code of 北京市朝阳区).
    parsed = parse_id_number("11010519491231002x")
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.male is False
    assert parsed.age_on(date(2026, 12, 30)) == 76 and parsed.age_on(date(2026, 12, 31)) == 77


def test_the_check_character_follows_iso_7064_mod_11_2() -> None:
    assert check_character("11010519491231002") == "X"
    assert check_character("14010520000101001") == check_character("14010520000101001")
    assert {check_character(f"1401052000010100{d}") for d in "0123456789"} <= set("0123456789X")


@pytest.mark.parametrize(("text", "reason"), [
    ("11010519491231002", "18位"),
    ("110105194912310021", "校验位"),
    ("11010519490231002X", "出生日期不存在"),
    ("11010521990101002X", "出生日期"),
    ("00000019491231002X", "地址码"),
    ("1101051949123100ZX", "18位"),
])
def test_bad_numbers_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber, match=reason):
        parse_id_number(text, today=date(2026, 11, 28))
