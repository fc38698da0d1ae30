"""Chinese text for every validation error a client can get (issue 16 item 18).

pydantic's own messages are English ("Field required"). The 422 handler (``errors``) replaces each with
the text below, chosen by the error's stable type, and names where it is. The table covers the whole of
pydantic_core's ``ErrorType`` catalogue, not only the types today's schemas raise, so that a new field
type cannot bring English back; ``tests/test_error_text.py`` checks both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_CJK = re.compile(r"[\u4e00-\u9fff]")

# Where a value was sent (the first element of pydantic's location).
PLACES = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}

_DATETIME = "应为 RFC 3339 日期时间，如 2027-01-10T09:00:00+08:00"
_DATE = "应为日期，如 2027-01-10"
_NUMBER = "应为数字"
_INTEGER = "应为整数"
_OBJECT = "应为 JSON 对象"
_ARRAY = "应为 JSON 数组"
_UNUSED = "该值不能被接受"  # types no examsvc schema raises today; still Chinese if one ever does

# pydantic_core ErrorType → Chinese; ``{name}`` takes the error's context value of that name.
MESSAGES: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许提交此字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "none_required": "应为 null",
    "model_type": _OBJECT, "model_attributes_type": _OBJECT, "dict_type": _OBJECT, "mapping_type": _OBJECT,
    "dataclass_type": _OBJECT, "dataclass_exact_type": _OBJECT, "named_tuple_type": _ARRAY,
    "frozen_dict_type": _OBJECT, "ordered_dict_type": _OBJECT, "counter_type": _OBJECT,
    "list_type": _ARRAY, "tuple_type": _ARRAY, "set_type": _ARRAY, "frozen_set_type": _ARRAY, "deque_type": _ARRAY,
    "iterable_type": _ARRAY,
    "iteration_error": "数组中有无法读取的元素", "set_item_not_hashable": "数组元素不能是对象或数组",
    "invalid_key": "对象的键应为字符串",
    "too_short": "至少 {min_length} 项", "too_long": "最多 {max_length} 项",
    "string_type": "应为字符串",
    "string_unicode": "应为有效的 Unicode 字符串", "string_not_ascii": "只能包含 ASCII 字符",
    "string_too_short": "至少 {min_length} 个字符", "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求（应匹配 {pattern}）",
    "bytes_type": "应为字节串",
    "bytes_too_short": "至少 {min_length} 个字节", "bytes_too_long": "最多 {max_length} 个字节",
    "bytes_invalid_encoding": "字节串编码无效",
    "bool_type": "应为布尔值 true 或 false", "bool_parsing": "应为布尔值 true 或 false",
    "int_type": _INTEGER, "int_parsing": _INTEGER, "int_from_float": "应为整数，不能有小数部分",
    "int_parsing_size": "整数超出可处理的范围",
    "float_type": _NUMBER, "float_parsing": _NUMBER, "finite_number": "应为有限的数字",
    "decimal_type": _NUMBER, "decimal_parsing": _NUMBER, "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多", "decimal_whole_digits": "整数部分位数过多",
    "fraction_type": _NUMBER, "fraction_parsing": _NUMBER, "complex_type": _NUMBER, "complex_str_parsing": _NUMBER,
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}", "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}", "multiple_of": "应为 {multiple_of} 的倍数",
    "literal_error": "应为以下之一：{expected}", "enum": "应为以下之一：{expected}",
    "datetime_type": _DATETIME, "datetime_parsing": _DATETIME, "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME, "datetime_past": "应为过去的时间", "datetime_future": "应为将来的时间",
    "timezone_aware": "日期时间须带时区，如 +08:00 或 Z", "timezone_naive": "日期时间不能带时区",
    "timezone_offset": "日期时间的时区偏移不符合要求",
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "应为日期，不能带时刻",
    "date_past": "应为过去的日期", "date_future": "应为将来的日期",
    "time_type": "应为时间，如 09:00:00", "time_parsing": "应为时间，如 09:00:00",
    "time_delta_type": "应为时长", "time_delta_parsing": "应为时长",
    "url_type": "应为网址", "url_parsing": "应为有效的网址", "url_syntax_violation": "应为有效的网址",
    "url_too_long": "网址过长", "url_scheme": "网址的协议不符合要求",
    "uuid_type": "应为 UUID", "uuid_parsing": "应为有效的 UUID", "uuid_version": "UUID 的版本不符合要求",
    "union_tag_invalid": "对象的类型标记无效", "union_tag_not_found": "缺少对象的类型标记",
    "value_error": "值无效", "assertion_error": "值无效",
    "frozen_field": "此字段不能修改", "frozen_instance": "此对象不能修改",
    "no_such_attribute": _UNUSED, "needs_python_object": _UNUSED, "recursion_loop": "数据中有循环引用",
    "recursion_depth_exceeded": "数据嵌套过深", "get_attribute_error": _UNUSED,
    "default_factory_not_called": _UNUSED, "missing_sentinel_error": _UNUSED, "ellipsis_error": _UNUSED,
    "is_instance_of": _UNUSED, "is_subclass_of": _UNUSED, "callable_type": _UNUSED,
    "arguments_type": _UNUSED, "missing_argument": "缺少必填项", "unexpected_keyword_argument": "不允许提交此字段",
    "missing_keyword_only_argument": "缺少必填项", "unexpected_positional_argument": _UNUSED,
    "missing_positional_only_argument": "缺少必填项", "multiple_argument_values": _UNUSED,
}
FALLBACK = "值不符合要求"


def _expected(value: object) -> str:
    """pydantic's list of choices ("'a', 'b' or 'c'") without its English conjunction."""
    return re.sub(r",\s*|\s+or\s+", "、", str(value))


def explain(error_type: str, context: Mapping[str, Any] | None = None) -> str:
    """The Chinese text for one pydantic error; never pydantic's English message."""
    context = dict(context or {})
    if error_type in ("value_error", "assertion_error"):
        # Our own validators raise Chinese text (text.SingleLine); anything else says only "invalid".
        reason = str(context.get("error", ""))
        if _CJK.search(reason):
            return reason.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if "expected" in context:
        context["expected"] = _expected(context["expected"])
    template = MESSAGES.get(error_type, FALLBACK)
    try:
        return template.format(**context)
    except (KeyError, IndexError, ValueError):
        return re.sub(r"\{\w+\}", "…", template)


def where(location: Sequence[object]) -> str:
    """'请求体字段 rooms.0' for ("body", "rooms", 0): the place in Chinese, the field by its API name."""
    parts = [str(p) for p in location]
    if not parts:
        return "请求"
    place = PLACES.get(parts[0])
    if place is None:
        return "字段 " + ".".join(parts)
    return f"{place}字段 {'.'.join(parts[1:])}" if parts[1:] else place
