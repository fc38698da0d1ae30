"""The public check of a certificate (``/verify``): no login, a plain form that works without JavaScript.

The QR text (pasted, or scanned by ``static/verify.js`` where the browser has a camera and
``BarcodeDetector``) goes to ``certificates.verify.verify_text``; the fallback, the number and the name typed
from the card, to ``certificates.verify.lookup``. The page shows the verdict as those return it and adds
nothing: no ID number, the holder's name masked. ``static/verify.js`` checks the log's inclusion proof again
in the browser (``tlog-verify.js``). Rate-limited per client (``app.state.verify_limiter``), as the JSON
route ``POST /certificates/verify`` is; every input gets a page, never a 500."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from examsvc.candidates.id_number import InvalidIdNumber, parse_id_number
from examsvc.certificates.ratelimit import RateLimiter, VerifyRateLimited
from examsvc.certificates.rules import Standing
from examsvc.certificates.signed_form import MAX_TEXT_CHARS
from examsvc.certificates.verify import Verdict, lookup, verify_text
from examsvc.crypto.signed_note import verifier_of
from examsvc.db import in_request_transaction
from examsvc.dependencies import get_settings
from examsvc.identity.endpoints import client_address
from examsvc.web import static
from examsvc.web.pages import ENV

router = APIRouter(include_in_schema=False)

MAX_FIELDS = 8  # the forms post at most five; more is not this page's form
MAX_ID_CHARS = 18
MAX_NUMBER_CHARS = 24
MAX_NAME_CHARS = 40

# Colour is never the only sign: each standing has its own mark and its words.
MARKS = {Standing.VALID: "✓", Standing.EXPIRED: "！", Standing.REVIEW_OVERDUE: "！", Standing.REVOKED: "✗",
         Standing.UNVERIFIABLE: "⚠"}
TONES = {Standing.VALID: "ok", Standing.EXPIRED: "warn", Standing.REVIEW_OVERDUE: "warn", Standing.REVOKED: "bad",
         Standing.UNVERIFIABLE: "bad"}
CARD_LABELS = (("number", "证号"), ("sequence", "版次"), ("kind", "证书类别"), ("item", "作业项目"),
               ("holder", "持证人（姓名已部分隐藏）"), ("issued_on", "签发日期"), ("expires_on", "有效期至"),
               ("review_due", "复审期限"), ("current_expires_on", "现有效期至（发证记录）"),
               ("current_review_due", "现复审期限（发证记录）"), ("issuer", "签发机关标识"))


class FormInputError(ValueError):
    """A field the page's form could not have sent; the message is shown as is."""


@dataclass(frozen=True)
class Asked:
    how: str  # "qr" or "number"
    text: str = ""
    id_number: str = ""
    number: str = ""
    name: str = ""


def _bounded(fields: dict[str, str], name: str, limit: int, what: str) -> str:
    value = fields.get(name, "").strip()
    if len(value) > limit:
        raise FormInputError(f"{what}过长（不超过 {limit} 个字符）。")
    return value


def read_form(body: bytes) -> Asked:
    try:
        parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    except ValueError:
        raise FormInputError("提交的内容不是本页的表单。") from None
    fields = {k: v[0] for k, v in parsed.items()}
    if fields.get("how") == "number":
        number = _bounded(fields, "number", MAX_NUMBER_CHARS, "证号")
        name = _bounded(fields, "name", MAX_NAME_CHARS, "姓名")
        if not number or not name:
            raise FormInputError("请填写证号和姓名。")
        return Asked("number", number=number, name=name)
    text = _bounded(fields, "text", MAX_TEXT_CHARS, "二维码内容")
    if not text:
        raise FormInputError("请粘贴或扫描证书二维码的内容。")
    id_number = _bounded(fields, "id_number", MAX_ID_CHARS, "身份证号")
    if id_number:
        try:
            id_number = parse_id_number(id_number).value
        except InvalidIdNumber as exc:
            raise FormInputError(str(exc)) from None
    return Asked("qr", text=text, id_number=id_number)


def card_rows(verdict: Verdict) -> list[tuple[str, str]]:
    card = verdict.card
    rows = []
    for key, label in CARD_LABELS:
        value = card.get(key)
        if value is None or value == "":
            continue
        if key == "item" and card.get("item_name"):
            value = f"{value} {card['item_name']}"
        elif key == "sequence":
            value = f"第 {value} 版"
        rows.append((label, str(value)))
    return rows


def render_page(request: Request, *, status_code: int = 200, asked: Asked | None = None,
                verdict: Verdict | None = None, error: str = "") -> HTMLResponse:
    proof = verdict.proof if verdict is not None else None
    context: dict[str, Any] = {
        "asked": asked or Asked("qr"), "verdict": verdict, "error": error, "max_text": MAX_TEXT_CHARS,
        "max_id": MAX_ID_CHARS, "max_number": MAX_NUMBER_CHARS, "max_name": MAX_NAME_CHARS,
        "card": card_rows(verdict) if verdict is not None else [],
        "mark": MARKS[verdict.standing] if verdict is not None else "",
        "tone": TONES[verdict.standing] if verdict is not None else "",
        "proof": proof, "proof_json": json.dumps(proof, ensure_ascii=False) if proof else "",
        "log_vkey": verifier_of(request.app.state.log_signer).vkey() if proof else "",
    }
    html = ENV.get_template("verify.html").render(csrf="", static=static.url, **context)
    return HTMLResponse(html, status_code=status_code)


@router.get("/verify")
def verify_form(request: Request) -> HTMLResponse:
    return render_page(request)


@router.post("/verify")
async def verify_answer(request: Request) -> Response:
    limiter: RateLimiter = request.app.state.verify_limiter
    try:
        limiter.check(client_address(request))
    except VerifyRateLimited as refused:
        response = render_page(request, status_code=refused.status_code, error=refused.message)
        response.headers["Retry-After"] = str(max(1, round(1 / limiter.rate)))
        return response
    try:
        asked = read_form(await request.body())
    except FormInputError as exc:
        return render_page(request, status_code=422, error=str(exc))
    settings = get_settings(request)
    keys = request.app.state.certificate_keys

    def work(db_session: Session) -> Verdict:
        if asked.how == "number":
            return lookup(db_session, settings, asked.number, asked.name)
        return verify_text(db_session, keys, settings, asked.text, id_number=asked.id_number or None)

    verdict = await in_request_transaction(request, work)
    return render_page(request, asked=asked, verdict=verdict)
