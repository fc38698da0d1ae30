"""Checking a stored paper set against its manifest: ``examsvc papers verify`` and ``rederive``.

Before the sitting opens nobody can read a paper (docs/security.md), the auditor included: what is
checked then is everything that needs no content (the signatures, the manifest against the stored
set, the order of the rows and the Merkle root over the stored digests). Once the data key is
released, every paper is also opened and hashed against its digest; once the seed is revealed,
every paper can be re-derived.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from examsvc.blueprints import service as blueprints
from examsvc.blueprints.models import BlueprintVersion
from examsvc.crypto.envelope import EnvelopeError, KeyProvider, open_sealed
from examsvc.crypto.signed_note import NoteError, Verifier, open_note
from examsvc.mismatch import Mismatch
from examsvc.papers import sealing
from examsvc.papers.assembly import assemble, prepare
from examsvc.papers.document import PAPER_FORMAT_1, paper_document, seen_digest
from examsvc.papers.models import Paper, PaperSet
from examsvc.papers.service import get, manifest_text, open_paper_document, papers_of, seen_for
from examsvc.papers.stream import candidate_seed
from examsvc.results.signers import actor_id, all_entries, examiner_key_from_log, logged_chiefs, sitting_entries
from examsvc.sittings import service as sittings
from examsvc.tlog.rfc6962 import leaf_hash, root_of


class PaperSetMismatch(Mismatch):
    """``verify`` or ``rederive`` found a paper or a signature that does not match; names which."""


@dataclass(frozen=True)
class Verification:
    papers: int
    examiner_signed: bool
    rederived: bool
    content_checked: bool  # False before the opening: the papers cannot be opened yet, by anyone


def verify(*, db_session: Session, paper_set_id: int, service_key: Verifier, keys: KeyProvider,
           rederive: bool = False, entries: list[dict[str, Any]] | None = None) -> Verification:
    """Every stored paper against the manifest and its signatures; with ``rederive`` (after the seed is
    revealed), every paper again from the rule, the banks and the seed. Raises ``PaperSetMismatch``."""
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    # 1. the service's signature, 2. the chief examiner's, 3. the manifest against the stored set
    try:
        text = open_note(paper_set.manifest, service_key)
    except NoteError as exc:
        raise PaperSetMismatch(f"manifest: the service signature does not verify ({exc})") from None
    examiner_signed = paper_set.approved_by is not None
    check_approval(db_session, paper_set, all_entries(db_session) if entries is None else entries)
    blueprint = blueprints.get(db_session=db_session, blueprint_id=paper_set.blueprint_version_id)
    if text != manifest_text(paper_set, blueprint, blueprints.bank_digests(db_session, blueprint)):
        raise PaperSetMismatch("manifest: its text does not match the stored set (count, root, rule or banks)")
    # 4. each paper in order; its content against its digest once the data key is released
    content = sealing.released(paper_set)
    data_key = sealing.data_key(paper_set, keys) if content else b""
    papers = papers_of(db_session, paper_set_id)
    digests = []
    for expected_position, paper in enumerate(papers):
        where = f"paper of {paper.candidate} (row {paper.id})"
        if paper.position != expected_position:
            raise PaperSetMismatch(f"{where}: out of order", table="paper", row=paper.id, field="position")
        if content:
            try:
                document = open_sealed(data_key, paper.sealed,
                                       sealing.paper_binding(paper_set.sitting_code, paper.candidate, paper.digest))
            except EnvelopeError:
                raise PaperSetMismatch(f"{where}: the sealed paper does not open (altered or moved)", table="paper",
                                       row=paper.id, field="sealed") from None
            if hashlib.sha256(document).hexdigest() != paper.digest:
                raise PaperSetMismatch(f"{where}: its content does not match its digest", table="paper", row=paper.id,
                                       field="digest")
        digests.append(bytes.fromhex(paper.digest))
    # 5. the digests against the manifest's Merkle root (RFC 6962 §2.1)
    if len(papers) != paper_set.paper_count or root_of([leaf_hash(d) for d in digests]).hex() != paper_set.merkle_root:
        raise PaperSetMismatch("the papers do not hash to the manifest's Merkle root (a paper added, removed or "
                               "changed)", table="paper")
    if rederive:
        _rederive(db_session, paper_set, blueprint, papers, keys)
    return Verification(papers=len(papers), examiner_signed=examiner_signed, rederived=rederive,
                        content_checked=content)


def check_approval(db_session: Session, paper_set: PaperSet, entries: list[dict[str, Any]]) -> None:
    """The chief examiner's cosignature (issue 15 items 6 and 7): required once the log records the
    approval, made by the approver the log names, checked with the key the log registered for them, and
    the approver was the sitting's assigned chief examiner when the approval was logged."""
    approval = next((e for e in reversed(entries) if e["action"] == "papers.approved"
                     and (e.get("subject") or {}).get("id") == str(paper_set.id)
                     and (e.get("subject") or {}).get("type") == "paper_set"), None)
    if approval is None:
        if paper_set.approved_by is not None:
            raise PaperSetMismatch(f"approved_by: user {paper_set.approved_by}, but the log records no approval "
                                   "of this set")
        return
    where = f"log entry {approval['index']} (papers.approved)"
    approver = actor_id(approval)
    if paper_set.approved_by is None:
        raise PaperSetMismatch(f"manifest: the chief examiner's cosignature is missing, but {where} records the "
                               f"approval by user {approver}")
    if paper_set.approved_by != approver:
        raise PaperSetMismatch(f"approved_by: user {paper_set.approved_by}, but {where} was made by user {approver}")
    try:
        open_note(paper_set.manifest, examiner_key_from_log(entries, approver))
    except NoteError as exc:
        raise PaperSetMismatch(f"manifest: the chief examiner's signature does not verify with the key the log "
                               f"registered ({exc})") from None
    sitting = sittings.get(db_session=db_session, code=paper_set.sitting_code)
    if approver not in logged_chiefs(sitting_entries(db_session, sitting.id, entries), before=approval["index"]):
        raise PaperSetMismatch(f"{where}: user {approver} was not the sitting's assigned chief examiner then")


def _rederive(db_session: Session, paper_set: PaperSet, blueprint: BlueprintVersion, papers: list[Paper],
              keys: KeyProvider) -> None:
    if paper_set.revealed_seed is None:
        raise PaperSetMismatch("the seed is not revealed yet: re-derivation is possible after the sitting closes")
    seed = bytes.fromhex(paper_set.revealed_seed)
    if hashlib.sha256(seed).hexdigest() != paper_set.seed_commitment:
        raise PaperSetMismatch("the revealed seed does not match the commitment in the manifest")
    questions, bank_digests = blueprints.pool(db_session, blueprint)
    rule = blueprints.rule_of(blueprint)
    plan = prepare(rule, questions)
    seen = seen_for(db_session, rule, [p.candidate for p in papers], paper_set.id, keys)
    for paper in papers:
        # The stored paper says its format and, from format 2, the digest of the seen set assembly avoided:
        # the seen set recomputed from the earlier papers must give that digest (docs/assembly.md §7).
        stored = open_paper_document(paper, paper_set, keys)
        avoided = seen.get(paper.candidate, frozenset())
        if stored.get("format") == PAPER_FORMAT_1:
            committed = None
        elif stored.get("seen") != seen_digest(avoided):
            raise PaperSetMismatch(f"paper of {paper.candidate}: its seen-question digest {stored.get('seen')} is not "
                                   f"that of the questions the candidate saw in earlier papers "
                                   f"({seen_digest(avoided)}, {len(avoided)} questions)")
        else:
            committed = avoided
        document = paper_document(blueprint_digest=blueprint.digest, bank_digests=bank_digests,
                                  sitting=paper_set.sitting_code, candidate=paper.candidate,
                                  items=assemble(plan, candidate_seed(seed, paper.candidate), avoided),
                                  total_points=rule.total_points, seen=committed)
        if hashlib.sha256(document).hexdigest() != paper.digest:
            raise PaperSetMismatch(f"paper of {paper.candidate}: not what the rule and the seed give (hand-picked?)",
                                   table="paper", row=paper.id)
