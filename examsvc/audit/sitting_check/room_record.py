"""The room record (考场记录, issue 15 item 3): its document re-hashed to its digest, the digest the one
logged at close, the chief examiner's signed note checked with the key the log registered for the chief
who closed the sitting (and who was its assigned chief then), the row present whenever the log says the
sitting closed, and the document equal to what ``build_record`` gives from the rows as they stand."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details, examiner_key
from examsvc.crypto.signed_note import NoteError, open_note
from examsvc.results.signers import actor_id, logged_chiefs
from examsvc.sittings.models import RoomRecord
from examsvc.sittings.record import build_record

NAME = "room_record"
TABLE = "room_record"
# Lists in the document and the field that names their elements.
_KEYED = {"attendance": "admission_number", "staff": "user_id", "incidents": None}


@check(NAME)
def room_record_matches_log_signature_and_rows(ctx: Context) -> Iterator[Finding]:
    closed = None
    for entry in ctx.actions("sitting.closed"):
        closed = entry
    row_id = ctx.sitting.id
    record = ctx.db_session.get(RoomRecord, row_id)
    if closed is None:
        if record is not None:
            yield Finding(NAME, TABLE, "a room record for a sitting the log never closed", row=row_id)
        return
    index = closed["index"]
    if record is None:
        yield Finding(NAME, TABLE, "the log says the sitting closed, the room record is missing", row=row_id,
                      entry=index)
        return
    logged = details(closed).get("room_record_digest")
    if hashlib.sha256(record.document.encode()).hexdigest() != record.digest:
        yield Finding(NAME, TABLE, "the document does not hash to its digest", row=row_id, field="document")
    if record.digest != logged:
        yield Finding(NAME, TABLE, "not the digest logged when the sitting closed", row=row_id, field="digest",
                      entry=index)
    chief = actor_id(closed)
    try:
        text = open_note(record.signed_note, examiner_key(ctx, chief))
        if text != f"examsvc room record\nsitting {ctx.sitting.code}\nsha256 {logged}\n":
            raise NoteError("it signs another digest or sitting")
    except NoteError as exc:
        yield Finding(NAME, TABLE, f"the chief examiner's signature does not verify with the key the log "
                      f"registered for user {chief} ({exc})", row=row_id, field="signed_note", entry=index)
    if chief not in logged_chiefs(ctx.sitting_entries, before=index):
        yield Finding(NAME, TABLE, f"closed by user {chief}, who was not the sitting's assigned chief examiner "
                      "then", row=row_id, entry=index)
    yield from _compare_rows(ctx, record, row_id)


def _compare_rows(ctx: Context, record: RoomRecord, row_id: int) -> Iterator[Finding]:
    """The stored document against the rows: names the part that differs (``document.attendance[<number>].seat``)."""
    stored: dict[str, Any] = json.loads(record.document)
    rebuilt = build_record(ctx.db_session, ctx.sitting)
    for key in sorted(set(stored) | set(rebuilt)):
        was, now = stored.get(key), rebuilt.get(key)
        if was == now:
            continue
        if key in _KEYED and isinstance(was, list) and isinstance(now, list):
            yield from _compare_list(key, _KEYED[key], was, now, row_id)
        else:
            yield Finding(NAME, TABLE, "the rows no longer give what the signed record says", row=row_id,
                          field=f"document.{key}")


def _compare_list(key: str, by: str | None, was: list[Any], now: list[Any], row_id: int) -> Iterator[Finding]:
    def keyed(items: list[Any]) -> dict[str, Any]:
        return {str(item.get(by) if by and isinstance(item, dict) else n): item for n, item in enumerate(items)}

    before, after = keyed(was), keyed(now)
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if not isinstance(old, dict) or not isinstance(new, dict):
            yield Finding(NAME, TABLE, "an element the rows " + ("no longer give" if new is None else "add"),
                          row=row_id, field=f"document.{key}[{name}]")
            continue
        for field in sorted(set(old) | set(new)):
            if old.get(field) != new.get(field):
                yield Finding(NAME, TABLE, "the rows no longer give what the signed record says", row=row_id,
                              field=f"document.{key}[{name}].{field}")
