"""Reading an uploaded file from the raw request body, refused past a size limit without reading it all.

Uploads (bank files, candidate lists) arrive as the request body with the file name in the query:
no multipart parser is needed, and the limit is checked before the body is held in memory. A route
that reads its body with ``upload_body`` is what admission (examsvc.admission) recognises as an upload
route: only such routes, and only from a caller presenting a credential, may receive more than
``EXAMSVC_MAX_BODY_BYTES``, up to ``MAX_UPLOAD_BYTES``. Bank imports read theirs with ``import_body``."""

from __future__ import annotations

from fastapi import Request

from examsvc.errors import ExamServiceError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadTooLarge(ExamServiceError):
    status_code = 413
    code = "too_large"
    message = f"上传的文件过大（不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB）。"


async def upload_body(request: Request) -> bytes:
    return await _read(request)


async def import_body(request: Request) -> bytes:
    """The body of a bank or practical bank import: an upload that admission also gives a share of its
    own (``EXAMSVC_IMPORT_CONCURRENCY``), apart from exam-day work."""
    return await _read(request)


async def _read(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise UploadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)
