"""Every error a client can get is explained in Chinese, never in English sentences (issue 16 item 18).

The catalogue is walked, not sampled: every pydantic error type our request schemas can raise (found by
walking each route's core schemas), the whole of pydantic_core's ErrorType list, and every message an
``ExamServiceError`` is raised with anywhere in examsvc (found by reading the source)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter
from pydantic_core.core_schema import ErrorType

import examsvc
from examsvc.errors import _HTTP_CODES, ExamServiceError
from examsvc.identity.access import api_routes
from examsvc.validation_text import _UNUSED, FALLBACK, MESSAGES, explain, where
from tests.builders import Actors

CJK = re.compile(r"[\u4e00-\u9fff]")
# Two English words in a row make a sentence ("Field required"); identifiers, codes, units and
# product names (SHA-256, X-Workstation-Token, CSV) stand alone.
ENGLISH = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")
# Sample context for rendering: every placeholder the table uses.
CONTEXT = {"min_length": 4, "max_length": 20, "pattern": "^[0-9]+$", "gt": 0, "ge": 1, "lt": 10, "le": 9,
           "multiple_of": 5, "expected": "'pause', 'resume' or 'extra-time'", "error": "Expecting value"}


def _chinese(text: str, what: str) -> None:
    assert CJK.search(text), f"{what}: no Chinese in {text!r}"
    assert not ENGLISH.search(text), f"{what}: English in {text!r}"


def test_every_pydantic_error_type_has_chinese_text() -> None:
    catalogue = set(typing.get_args(ErrorType))
    assert len(catalogue) > 100
    assert catalogue <= set(MESSAGES), f"untranslated: {sorted(catalogue - set(MESSAGES))}"
    assert set(MESSAGES) <= catalogue, f"not pydantic error types: {sorted(set(MESSAGES) - catalogue)}"
    for error_type in catalogue:
        _chinese(explain(error_type, CONTEXT), error_type)
    _chinese(explain("a_type_from_a_future_pydantic"), "fallback")
    assert explain("literal_error", CONTEXT) == "应为以下之一：'pause'、'resume'、'extra-time'"
    assert explain("value_error", {"error": ValueError("Some English reason")}) == "值无效"
    assert where(["body", "rooms", 0]) == "请求体字段 rooms.0" and where(["query", "sitting"]) == "查询参数字段 sitting"


# Core-schema node → the error types it can raise; constraint keys add their own.
RAISES = {
    "str": {"string_type"}, "int": {"int_type", "int_parsing", "int_from_float"}, "bool": {"bool_type", "bool_parsing"},
    "float": {"float_type", "float_parsing"}, "list": {"list_type"}, "dict": {"dict_type"},
    "model-fields": {"missing", "model_attributes_type"}, "model": {"model_type"}, "literal": {"literal_error"},
    "enum": {"enum"}, "datetime": {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"},
    "date": {"date_type", "date_parsing", "date_from_datetime_inexact", "date_from_datetime_parsing"},
    "function-after": {"value_error"}, "function-before": {"value_error"}, "function-plain": {"value_error"},
    "bytes": {"bytes_type"}, "union": set(), "nullable": {"none_required"}, "default": set(), "definitions": set(),
    "definition-ref": set(), "any": set(), "json-or-python": set(), "tagged-union": {"union_tag_invalid"},
}
CONSTRAINTS = {"min_length": {"string_too_short", "too_short"}, "max_length": {"string_too_long", "too_long"},
               "pattern": {"string_pattern_mismatch"}, "ge": {"greater_than_equal"}, "gt": {"greater_than"},
               "le": {"less_than_equal"}, "lt": {"less_than"}, "multiple_of": {"multiple_of"}}


def _raised(schema: Any, seen: set[int]) -> Iterator[str]:
    if isinstance(schema, dict):
        if id(schema) in seen:
            return
        seen.add(id(schema))
        kind = schema.get("type")
        if isinstance(kind, str) and kind in RAISES:
            yield from RAISES[kind]
            for key, types in CONSTRAINTS.items():
                if key in schema:
                    yield from types
            if kind == "datetime" and schema.get("tz_constraint") == "aware":
                yield "timezone_aware"
        for value in schema.values():
            yield from _raised(value, seen)
    elif isinstance(schema, list):
        for value in schema:
            yield from _raised(value, seen)


def _request_schemas(app: FastAPI) -> Iterator[Any]:
    """The core schema of every path, query and header parameter and every body of every route."""
    for _, _, route in api_routes(app):
        fields = [*route.dependant.path_params, *route.dependant.query_params, *route.dependant.header_params]
        if route.body_field is not None:
            fields.append(route.body_field)
        for field in fields:
            info = field.field_info
            yield TypeAdapter(typing.Annotated[info.annotation, info]).core_schema


def test_every_error_type_our_request_schemas_can_raise_has_its_own_chinese_text(app: FastAPI) -> None:
    raised: set[str] = {"json_invalid", "missing"}
    for schema in _request_schemas(app):
        raised |= set(_raised(schema, set()))
    assert {"string_too_short", "timezone_aware", "literal_error", "enum", "greater_than_equal"} <= raised
    for error_type in raised:
        assert MESSAGES.get(error_type) not in (None, FALLBACK, _UNUSED), f"{error_type} has no text of its own"


def _all_error_classes() -> set[type[ExamServiceError]]:
    for module in pkgutil.walk_packages(examsvc.__path__, "examsvc."):
        if module.name not in ("examsvc.__main__", "examsvc.asgi"):  # these run the program when imported
            importlib.import_module(module.name)
    found: set[type[ExamServiceError]] = set()
    pending: list[type[ExamServiceError]] = [ExamServiceError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def _raised_messages(names: set[str]) -> Iterator[tuple[str, str, bool]]:
    """(where, text) for every literal message an error class is constructed with in examsvc's source."""
    for path in Path(examsvc.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in names:
                continue
            given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "message")]
            for argument in given:
                parts = ([argument.value] if isinstance(argument, ast.Constant) else
                         [v.value for v in argument.values if isinstance(v, ast.Constant)]
                         if isinstance(argument, ast.JoinedStr) else [])
                text = "".join(str(p) for p in parts)
                if text:
                    # An f-string's own text may be only punctuation around a shared phrase (limits.py).
                    yield f"{path.name}:{node.lineno}", text, isinstance(argument, ast.Constant)


def test_every_registered_error_and_every_raised_message_is_chinese() -> None:
    classes = _all_error_classes()
    assert len(classes) >= 8
    for cls in classes:
        _chinese(cls.message, f"{cls.__module__}.{cls.__name__}")
    for _, message in _HTTP_CODES.values():
        _chinese(message, "HTTP error")
    checked = 0
    for where_raised, text, whole in _raised_messages({cls.__name__ for cls in classes}):
        if whole:
            _chinese(text, where_raised)
        assert not ENGLISH.search(text), f"{where_raised}: English in {text!r}"
        checked += 1
    assert checked >= 150


def test_a_422_explains_each_field_in_chinese_and_names_where(actors: Actors) -> None:
    admin = actors.user_with("exam_admin")  # type: ignore[arg-type]
    response = actors.client.post("/sittings", headers=admin, json={
        "code": "S", "title": "", "site_code": "TY-01", "rooms": [], "scheduled_start": "2027-01-10T09:00:00",
        "late_entry_minutes": -1})
    assert response.status_code == 422
    body = response.json()
    problems = {tuple(f["location"]): f for f in body["detail"]["fields"]}
    assert problems[("body", "scheduled_start")]["problem"] == "timezone_aware"
    assert problems[("body", "scheduled_start")]["explanation"] == "日期时间须带时区，如 +08:00 或 Z"
    assert problems[("body", "rooms")]["explanation"] == "至少 1 项"
    assert problems[("body", "late_entry_minutes")]["explanation"] == "应不小于 0"
    for field in body["detail"]["fields"]:
        _chinese(field["explanation"], str(field["location"]))
    _chinese(body["message"], "message")
    assert body["message"].startswith("提交的数据有误：请求体字段 ")
    assert "Field required" not in response.text and "Input should" not in response.text
    missing = actors.client.post("/auth/login", json={})
    assert missing.json()["detail"]["fields"][0]["explanation"] == "缺少必填项"
    broken = actors.client.post("/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    _chinese(broken.json()["detail"]["fields"][0]["explanation"], "json_invalid")
