"""Security headers on every response, set in one place (a pure ASGI middleware, cheap on the hot path).

- ``X-Content-Type-Options: nosniff``: a browser never guesses a type (an uploaded file served as
  ``image/jpeg`` stays an image even if it holds HTML).
- ``Referrer-Policy: no-referrer``: tokens and sitting codes in URLs never leave in a Referer.
- ``Cache-Control: no-store`` on every API response (logins, enrolment credentials, check-in codes,
  candidate sessions, papers): no proxy or browser keeps a copy. The public checkpoint and key may be
  cached briefly: anyone may keep and compare them, and monitors poll them.
- ``Content-Security-Policy``: JSON gets ``default-src 'none'``; the printable room record (HTML with
  an inline style sheet) may use its inline style and nothing else; the API documentation pages load
  their scripts from the CDN FastAPI names. The workstation's pages and the staff console (``/ws``,
  ``/staff``, ``/static``, the public ``/verify``) load their own
  scripts and style sheet from this origin and nothing inline (``PAGE_CSP``). A response that set its
  own policy keeps it.
- Static files set their own long ``Cache-Control`` (their URLs carry a content hash).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_CACHEABLE = frozenset({"/audit/checkpoint", "/audit/key"})
PUBLIC_CACHE_CONTROL = b"public, max-age=5"
JSON_CSP = b"default-src 'none'; frame-ancestors 'none'"
HTML_CSP = (b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
            b"frame-ancestors 'none'")
# FastAPI's Swagger UI and ReDoc pages: an inline bootstrap script, assets from jsdelivr, the schema from here.
DOCS_CSP = (b"default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            b"font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
            b"https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
# The workstation's pages: scripts, styles and calls to this origin only; no inline script or style.
PAGE_CSP = (b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PAGE_PREFIXES = ("/ws", "/static/", "/staff", "/verify")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_security_headers(list(message.get("headers", ())), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_security_headers(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower(): value for name, value in headers}
    added = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
    if b"cache-control" not in present:
        added.append((b"cache-control", PUBLIC_CACHE_CONTROL if path in PUBLIC_CACHEABLE else b"no-store"))
    if b"content-security-policy" not in present:
        if path in DOCS_PATHS:
            added.append((b"content-security-policy", DOCS_CSP))
        elif path.startswith(PAGE_PREFIXES):
            added.append((b"content-security-policy", PAGE_CSP))
        elif present.get(b"content-type", b"").startswith(b"text/html"):
            added.append((b"content-security-policy", HTML_CSP))
        else:
            added.append((b"content-security-policy", JSON_CSP))
    return [*[(n, v) for n, v in headers if n.lower() not in (b"x-content-type-options", b"referrer-policy")], *added]
