"""Admission: at most ``request_concurrency`` requests at work at once, and never more than the
database pool can serve.

A synchronous endpoint hops between worker threads (its dependencies, the endpoint, the commit) while
it holds a pooled connection. Under a burst (a start storm) every thread can end up waiting for a
connection while every connection is held by a request waiting for a thread: nothing moves until the
pool's timeout fails them all. The gate admits a request only while a connection is sure to be free
and lets the rest wait here, in the event loop, where waiting costs no thread and no connection.
Fewer still is faster: the requests' database work runs in threads, and past a handful of them the
threads mostly wait for each other's turn at the GIL.
``/healthz`` (liveness, no database) is never held back.
"""

from __future__ import annotations

import asyncio
import weakref

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

# The deadline sweep and the checkpoint signer use the pool beside requests.
RESERVED_CONNECTIONS = 2
UNGATED_PATHS = frozenset({"/healthz"})


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
        async with self._gate():
            await self.app(scope, receive, send)
