"""Citizen identity numbers (公民身份号码), GB 11643-1999: 6-digit address code, 8-digit birth date,
3-digit sequence (odd for men, even for women), and an ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class InvalidIdNumber(ValueError):
    """The reason is worded for the staff who typed the number (Chinese)."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    male: bool

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def check_character(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse_id_number(text: str, *, today: date | None = None) -> IdNumber:
    value = text.strip().upper()
    # str.isdigit() also admits other scripts' digits (full-width １, Arabic-Indic …): one person would then
    # have two spellings that compare unequal, slipping past every duplicate check.
    if (len(value) != 18 or not value.isascii() or not value[:17].isdigit()
            or not (value[17].isdigit() or value[17] == "X")):
        raise InvalidIdNumber("身份证号应为18位：前17位数字，最后一位为数字或X。")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号中的出生日期不存在。") from None
    if birth.year < 1900 or birth > (today or date.today()):
        raise InvalidIdNumber("身份证号中的出生日期不合理。")
    if value[:2] == "00" or value[:6] == "000000":
        raise InvalidIdNumber("身份证号中的地址码无效。")
    if check_character(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对是否输错。")
    return IdNumber(value=value, birth_date=birth, male=int(value[16]) % 2 == 1)
