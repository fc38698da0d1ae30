"""The pages' static files: read once, served with a content hash as ETag, gzip when the browser takes it.

URLs carry the hash (``/static/exam.js?v=…``), so a file may be cached for a year (``immutable``): a new
release changes the URL. A conditional request with the same ETag answers 304 without a body."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from examsvc.errors import NotFound

FOLDER = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str


def _load() -> dict[str, Asset]:
    found = {}
    for path in sorted(FOLDER.iterdir()):
        if path.suffix in TYPES:
            body = path.read_bytes()
            found[path.name] = Asset(body=body, gzipped=gzip.compress(body, 9, mtime=0),
                                     etag=hashlib.sha256(body).hexdigest()[:20], media_type=TYPES[path.suffix])
    return found


ASSETS = _load()


def url(name: str) -> str:
    return f"/static/{name}?v={ASSETS[name].etag}"


router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
def asset(name: str, request: Request) -> Response:
    found = ASSETS.get(name)
    if found is None:
        raise NotFound("没有这个文件。", code="static_not_found", detail={"name": name})
    headers = {"ETag": f'"{found.etag}"', "Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match", "").strip() in (f'"{found.etag}"', f'W/"{found.etag}"'):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(found.gzipped, media_type=found.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(found.body, media_type=found.media_type, headers=headers)
