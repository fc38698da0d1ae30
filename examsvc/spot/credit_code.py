"""统一社会信用代码 (unified social credit identifier), GB 32100-2015 with its amendments.

    18 characters from CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY" (I O Z S V are not used); the value
    of a character is its index in CODE_SET (0–30).
    position 1      登记管理部门代码, one of DEPARTMENTS;
    position 2      机构类别代码, one of the categories DEPARTMENTS allows for position 1;
    positions 3–8   登记管理机关行政区划码 (GB/T 2260), 6 digits;
    positions 9–17  主体标识码 (组织机构代码, GB 11714), from CODE_SET;
    position 18     校验码 (GB/T 17710 style, modulus 31): with c_i the value of position i and
                    w = 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 (3^(i−1) mod 31),
                    check = 31 − (Σ c_i·w_i mod 31), and 31 becomes 0; position 18 is CODE_SET[check].

The department and category table is that of the standard's annex as amended (A: 中央军委改革和编制办公室,
N: 农业 came with the amendments); it is read from secondary publications of the table, not the standard's
text. What is deliberately not checked: that the region code names a real region (GB/T 2260 changes every
year; central registrations use 100000), and the GB 11714 check character inside 主体标识码 (codes
assigned since 2015 are said to keep it, but a refusal there would stop an officer in front of a valid
licence on our reading of a standard we could not see).
"""

from __future__ import annotations

CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CODE_SET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18

# 登记管理部门代码 → {机构类别代码: 机构类别}
DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                    "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}


class InvalidCreditCode(ValueError):
    """The reason, in Chinese, for the officer who typed the code; ``position`` (1–18) when one is to blame."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.position = position


def check_character(first17: str) -> str:
    """The 18th character of a code whose first 17 are ``first17`` (all from CODE_SET)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CODE_SET[(31 - total % 31) % 31]


def normalize(text: str) -> str:
    """Without outer white space, full-width forms (ＡＢＣ１２３, as a Chinese input method types them)
    as ASCII, upper case."""
    half = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text.replace("\u3000", " "))
    return half.strip().upper()


def _shown(character: str) -> str:
    # The offending character is quoted so the officer finds it; one that would not print is named by code.
    return f"“{character}”" if character.isprintable() and not character.isspace() else f"U+{ord(character):04X}"


def parse_credit_code(text: str) -> str:
    """The code, normalised; ``InvalidCreditCode`` says what is wrong and at which position."""
    code = normalize(text)
    if not code:
        raise InvalidCreditCode("统一社会信用代码不能为空。")
    if len(code) != LENGTH:
        raise InvalidCreditCode(f"统一社会信用代码应为18位，现为{len(code)}位。")
    for position, character in enumerate(code, start=1):
        if character not in _VALUE:
            extra = "（不使用字母 I、O、Z、S、V）" if character in "IOZSV" else ""
            raise InvalidCreditCode(f"第{position}位{_shown(character)}不是统一社会信用代码使用的字符：只能是数字"
                                    f"和大写字母{extra}。", position)
    department = DEPARTMENTS.get(code[0])
    if department is None:
        raise InvalidCreditCode(f"第1位（登记管理部门代码）“{code[0]}”不存在：应为 "
                                f"{'、'.join(DEPARTMENTS)} 之一。", 1)
    name, categories = department
    if code[1] not in categories:
        raise InvalidCreditCode(f"第2位（机构类别代码）“{code[1]}”不适用于登记管理部门“{code[0]}”（{name}）："
                                f"应为 {'、'.join(categories)} 之一。", 2)
    for position in range(3, 9):
        if not code[position - 1].isdigit():
            raise InvalidCreditCode(f"第{position}位应为数字：第3至8位是登记管理机关行政区划码。", position)
    if check_character(code[:17]) != code[17]:
        # The expected character is not shown: an officer told "should be 7" changes the last character,
        # while the typing error is usually elsewhere.
        raise InvalidCreditCode("统一社会信用代码校验码不符（第18位与前17位对不上），请对照营业执照逐位核对。", 18)
    return code
