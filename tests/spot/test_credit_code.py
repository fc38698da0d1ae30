"""统一社会信用代码 (GB 32100-2015): normalised, and every kind of error named with its position."""

from __future__ import annotations

import pytest

from examsvc.spot.credit_code import CODE_SET, DEPARTMENTS, InvalidCreditCode, check_character, parse_credit_code

# Published codes: 华为技术有限公司 and 深圳市腾讯计算机系统有限公司 (their business licences, as shown on
# the national enterprise credit publicity system).
PUBLISHED = ("914403001922038216", "9144030071526726XG")


def _with_check(first17: str) -> str:
    """The check character worked out here, apart from the module: Σ value·3^(i−1) mod 31."""
    total = sum(CODE_SET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + CODE_SET[(31 - total % 31) % 31]


def _refusal(text: str) -> InvalidCreditCode:
    with pytest.raises(InvalidCreditCode) as raised:
        parse_credit_code(text)
    return raised.value


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_accepted(code: str) -> None:
    assert parse_credit_code(code) == code


@pytest.mark.parametrize("first17", ["91140100MA0K4XRN3", "52140000MJY1234U0", "12140000012345678",
                                     "Y1140105MA0GUW1P2", "N2140107MA0K00007", "31140000MD0123456"])
def test_codes_of_each_kind_with_their_check_character_are_accepted(first17: str) -> None:
    code = _with_check(first17)
    assert check_character(first17) == code[17]
    assert parse_credit_code(code) == code


def test_the_check_character_31_becomes_0() -> None:
    # Weight 28 is invertible mod 31: exactly one last body character makes the sum 0 mod 31, the check "0".
    first17 = next(f"9114010000000123{c}" for c in CODE_SET if _with_check(f"9114010000000123{c}")[17] == "0")
    assert check_character(first17) == "0"
    assert parse_credit_code(first17 + "0") == first17 + "0"


def test_white_space_full_width_and_lower_case_are_normalised() -> None:
    assert parse_credit_code("  ９１４４０３００１９２２０３８２１６\u3000") == PUBLISHED[0]
    assert parse_credit_code("\t9144030071526726xg\n") == PUBLISHED[1]


@pytest.mark.parametrize(("text", "length"), [("91440300192203821", 17), ("9144030019220382160", 19)])
def test_a_wrong_length_says_how_long_it_is(text: str, length: int) -> None:
    error = _refusal(text)
    assert str(error) == f"统一社会信用代码应为18位，现为{length}位。" and error.position is None


def test_an_empty_code_is_refused() -> None:
    assert str(_refusal("   ")) == "统一社会信用代码不能为空。"


@pytest.mark.parametrize(("text", "position", "character"), [
    ("9144030019220382O6", 17, "“O”"), ("91440300I922038216", 9, "“I”"), ("914403001922038-16", 16, "“-”"),
    ("91440300192203 216", 15, "U+0020"), ("9144030019220382１Z", 18, "“Z”"),
])
def test_a_character_not_in_the_code_set_is_named_with_its_position(text: str, position: int, character: str) -> None:
    error = _refusal(text)
    assert error.position == position
    assert str(error).startswith(f"第{position}位{character}不是统一社会信用代码使用的字符")
    assert ("不使用字母 I、O、Z、S、V" in str(error)) == (character.strip("“”") in "IOZSV")


def test_an_unknown_registration_department_is_refused() -> None:
    error = _refusal(_with_check("B1440300192203821"))
    assert error.position == 1 and "登记管理部门代码" in str(error) and "“B”不存在" in str(error)


@pytest.mark.parametrize("pair", ["94", "Y2", "5A", "A3", "N4", "22"])
def test_a_category_the_department_does_not_have_is_refused(pair: str) -> None:
    error = _refusal(_with_check(pair + "440300192203821"))
    assert error.position == 2 and "机构类别代码" in str(error)
    assert f"“{pair[1]}”不适用于登记管理部门“{pair[0]}”" in str(error)


@pytest.mark.parametrize("pair", ["11", "19", "21", "29", "35", "79", "A1", "N3", "Y1"])
def test_every_pair_of_the_table_is_accepted(pair: str) -> None:
    assert pair[1] in DEPARTMENTS[pair[0]][1]
    assert parse_credit_code(_with_check(pair + "440300192203821"))


def test_the_region_code_must_be_digits() -> None:
    error = _refusal(_with_check("9144A300192203821"))
    assert error.position == 5 and "行政区划码" in str(error)


@pytest.mark.parametrize("code", PUBLISHED)
def test_any_single_wrong_character_fails_the_check(code: str) -> None:
    # Modulus 31 over a 31-character set catches every single substitution.
    for position in range(8, 17):
        for replacement in CODE_SET:
            if replacement != code[position]:
                typo = code[:position] + replacement + code[position + 1:]
                error = _refusal(typo)
                assert error.position == 18 and "校验码不符" in str(error)


def test_the_check_message_does_not_give_the_expected_character() -> None:
    error = _refusal(PUBLISHED[0][:17] + "7")
    assert str(error) == "统一社会信用代码校验码不符（第18位与前17位对不上），请对照营业执照逐位核对。"
