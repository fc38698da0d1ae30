"""The log over HTTP: checkpoint and key (public), entries and proofs (auditors), and the same log as
C2SP tlog-tiles (hash tiles public, entry bundles auditors only; docs/audit-log.md)."""

from __future__ import annotations

import base64
import gzip
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from examsvc.audit import service, tiles, witnesses
from examsvc.audit.checkpoints import sign_if_grown
from examsvc.crypto.signed_note import verifier_of
from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role

router = APIRouter(prefix="/audit", tags=["audit"])
Auditor = Annotated[CurrentUser, Depends(require_roles(Role.AUDITOR))]
CheckpointRequester = Annotated[CurrentUser, Depends(require_roles(Role.AUDITOR, Role.SYSTEM_ADMIN))]
TEXT = "text/plain; charset=utf-8"


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProof(BaseModel):
    first: int
    second: int
    hashes: list[str]


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get("/checkpoint", response_class=PlainTextResponse,
            summary="The newest checkpoint cosigned by the witness quorum, cosignatures appended (public)",
            responses={200: {"content": {"text/plain": {}}}})
def checkpoint(request: Request, db_session: DbSession) -> PlainTextResponse:
    note = witnesses.cosigned_note(db_session=db_session, settings=request.app.state.settings)
    return PlainTextResponse(note, media_type=TEXT)


@router.get("/key", response_class=PlainTextResponse, summary="The log's verifier key (public)",
            responses={200: {"content": {"text/plain": {}}}})
def key(request: Request) -> PlainTextResponse:
    return PlainTextResponse(verifier_of(request.app.state.log_signer).vkey() + "\n", media_type=TEXT)


@router.post("/checkpoint", response_class=PlainTextResponse, summary="Sign a checkpoint now if the log has grown",
             responses={200: {"content": {"text/plain": {}}}})
def sign_now(_: CheckpointRequester, request: Request, db_session: DbSession) -> PlainTextResponse:
    signed = sign_if_grown(db_session=db_session, signer=request.app.state.log_signer)
    return PlainTextResponse(signed.note, media_type=TEXT)


@router.get("/entries", summary="Entry bytes of [start, end), one per line", response_class=Response,
            responses={200: {"content": {"application/x-ndjson": {}}}})
def entries(_: Auditor, db_session: DbSession, start: Annotated[int, Query(ge=0)],
            end: Annotated[int, Query(ge=0)]) -> Response:
    lines = service.entries(db_session=db_session, start=start, end=end)
    return Response(b"".join(line + b"\n" for line in lines), media_type="application/x-ndjson")


@router.get("/proofs/inclusion", response_model=InclusionProof, summary="RFC 6962 §2.1.1 inclusion proof")
def inclusion(_: Auditor, db_session: DbSession, index: Annotated[int, Query(ge=0)],
              tree_size: Annotated[int, Query(ge=1)]) -> InclusionProof:
    hashes = service.inclusion(db_session=db_session, index=index, tree_size=tree_size)
    return InclusionProof(index=index, tree_size=tree_size, hashes=_b64(hashes))


@router.get("/proofs/consistency", response_model=ConsistencyProof, summary="RFC 6962 §2.1.2 consistency proof")
def consistency(_: Auditor, db_session: DbSession, first: Annotated[int, Query(ge=1)],
                second: Annotated[int, Query(ge=1)]) -> ConsistencyProof:
    hashes = service.consistency(db_session=db_session, first=first, second=second)
    return ConsistencyProof(first=first, second=second, hashes=_b64(hashes))


# C2SP tlog-tiles. The entry-bundle route comes first: "entries" is not a level.
TILE_CACHE = "public, max-age=31536000, immutable"  # §Merkle Tree: immutable, long-lived caching


@router.get("/tile/entries/{rest:path}", summary="C2SP tlog-tiles entry bundle (auditors)", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def entry_bundle(_: Auditor, request: Request, db_session: DbSession, rest: str) -> Response:
    body = tiles.entries_tile(db_session=db_session, rest=rest)
    # §Log entries: "Entry bundles SHOULD be compressed at the HTTP layer."
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gzip.compress(body, 6), media_type="application/octet-stream",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(body, media_type="application/octet-stream", headers={"Vary": "Accept-Encoding"})


@router.get("/tile/{level:int}/{rest:path}", summary="C2SP tlog-tiles hash tile (public)", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def hash_tile(db_session: DbSession, level: int, rest: str) -> Response:
    body = tiles.hash_tile(db_session=db_session, level=level, rest=rest)
    return Response(body, media_type="application/octet-stream", headers={"Cache-Control": TILE_CACHE})
