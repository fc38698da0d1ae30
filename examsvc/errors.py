"""One error shape for every failure: ``{"error": code, "message": text, "detail": {...}}``.

``error`` is a stable English code a client can branch on; ``message`` is Simplified Chinese for the
examiner or administrator in front of the screen; ``detail`` names what is wrong and where. Messages
and details never carry question content, secrets, SQL or stack traces.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only the HTTP handlers below need these; the CLI imports this module for its errors alone, and
    # FastAPI and psycopg cost it most of a second (startup time, issue 16 item 21).
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

from examsvc.validation_text import explain, where


class ExamServiceError(Exception):
    status_code = 400
    code = "bad_request"
    message = "请求无效。"
    # When true, the request's transaction is committed although the request fails.
    keep_changes = False

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 detail: dict[str, Any] | None = None, status_code: int | None = None,
                 keep_changes: bool = False) -> None:
        self.keep_changes = keep_changes
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.detail = detail or {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)


class NotAuthenticated(ExamServiceError):
    status_code = 401
    code = "not_authenticated"
    message = "未登录或登录已失效，请重新登录。"


class Forbidden(ExamServiceError):
    status_code = 403
    code = "forbidden"
    message = "当前账号无权执行此操作。"


class HandedOver(ExamServiceError):
    """The token's device is handed to a person taking a spot exam (examsvc.spot): locked until the
    officer unlocks it with their password."""

    status_code = 423
    code = "device_handed_over"
    message = "本设备已交给受检人员作答，执法人员功能已锁定；作答结束后请执法人员输入本人密码解锁。"


class NotFound(ExamServiceError):
    status_code = 404
    code = "not_found"
    message = "请求的对象不存在。"


class Conflict(ExamServiceError):
    status_code = 409
    code = "conflict"
    message = "操作与当前状态冲突。"


class InvalidInput(ExamServiceError):
    status_code = 422
    code = "invalid_input"
    message = "提交的数据有误。"


class TooManyAttempts(ExamServiceError):
    status_code = 429
    code = "locked_out"
    message = "登录失败次数过多，账号已暂时锁定，请稍后再试。"


_HTTP_CODES = {
    400: (ExamServiceError.code, ExamServiceError.message),
    401: (NotAuthenticated.code, NotAuthenticated.message),
    403: (Forbidden.code, Forbidden.message),
    404: ("not_found", "请求的地址不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    413: ("too_large", "提交的内容过大。"),
    415: ("unsupported_media_type", "不支持的内容类型。"),
}


def error_body(code: str, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "detail": detail or {}}


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    from fastapi.responses import JSONResponse

    return JSONResponse(status_code=status, content=body, headers=headers)


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ExamServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return _response(exc.status_code, error_body(exc.code, exc.message, exc.detail), headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    from starlette.exceptions import HTTPException as StarletteHTTPException

    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "请求无法处理。"))
    return _response(exc.status_code, error_body(code, message), getattr(exc, "headers", None))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    from fastapi.exceptions import RequestValidationError

    assert isinstance(exc, RequestValidationError)
    # The rejected input is deliberately not echoed: it may hold a password or question text. pydantic's
    # English message is replaced by Chinese text chosen by the error's type (validation_text).
    fields = [
        {"location": [str(part) for part in err.get("loc", ())], "problem": err.get("type", "invalid"),
         "explanation": explain(str(err.get("type", "")), err.get("ctx"))}
        for err in exc.errors()
    ]
    message = "提交的数据有误，请按提示修改。"
    if fields:
        first = fields[0]
        more = f"（共 {len(fields)} 处）" if len(fields) > 1 else ""
        message = f"提交的数据有误：{where(first['location'])}{first['explanation']}{more}。"
    return _response(422, error_body("invalid_input", message, {"fields": fields}))


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    # The database restarts or is unreachable. Almost always nothing was committed; a failure during
    # COMMIT itself cannot tell. Either way the same request can be sent again: a save is idempotent
    # by seq, and any other action answers a repeat with the conflict it causes. The log keeps the
    # exception's type only; its text may quote parameters.
    logging.getLogger("examsvc.errors").warning("database unavailable",
                                                extra={"exception_type": type(exc).__name__})
    return _response(503, error_body("database_unavailable", "数据库暂时不可用，请稍后重试。"),
                     headers={"Retry-After": "1"})


_OUT_OF_RANGE = error_body("out_of_range", "提交的编号或数值超出范围，不可能存在这样的对象。")


async def _integer_overflow(_: Request, exc: Exception) -> JSONResponse:
    # An id too large for its column, in a path or a body, reaches the driver: SQLite's refuses to bind
    # one past 64 bits (OverflowError), PostgreSQL one past the column's integer type
    # (numeric_value_out_of_range). It names nothing that can exist: 422, not 500. Any other overflow
    # is a fault and stays one.
    import psycopg
    from sqlalchemy.exc import DataError

    if isinstance(exc, OverflowError) and "SQLite INTEGER" not in str(exc):
        raise exc
    if isinstance(exc, DataError) and not isinstance(exc.orig, psycopg.errors.NumericValueOutOfRange):
        raise exc
    return _response(422, _OUT_OF_RANGE)


def install_error_handlers(app: FastAPI) -> None:
    import psycopg
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import DataError, InterfaceError, OperationalError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.add_exception_handler(OverflowError, _integer_overflow)
    app.add_exception_handler(DataError, _integer_overflow)
    app.add_exception_handler(psycopg.errors.NumericValueOutOfRange, _integer_overflow)  # saves on the loop
    app.add_exception_handler(ExamServiceError, _service_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    # The same from psycopg itself, where a save runs on the event loop (attempts.autosave).
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(psycopg.InterfaceError, _database_unavailable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error", "type": "object", "required": ["error", "message", "detail"],
    "description": "Every failure: a stable English code, a Chinese message, and what is wrong and where.",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "detail": {"type": "object"}},
}


def describe_errors(document: dict[str, Any]) -> None:
    """The OpenAPI document describes the error shape examsvc really sends: FastAPI's own 422 schema
    (``HTTPValidationError``) is replaced by ``Error``, and 401/403/404/409/503 are listed on every route.
    Run by ``examsvc.openapi`` with the document's other corrections."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in (("401", "Not authenticated"), ("403", "Forbidden"),
                                        ("404", "Not found"), ("409", "Conflict with the current state"),
                                        ("422", "Invalid input (each field's problem explained in Chinese)"),
                                        ("503", "The database is unavailable; send the request again")):
                responses[status] = {"description": description, "content": error}
