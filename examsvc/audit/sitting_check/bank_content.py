"""Bank content (issue 15 item 4): every question row of every bank version the sitting's rule draws
from, re-hashed into the version's digest (banks.document, docs/bank-format.md) and compared with the
digest logged at publication. A difference is localised with the per-field fingerprints of the same
entry (banks.fingerprints): the finding names the question key and the field, never its text."""

from __future__ import annotations

from collections.abc import Iterator

from examsvc.audit.sitting_check.core import Context, Finding, check
from examsvc.audit.sitting_check.logged import details, last_entry
from examsvc.banks import fingerprints, repository
from examsvc.banks import service as banks
from examsvc.banks.models import BankVersion
from examsvc.blueprints import service as blueprints
from examsvc.sittings.service import theory_rule

NAME = "bank_content"


@check(NAME)
def bank_rows_hash_to_their_published_digests(ctx: Context) -> Iterator[Finding]:
    if ctx.sitting.blueprint_version_id is None:
        return  # a practical sitting: no question bank
    for version in blueprints.bank_versions(ctx.db_session, theory_rule(ctx.db_session, ctx.sitting)):
        yield from _check_version(ctx, version)


def _check_version(ctx: Context, version: BankVersion) -> Iterator[Finding]:
    published = last_entry(ctx, "bank.version.published", "bank_version", version.id)
    if published is None:
        yield Finding(NAME, "bank_version", "the rule draws from it, the log records no publication", row=version.id)
        return
    index, facts = published["index"], details(published)
    logged = facts.get("content_digest")
    if version.content_digest != logged:
        yield Finding(NAME, "bank_version", "not the digest logged at publication", row=version.id,
                      field="content_digest", entry=index)
    try:
        digest = banks.document_of(db_session=ctx.db_session, version_id=version.id).digest()
    except (ValueError, KeyError, TypeError):
        digest = None  # a malformed row: localised below
    if digest == logged:
        return
    fields = facts.get("fields")
    if not isinstance(fields, dict) or version.field_salt is None:
        yield Finding(NAME, "question", "the version's rows no longer hash to the digest logged at publication "
                      "(published before per-field fingerprints: the question cannot be named)", row=version.id,
                      entry=index)
        return
    named = 0
    for question in repository.questions(ctx.db_session, version.id):
        where = f"{version.id}/{question.key}"
        logged_print = fields.pop(question.key, None)
        if logged_print is None:
            yield Finding(NAME, "question", "a question the published version does not have (inserted or re-keyed)",
                          row=where, entry=index)
            named += 1
            continue
        try:
            now = fingerprints.of_question(version.field_salt, fingerprints.question_data(question))
        except (ValueError, KeyError, TypeError, AttributeError):
            yield Finding(NAME, "question", "malformed (type, level, options or answer)", row=where, entry=index)
            named += 1
            continue
        for field in fingerprints.changed_fields(str(logged_print), now):
            yield Finding(NAME, "question", "differs from the published version", row=where, field=field,
                          entry=index)
            named += 1
    for key in fields:
        yield Finding(NAME, "question", "the published version has this question, the table no longer does",
                      row=f"{version.id}/{key}", entry=index)
        named += 1
    if not named:
        yield Finding(NAME, "bank_version", "the version's metadata or knowledge points differ from the published "
                      "version", row=version.id, entry=index)
