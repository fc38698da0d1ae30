"""Admission: what a request may send, and how many requests work at once.

**Work.** At most ``request_concurrency`` requests at work at once, and never more than the database
pool can serve. A synchronous endpoint hops between worker threads (its dependencies, the endpoint, the
commit) while it holds a pooled connection. Under a burst (a start storm) every thread can end up
waiting for a connection while every connection is held by a request waiting for a thread: nothing
moves until the pool's timeout fails them all. The gate admits a request only while a connection is
sure to be free and lets the rest wait here, in the event loop, where waiting costs no thread and no
connection. Fewer still is faster: the requests' database work runs in threads, and past a handful of
them the threads mostly wait for each other's turn at the GIL.

Bank and practical bank imports (their body is read with ``uploads.import_body``) pass a gate of
their own too, of ``import_concurrency`` (1) per worker (issue 17 item 5): parsing and validating a
50 MB workbook takes seconds of CPU and is no exam-day work. Past ``import_queue`` waiting, another
import gets 503 at once with a message saying an import is under way.

Routes that check a password or passphrase (their body has such a field: login, password change,
user creation, every signature with an examiner's key) pass a gate of their own instead, of
``credential_concurrency`` (1) per worker: each costs ~0.4 s of scrypt and 128 MiB, and eight
anonymous login loops must not take the slots saves need (issue 14 item 8). Past
``credential_queue`` waiting, such a request gets 503 at once.

A slot is held only while the request works: its body is read before it is admitted (a practical
exam's evidence upload over a slow link must not hold up every save on its worker), and the slot is
given back when the response starts, because by then the transaction has committed (``db``: commit
before the response) and no route streams from the database. ``/healthz`` (liveness, no database)
is never held back.

**Bodies** (issue 14 item 9: 60 slow anonymous connections once held 2.7 GB here). Every body is
limited to ``max_body_bytes`` (64 KiB), refused with 413 before it is read when its length is declared,
and as soon as it grows past the limit otherwise. Only the upload routes (those that read
``uploads.upload_body``) take up to ``MAX_UPLOAD_BYTES``, and only from a caller presenting a
credential (a bearer token or a workstation's header; the route then checks it). A body must arrive
within ``body_read_timeout_seconds`` (an upload: ``upload_read_timeout_seconds``), else 408 and the
connection is closed (slow-loris). At most ``max_body_reads`` bodies are received at once per worker,
of them ``max_upload_reads`` large ones; past either, 503 at once. So the bodies a worker holds are
bounded by ``max_body_reads × max_body_bytes + max_upload_reads × MAX_UPLOAD_BYTES``.
"""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from examsvc.config import Settings
from examsvc.errors import error_body
from examsvc.identity.browser import STAFF_COOKIE
from examsvc.uploads import MAX_UPLOAD_BYTES, import_body, upload_body

# The deadline sweep and the checkpoint signer use the pool beside requests.
RESERVED_CONNECTIONS = 2
UNGATED_PATHS = frozenset({"/healthz"})
# A body field by one of these names is hashed with scrypt by the route.
CREDENTIAL_FIELDS = frozenset({"password", "current_password", "new_password", "passphrase"})


@dataclass(frozen=True)
class _RouteKinds:
    uploads: tuple[tuple[str, re.Pattern[str]], ...]
    credentials: tuple[tuple[str, re.Pattern[str]], ...]
    imports: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @staticmethod
    def _matches(table: tuple[tuple[str, re.Pattern[str]], ...], method: str, path: str) -> bool:
        return any(m == method and pattern.match(path) for m, pattern in table)

    def is_upload(self, method: str, path: str) -> bool:
        return self._matches(self.uploads, method, path)

    def checks_credentials(self, method: str, path: str) -> bool:
        return self._matches(self.credentials, method, path)

    def is_import(self, method: str, path: str) -> bool:
        return self._matches(self.imports, method, path)


CHECKS_CREDENTIALS = "examsvc_checks_credentials"
STAFF_COOKIE_PREFIX = f"{STAFF_COOKIE}=".encode()
T = TypeVar("T")


def checks_credentials(endpoint: T) -> T:
    """Marks a route that checks a password without a pydantic body (a page's form): it queues with
    the other credential checks."""
    setattr(endpoint, CHECKS_CREDENTIALS, True)
    return endpoint


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _body_field_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    for param in (p for d in _dependants(route.dependant) for p in d.body_params):
        names.add(param.name)
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(annotation.model_fields)
    return names


def classify_routes(app: Any) -> _RouteKinds:
    """The upload routes and the credential-checking routes of ``app``, read from its route table (so a
    new route is classified by what it reads, not by a list someone must remember to extend)."""
    uploads, credentials, imports = [], [], []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute) or not context.path:
            continue
        pattern = re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", context.path) + "$")
        for method in sorted(context.methods or ()):
            calls = {d.call for d in _dependants(route.dependant)}
            if upload_body in calls or import_body in calls:
                uploads.append((method, pattern))
            if import_body in calls:
                imports.append((method, pattern))
            if CREDENTIAL_FIELDS & _body_field_names(route) or getattr(route.endpoint, CHECKS_CREDENTIALS, False):
                credentials.append((method, pattern))
    return _RouteKinds(tuple(uploads), tuple(credentials), tuple(imports))


def _has_credential(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"x-workstation-token" and value:
            return True
        if name == b"authorization" and value[:7].lower() == b"bearer " and len(value) > 7:
            return True
        # The staff console's login cookie (an exam admin uploading a candidate list from the page).
        if name == b"cookie" and STAFF_COOKIE_PREFIX in value:
            return True
    return False


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(send: Send, status: int, code: str, message: str, detail: dict[str, Any],
                  close: bool = True) -> None:
    body = json.dumps(error_body(code, message, detail), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    if close:  # the rest of the body was not read: the connection cannot carry another request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    shown = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    await _refuse(send, 413, "too_large", f"提交的内容过大（不超过 {shown}）。", {"limit_bytes": limit})


async def _busy(send: Send, what: str) -> None:
    await _refuse(send, 503, "server_busy", "服务器繁忙，请稍后重试。", {"busy": what})


class _Gates:
    """One event loop's semaphores (a test may serve the same app from several loops in turn)."""

    def __init__(self, work: int, credentials: int, imports: int, body_reads: int, upload_reads: int) -> None:
        self.work = asyncio.Semaphore(work)
        self.credentials = asyncio.Semaphore(credentials)
        self.credentials_waiting = 0
        self.imports = asyncio.Semaphore(imports)
        self.imports_waiting = 0
        self.body_reads = body_reads
        self.upload_reads = upload_reads


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, pool_capacity: int) -> None:
        self.app = app
        self.settings = settings
        self.credential_slots = settings.credential_concurrency
        self.import_slots = settings.import_concurrency
        self.slots = max(1, min(settings.request_concurrency,
                                pool_capacity - RESERVED_CONNECTIONS - self.credential_slots - self.import_slots))
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gates] = weakref.WeakKeyDictionary()
        self._kinds: _RouteKinds | None = None

    def _gates_here(self) -> _Gates:
        loop = asyncio.get_running_loop()
        gates = self._gates.get(loop)
        if gates is None:
            gates = self._gates[loop] = _Gates(self.slots, self.credential_slots, self.import_slots,
                                               self.settings.max_body_reads, self.settings.max_upload_reads)
            # Every admitted request must find a thread, with room for the ungated ones.
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens,
                                       self.slots + self.credential_slots + self.import_slots + 8)
        return gates

    def _route_kinds(self, scope: Scope) -> _RouteKinds:
        if self._kinds is None:
            self._kinds = classify_routes(scope["app"])
        return self._kinds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGATED_PATHS:
            await self.app(scope, receive, send)
            return
        gates = self._gates_here()
        kinds = self._route_kinds(scope)
        method, path = scope["method"], scope["path"]
        large = kinds.is_upload(method, path) and _has_credential(scope)
        limit = MAX_UPLOAD_BYTES if large else self.settings.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        received = await self._read_body(gates, scope, receive, send, limit, large, declared)
        if received is None:
            return  # refused, or the client went away before its request was whole

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        if kinds.checks_credentials(method, path):
            if gates.credentials_waiting >= self.settings.credential_queue:
                await _busy(send, "credential_checks")
                return
            gate = gates.credentials
            gates.credentials_waiting += 1
            try:
                await gate.acquire()
            finally:
                gates.credentials_waiting -= 1
        elif kinds.is_import(method, path):
            gate = gates.imports
            if gate.locked() and gates.imports_waiting >= self.settings.import_queue:
                await _refuse(send, 503, "server_busy", "已有题库文件正在导入，请稍后重试。", {"busy": "imports"},
                              close=False)
                return
            gates.imports_waiting += 1
            try:
                await gate.acquire()
            finally:
                gates.imports_waiting -= 1
        else:
            gate = gates.work
            await gate.acquire()
        held = True

        async def send_and_release(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and held:
                held = False
                gate.release()
            await send(message)

        try:
            await self.app(scope, replay, send_and_release)
        finally:
            if held:
                gate.release()

    async def _read_body(self, gates: _Gates, scope: Scope, receive: Receive, send: Send, limit: int,
                         large: bool, declared: int | None) -> list[Message] | None:
        """The whole body as received messages, within the limit and the time allowed; None once a
        refusal was sent (or the client left)."""
        if declared == 0 or (declared is None and not any(n == b"transfer-encoding" for n, _ in scope["headers"])):
            message = await receive()  # no body: nothing to wait for, nothing to hold
            return None if message["type"] == "http.disconnect" else [message]
        if gates.body_reads <= 0 or (large and gates.upload_reads <= 0):
            await _busy(send, "uploads" if large else "request_bodies")
            return None
        gates.body_reads -= 1
        gates.upload_reads -= 1 if large else 0
        try:
            return await self._receive_within(scope, receive, send, limit, large)
        finally:
            gates.body_reads += 1
            gates.upload_reads += 1 if large else 0

    async def _receive_within(self, scope: Scope, receive: Receive, send: Send, limit: int,
                              large: bool) -> list[Message] | None:
        allowed = self.settings.upload_read_timeout_seconds if large else self.settings.body_read_timeout_seconds
        loop = asyncio.get_running_loop()
        deadline = loop.time() + allowed
        received: list[Message] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - loop.time()))
            except TimeoutError:
                await _refuse(send, 408, "request_timeout", "请求内容传输超时，请重试。",
                              {"timeout_seconds": allowed})
                return None
            if message["type"] == "http.disconnect":
                return None
            received.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(send, limit)
                return None
            if not message.get("more_body", False):
                return received
