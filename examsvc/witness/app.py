"""The witness's HTTP service: ``POST /add-checkpoint`` (C2SP tlog-witness §add-checkpoint), nothing else.

A plain Starlette app (no examsvc settings, database or login): the spec has no authentication beyond
the log's signature on the checkpoint. Bodies are small (an old-size line, ≤ 63 hashes, a checkpoint),
so anything over 64 KiB is refused before it is read whole.
"""

from __future__ import annotations

import logging
import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from examsvc.tlog.witness_protocol import PATH, SIZE_CONTENT_TYPE, size_body
from examsvc.witness.keys import Witness
from examsvc.witness.service import Refusal, add_checkpoint

MAX_BODY_BYTES = 64 * 1024
TEXT = "text/plain; charset=utf-8"
logger = logging.getLogger("examsvc.witness")


async def _read_body(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def create_witness_app(witness: Witness) -> Starlette:
    async def add(request: Request) -> Response:
        body = await _read_body(request)
        if body is None:
            return PlainTextResponse("请求体过大\n", status_code=413, media_type=TEXT)
        try:
            # SQLite and Ed25519 work off the event loop; the store serialises writers itself.
            lines = await run_in_threadpool(add_checkpoint, witness, body, int(time.time()))
        except Refusal as refusal:
            logger.warning("add-checkpoint refused", extra={"status": refusal.status, "reason": refusal.message})
            if refusal.status == 409 and refusal.size is not None:
                # §add-checkpoint: the body is the latest cosigned size, Content-Type text/x.tlog.size.
                # Exactly that type: Starlette would append "; charset=utf-8" to a text/* media_type.
                return Response(size_body(refusal.size).encode(), status_code=409,
                                headers={"content-type": SIZE_CONTENT_TYPE})
            return PlainTextResponse(refusal.message + "\n", status_code=refusal.status, media_type=TEXT)
        return PlainTextResponse(lines, media_type=TEXT)

    return Starlette(routes=[Route(PATH, add, methods=["POST"])])
