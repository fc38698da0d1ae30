"""What the sitting checks read from the log beyond the sitting's own entries: entries about other
subjects (a bank version, a rule, a paper set) and chief examiners' keys as registered there."""

from __future__ import annotations

from typing import Any

from examsvc.audit.sitting_check.core import Context
from examsvc.crypto.signed_note import Verifier
from examsvc.results.signers import examiner_key_from_log


def last_entry(ctx: Context, action: str, subject_type: str, subject_id: object) -> dict[str, Any] | None:
    """The newest entry with this action about this subject, or None."""
    found = None
    for entry in ctx.entries:
        subject = entry.get("subject") or {}
        if entry["action"] == action and subject.get("type") == subject_type and subject.get("id") == str(subject_id):
            found = entry
    return found


def details(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("details")
    return value if isinstance(value, dict) else {}


def examiner_key(ctx: Context, user_id: int | None) -> Verifier:
    """The chief examiner's key from their ``examiner.key_created`` entry (raises NoteError if none)."""
    cache: dict[int | None, Verifier] = ctx.extra.setdefault("examiner_keys", {})
    if user_id not in cache:
        cache[user_id] = examiner_key_from_log(ctx.entries, user_id)
    return cache[user_id]
