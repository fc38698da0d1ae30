"""Structured (JSON lines) logging and the request id.

Every request gets an id (the client's ``X-Request-ID`` when it is a short safe token, else a new one),
returned in the ``X-Request-ID`` header and attached to every log line written while serving it.
Request log lines carry the method, the route template (not the raw path) and the status: never a
query string, a header, a body, a token or question text.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

from examsvc.errors import error_body

_request_id: ContextVar[str | None] = ContextVar("examsvc_request_id", default=None)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
REQUEST_ID_HEADER = "X-Request-ID"

access_logger = logging.getLogger("examsvc.access")

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is emitted.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}


def current_request_id() -> str | None:
    return _request_id.get()


class _AuditIndices:
    """Log entries written while serving a request: pending until its transaction commits."""

    __slots__ = ("confirmed", "pending")

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.confirmed: list[int] = []


_audit_entries: ContextVar[_AuditIndices | None] = ContextVar("examsvc_audit_entries", default=None)
AUDIT_ENTRY_HEADER = "Audit-Entry"


def remember_audit_entry(index: int) -> None:
    box = _audit_entries.get()
    if box is not None:
        box.pending.append(index)


def confirm_audit_entries() -> None:
    """Called once the request's transaction committed: its entries exist and can be announced."""
    box = _audit_entries.get()
    if box is not None:
        box.confirmed.extend(box.pending)
        box.pending.clear()


def discard_audit_entries() -> None:
    box = _audit_entries.get()
    if box is not None:
        box.pending.clear()


def new_request_id() -> str:
    return secrets.token_hex(8)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would print raw paths with query strings; ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class RequestContextMiddleware:
    """Pure ASGI middleware: sets the request id, logs one line per request, renders crashes as 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    async def on_unexpected_error(exc: Exception, send: Send) -> None:
        # The log keeps the exception type and the frames, not the exception's text: a database
        # error's text quotes the SQL parameters, which may be question content or a secret.
        logging.getLogger("examsvc.errors").error("unhandled error", extra={
            "exception_type": type(exc).__name__,
            "traceback": "".join(traceback.format_tb(exc.__traceback__)),
        })
        body = json.dumps(error_body("internal_error", "服务器内部错误，请联系考试系统管理员。",
                                     {"request_id": current_request_id()}), ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 500,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        token = _request_id.set(request_id)
        audit_box = _AuditIndices()
        audit_token = _audit_entries.set(audit_box)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode("ascii")))
                if audit_box.confirmed:
                    # The index of each log entry this request wrote, for a later inclusion proof.
                    headers.append((AUDIT_ENTRY_HEADER.lower().encode(),
                                    ",".join(map(str, audit_box.confirmed)).encode("ascii")))
                message["headers"] = headers
            await send(message)

        response_started = False

        async def send_tracking(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            # Handled here rather than by Starlette's outermost error middleware, so that the 500
            # still carries the request id and the one error shape.
            if response_started:
                raise
            await self.on_unexpected_error(exc, send_tracking)
        finally:
            route = scope.get("route")
            access_logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "route": getattr(route, "path", None) or "(unmatched)",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "principal": scope.get("state", {}).get("principal_label"),
                },
            )
            _request_id.reset(token)
            _audit_entries.reset(audit_token)
