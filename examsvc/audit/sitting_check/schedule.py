"""The sitting's own row against its ``sitting.scheduled`` entry: when, where, how long, under which rule.

The duration decides every candidate's deadline and the rule decides what a pass is; an owner who
lengthens a sitting in the database, moves it or points it at another rule contradicts the entry made
when it was scheduled (or the logged correction, which is a later ``sitting.scheduled``-like entry only
if the code makes one: none today).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from examsvc.audit import log as audit
from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details
from examsvc.blueprints import service as blueprints
from examsvc.practical import rules as practical_rules
from examsvc.sites.models import Room

NAME = "schedule"
TABLE = "sitting"


@check(NAME)
def sitting_matches_its_schedule_entry(ctx: Context) -> Iterator[Finding]:
    sitting = ctx.sitting
    scheduled = next(ctx.actions("sitting.scheduled"), None)
    if scheduled is None:
        yield Finding(NAME, TABLE, "the log does not record this sitting being scheduled", row=sitting.id)
        return
    index, facts = scheduled["index"], details(scheduled)
    if sitting.blueprint_version_id is not None:
        rule_field, digest = "blueprint_version_id", blueprints.get(
            db_session=ctx.db_session, blueprint_id=sitting.blueprint_version_id).digest
        logged_digest = facts.get("blueprint_digest")
    else:
        assert sitting.practical_rule_id is not None
        rule_field, digest = "practical_rule_id", practical_rules.get(
            db_session=ctx.db_session, rule_id=sitting.practical_rule_id).digest
        logged_digest = facts.get("practical_rule_digest")
    now = {"sitting": sitting.code, "site": sitting.site.code, "duration_minutes": sitting.duration_minutes,
           "scheduled_start": audit.rfc3339(sitting.scheduled_start)}
    for field, value in now.items():
        if field in facts and facts[field] != value:
            yield Finding(NAME, TABLE, "differs from what the log recorded when the sitting was scheduled",
                          row=sitting.id, field={"sitting": "code", "site": "site_id"}.get(field, field), entry=index)
    rooms = sorted(ctx.db_session.scalars(select(Room.code).where(Room.id.in_([r.room_id for r in sitting.rooms]))))
    if "rooms" in facts and rooms != sorted(facts["rooms"]):
        yield Finding(NAME, "sitting_room", "the sitting's rooms differ from those it was scheduled in",
                      row=sitting.id, field="room_id", entry=index)
    if digest != logged_digest:
        yield Finding(NAME, TABLE, "points at a rule other than the one the sitting was scheduled under",
                      row=sitting.id, field=rule_field, entry=index)
