"""What the certificate pages show, read from the certificate services' own views: the register's filter as
the form sent it, a page of it, the QR code as SVG, and which lifecycle forms fit a certificate as it stands.

Whether an action is allowed is the service's rule (``certificates.service``); the forms offered here only
leave out those that cannot apply (a review for a 合格证, a reinstatement of an active card), and whatever
the officer sends is checked there again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from examsvc.banks.document import CATEGORY_LABELS, PersonnelCategory
from examsvc.certificates import catalogue, qr
from examsvc.certificates.register import RegisterFilter
from examsvc.certificates.rules import STANDING_LABELS, Standing
from examsvc.certificates.signed_form import KIND_LABELS, Kind
from examsvc.errors import InvalidInput

PAGE_SIZE = 20
FILTER_FIELDS = ("kind", "item", "site", "sitting", "employer", "standing", "expires_from", "expires_to")
TEXT_LIMITS = {"item": 60, "site": 32, "sitting": 40, "employer": 200}
KINDS = [(str(int(k)), KIND_LABELS[k]) for k in Kind]
STANDINGS = [(str(s), label) for s, label in STANDING_LABELS.items() if s is not Standing.UNVERIFIABLE]
# What an officer certifies: a special operation item, or a personnel category (its industry is the sitting's).
SUBJECTS = ([(code, f"{code} {name}") for code, name in catalogue.SPECIAL_OPERATION_ITEMS.items()]
            + [(str(c), f"{CATEGORY_LABELS[c]}（安全生产知识和管理能力考核合格证）")
               for c in (PersonnelCategory.PRINCIPAL, PersonnelCategory.SAFETY_MANAGER)])


@dataclass(frozen=True)
class Wanted:
    """The register's filter as the form sent it: the service's filter, the fields to fill the form again,
    and the query string that keeps it (pages, the .xlsx link)."""

    filter: RegisterFilter
    fields: dict[str, str]

    @property
    def query(self) -> str:
        return urlencode({k: v for k, v in self.fields.items() if v})


def wanted_date(text: str, field: str) -> date | None:
    """A date field of a form (``<input type=date>`` sends YYYY-MM-DD); empty is none."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD。", code="bad_date", detail={"field": field}) from None


def wanted(params: dict[str, str]) -> Wanted:
    """The filter of the register form, or ``InvalidInput`` naming the field (the API's own limits)."""
    fields = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    for name, limit in TEXT_LIMITS.items():
        if len(fields[name]) > limit:
            raise InvalidInput(f"内容过长（不超过{limit}字）。", code="too_long", detail={"field": name})
    if fields["kind"] not in ("", *(k for k, _ in KINDS)):
        raise InvalidInput("证书种类不正确。", code="bad_kind", detail={"field": "kind"})
    if fields["standing"] not in ("", *(s for s, _ in STANDINGS)):
        raise InvalidInput("证书状态不正确。", code="bad_standing", detail={"field": "standing"})
    return Wanted(RegisterFilter(
        kind=int(fields["kind"]) if fields["kind"] else None, item=fields["item"] or None,
        site=fields["site"] or None, sitting=fields["sitting"] or None, employer=fields["employer"] or None,
        standing=Standing(fields["standing"]) if fields["standing"] else None,
        expires_from=wanted_date(fields["expires_from"], "expires_from"),
        expires_to=wanted_date(fields["expires_to"], "expires_to")), fields)


@dataclass(frozen=True)
class Page:
    """One page of the register (what ``staff/pager.html`` reads)."""

    items: list[dict[str, Any]]
    number: int  # 1-based
    pages: int
    total: int
    query: str = ""


def page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 0 < len(raw) < 6 else 1


def pages_of(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def qr_svg(text: str, number: str) -> Markup:
    """The signed form's QR code as inline SVG, drawn by the card's own encoder (version ≤ 11, level M)."""
    svg: str = qr.qr_symbol(text).svg_inline(scale=3, border=4, svgclass="qr", lineclass="qr-line")
    # segno's own markup (paths and numbers only), plus an escaped name for screen readers.
    named = svg.replace("<svg ", f'<svg role="img" aria-label="证书 {escape(number)} 的二维码" ', 1)
    return Markup(named)  # noqa: S704


def basis_rows(detail: dict[str, Any]) -> list[dict[str, str]]:
    """The results the certificate rests on (kind, sitting, result digest)."""
    labels = {"theory": "理论考试", "practical": "实际操作考试"}
    return [{"kind": labels.get(b.get("kind", ""), b.get("kind", "")), "sitting": b.get("sitting", ""),
             "digest": b.get("result_digest", "")} for b in json.loads(detail["basis"])]


def actions(detail: dict[str, Any]) -> list[str]:
    """The lifecycle forms offered for the certificate as it stands (the service decides in the end)."""
    standing = detail["standing"]
    if standing == Standing.REVOKED:
        return ["reinstate"]
    offered = ["review"] if detail["kind"] == Kind.SPECIAL_OPERATIONS else ["renew"]
    if standing == Standing.EXPIRED:
        offered = []  # 已过期: a new exam, not a review or renewal (the service says so if asked)
    else:
        offered.append("replace")
    return [*offered, "revoke"]


# What the page says after an action the service accepted (?done=…; a fixed set, no text from the URL).
DONE = {
    "issued": "证书已发放，以下是新证书。",
    "reviewed": "已办理复审，已重新签发二维码。",
    "renewed": "已办理换证，有效期已延长，已重新签发二维码。",
    "revoked": "证书已撤销（吊销）。",
    "reinstated": "证书已恢复有效。",
    "replaced": "已补发证书：证号不变，版本号加一，旧证二维码作废。",
}
