"""The rule (组卷规则, issue 15 item 5): the stored document re-hashed to its digest and compared with
the digest logged at approval, the approval note checked with the approving chief examiner's key as the
log registered it and against the rule's and banks' digests; an edited field is named with the per-field
digests of the approval entry (duration, title, show_score…)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details, examiner_key, last_entry
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import from_canonical
from examsvc.blueprints.models import BlueprintVersion
from examsvc.crypto.canonical_json import canonical_digest
from examsvc.crypto.signed_note import NoteError, open_note
from examsvc.identity.roles import Role
from examsvc.results.signers import actor_id
from examsvc.sittings.service import theory_rule

NAME = "rule"
TABLE = "blueprint_version"


@check(NAME)
def rule_matches_its_approval(ctx: Context) -> Iterator[Finding]:
    if ctx.sitting.blueprint_version_id is None:
        return  # practical rules: not covered yet (examsvc.practical.verify checks their results)
    row = theory_rule(ctx.db_session, ctx.sitting)
    approved = last_entry(ctx, "blueprint.approved", TABLE, row.id)
    if approved is None:
        yield Finding(NAME, TABLE, "the sitting's rule has no approval in the log", row=row.id)
        return
    index, facts = approved["index"], details(approved)
    try:
        document: dict[str, Any] = json.loads(row.document)
        digest = from_canonical(document).digest()
    except (ValueError, KeyError, TypeError):
        yield Finding(NAME, TABLE, "the stored rule is malformed", row=row.id, field="document", entry=index)
        return
    if digest != facts.get("digest"):
        yield from _name_fields(row, document, facts, index)
    if row.digest != facts.get("digest"):
        yield Finding(NAME, TABLE, "not the digest logged at approval", row=row.id, field="digest", entry=index)
    if row.title != document.get("title"):
        yield Finding(NAME, TABLE, "differs from the approved document's title", row=row.id, field="title",
                      entry=index)
    if row.approval_note != facts.get("approval_note"):
        yield Finding(NAME, TABLE, "not the approval note logged at approval", row=row.id, field="approval_note",
                      entry=index)
    if row.decided_by != actor_id(approved):
        yield Finding(NAME, TABLE, f"names user {row.decided_by} as approver; the log says user "
                      f"{actor_id(approved)} approved it", row=row.id, field="decided_by", entry=index)
    yield from _check_signature(ctx, row, approved)


def _name_fields(row: BlueprintVersion, document: dict[str, Any], facts: dict[str, Any],
                 index: int) -> Iterator[Finding]:
    logged = facts.get("fields")
    if not isinstance(logged, dict):
        yield Finding(NAME, TABLE, "the document does not hash to the digest logged at approval", row=row.id,
                      field="document", entry=index)
        return
    now = blueprints.field_digests(document)
    changed = sorted(f for f in set(now) | set(logged) if now.get(f) != logged.get(f))
    for field in changed or [""]:
        yield Finding(NAME, TABLE, "differs from the approved rule", row=row.id,
                      field=f"document.{field}" if field else "document", entry=index)


def _check_signature(ctx: Context, row: BlueprintVersion, approved: dict[str, Any]) -> Iterator[Finding]:
    index, approver = approved["index"], actor_id(approved)
    if Role.CHIEF_EXAMINER not in ((approved.get("actor") or {}).get("roles") or []):
        yield Finding(NAME, TABLE, f"approved by user {approver}, not as a chief examiner", row=row.id,
                      entry=index)
    try:
        text = open_note(row.approval_note or "", examiner_key(ctx, approver))
        expected = blueprints.approval_text(row, blueprints.bank_versions(ctx.db_session, row))
        if text != expected.replace(f"blueprint {row.digest}", f"blueprint {details(approved).get('digest')}"):
            raise NoteError("it signs another rule or other banks")
    except NoteError as exc:
        yield Finding(NAME, TABLE, f"the approval note does not verify with the key the log registered for user "
                      f"{approver} ({exc})", row=row.id, field="approval_note", entry=index)
    if canonical_digest(json.loads(row.document)) != row.digest:
        yield Finding(NAME, TABLE, "the document does not hash to its digest", row=row.id, field="document",
                      entry=index)
