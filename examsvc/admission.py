"""Admission: at most ``request_concurrency`` requests at work at once, and never more than the
database pool can serve.

A synchronous endpoint hops between worker threads (its dependencies, the endpoint, the commit) while
it holds a pooled connection. Under a burst (a start storm) every thread can end up waiting for a
connection while every connection is held by a request waiting for a thread: nothing moves until the
pool's timeout fails them all. The gate admits a request only while a connection is sure to be free
and lets the rest wait here, in the event loop, where waiting costs no thread and no connection.
Fewer still is faster: the requests' database work runs in threads, and past a handful of them the
threads mostly wait for each other's turn at the GIL.

A slot is held only while the request works: its body is read before it is admitted (a practical
exam's evidence upload over a slow link must not hold up every save on its worker), and the slot is
given back when the response starts, because by then the transaction has committed (``db``: commit
before the response) and no route streams from the database. ``/healthz`` (liveness, no database)
is never held back.
"""

from __future__ import annotations

import asyncio
import json
import weakref

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from examsvc.errors import error_body
from examsvc.uploads import MAX_UPLOAD_BYTES, UploadTooLarge

# The deadline sweep and the checkpoint signer use the pool beside requests.
RESERVED_CONNECTIONS = 2
UNGATED_PATHS = frozenset({"/healthz"})


async def _too_large(send: Send) -> None:
    body = json.dumps(error_body(UploadTooLarge.code, UploadTooLarge.message), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": UploadTooLarge.status_code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, *, concurrency: int, pool_capacity: int) -> None:
        self.app = app
        self.slots = max(1, min(concurrency, pool_capacity - RESERVED_CONNECTIONS))
        # One gate per event loop: a test may serve the same app from several loops, one after the other.
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.slots)
            # Every admitted request must find a thread, with room for the ungated ones.
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.slots + 8)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNGATED_PATHS:
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away before its request was whole: nothing to do
            received.append(message)
            size += len(message.get("body", b""))
            if size > MAX_UPLOAD_BYTES:
                await _too_large(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        gate = self._gate()
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
