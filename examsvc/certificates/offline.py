"""Checking a certificate with nothing but its QR text and the province's published key set: the format,
the signature, the issuer, and the dates the card carries. What only the register knows (a revocation, a
replacement card, a review after the card was printed) is out of reach offline, and the answer says so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from examsvc.certificates.keys import KeySetError, parse_key_set, verifiers
from examsvc.certificates.rules import Standing, standing_of_dates
from examsvc.certificates.signed_form import FormError, Opened, open_form

OFFLINE_LIMITS = "离线核验不能发现证书被撤销、补发作废或卡面印制后的复审；请在 /verify 在线核验。"


@dataclass(frozen=True)
class OfflineAnswer:
    standing: Standing
    reason: str
    opened: Opened | None = None
    id_match: bool | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"standing": str(self.standing), "label": self.standing.label, "reason": self.reason,
                               "not_checked": OFFLINE_LIMITS, "id_number_matches": self.id_match}
        if self.opened is not None:
            c = self.opened.claims
            out["claims"] = {"issuer": c.issuer, "number": c.number, "sequence": c.sequence, "kind": int(c.kind),
                             "item": c.item, "item_name": c.item_name, "holder": c.holder,
                             "issued_at": c.issued_at, "expires_at": c.expires_at,
                             "review_due": c.review_due.isoformat() if c.review_due else None,
                             "key_id": self.opened.key_id.hex(), "digest": self.opened.digest}
        return out


def load_key_set(path: Path) -> tuple[str, dict[bytes, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeySetError(f"{path}: {exc}") from None
    issuer, entries = parse_key_set(document, source=str(path))
    return issuer, verifiers(entries)


def check(text: str, issuer: str, keys: dict[bytes, Any], *, today: date, last_valid_day: Any,
          id_number: str | None = None) -> OfflineAnswer:
    """``last_valid_day(expires_at) -> date``: the card's last valid day in the issuer's time zone."""
    try:
        opened = open_form(text, keys)
    except FormError as exc:
        return OfflineAnswer(Standing.UNVERIFIABLE, str(exc))
    claims = opened.claims
    if claims.issuer != issuer:
        return OfflineAnswer(Standing.UNVERIFIABLE, f"签发机关标识 {claims.issuer} 与密钥集的 {issuer} 不符。", opened)
    match = claims.id_matches(id_number) if id_number else None
    standing = standing_of_dates(last_valid_day(claims.expires_at), claims.review_due, today)
    reason = {Standing.VALID: "签名有效，证书在有效期内。", Standing.EXPIRED: "签名有效，但证书已超过有效期。",
              Standing.REVIEW_OVERDUE: "签名有效，但卡面复审期限已过。"}[standing]
    return OfflineAnswer(standing, reason, opened, match)
