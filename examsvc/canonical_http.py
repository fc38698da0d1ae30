"""A signed document's exact canonical bytes over HTTP (issue 16 item 6).

What a chief examiner signs is a digest; the JSON body of a read is a convenience made from the stored
document, and its bytes are not the signed ones. ``GET …/canonical`` answers the stored RFC 8785
bytes themselves, so a client can hash exactly what was digested and signed. The digest is given in
two headers: ``X-Document-Digest`` (lower-case hex, as in the ``digest`` field and the approval note)
and ``Repr-Digest`` (RFC 9530, ``sha-256=:<base64>:``), both of the body as sent.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import Response

DIGEST_HEADER = "X-Document-Digest"

CANONICAL_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "The stored RFC 8785 bytes, exactly as digested and signed",
    "content": {"application/json": {"schema": {"type": "object"}}},
    "headers": {
        DIGEST_HEADER: {"description": "SHA-256 of the body, lower-case hex (the document's `digest`)",
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        "Repr-Digest": {"description": "RFC 9530: sha-256=:<base64 of the SHA-256 of the body>:",
                        "schema": {"type": "string"}},
    },
}}


def canonical_response(document: str) -> Response:
    body = document.encode("utf-8")
    digest = hashlib.sha256(body).digest()
    return Response(content=body, media_type="application/json", headers={
        DIGEST_HEADER: digest.hex(), "Repr-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:"})
