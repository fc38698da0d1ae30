"""Making, approving, opening and checking a sitting's papers.

Papers are made when an approved rule is applied to a sitting's candidates, long before the exam:
assembly, canonical bytes, digest and sealing happen here, so the start of an exam never waits.
Until the set is opened, no function here returns paper content.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.models import VersionStatus
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.crypto.envelope import EnvelopeError, KeyProvider, new_key, open_sealed, seal
from examsvc.crypto.signed_note import NoteError, Signer, Verifier, add_signature, open_note, sign_note
from examsvc.db import utcnow
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.examiners import service as examiners
from examsvc.lifecycle import advance
from examsvc.papers import history
from examsvc.papers.assembly import assemble, paper_document, prepare
from examsvc.papers.models import Paper, PaperSet, PaperSetStatus
from examsvc.papers.stream import candidate_seed
from examsvc.tlog.rfc6962 import leaf_hash, root_of

ADMISSION_NUMBER = re.compile(r"^[0-9A-Za-z-]{4,40}$")
MANIFEST_HEADER = "examsvc paper manifest"


class PaperSetMismatch(Exception):
    """``verify`` or ``rederive`` found a paper or a signature that does not match; names which."""


def _set_binding(paper_set: PaperSet) -> bytes:
    return f"paper-set\n{paper_set.id}\n{paper_set.sitting_code}\n".encode()


def _paper_binding(sitting: str, candidate: str, digest: str) -> bytes:
    return f"paper\n{sitting}\n{candidate}\n{digest}\n".encode()


def get(*, db_session: Session, paper_set_id: int) -> PaperSet:
    row = db_session.get(PaperSet, paper_set_id)
    if row is None:
        raise NotFound("试卷集不存在。", code="paper_set_not_found", detail={"paper_set_id": paper_set_id})
    return row


def sets_of_sitting(*, db_session: Session, sitting_code: str) -> list[PaperSet]:
    """The sitting's main paper set and its supplements."""
    return list(db_session.scalars(select(PaperSet).where(PaperSet.sitting_code == sitting_code)
                                   .order_by(PaperSet.id)))


def papers_of(db_session: Session, paper_set_id: int) -> list[Paper]:
    return list(db_session.scalars(select(Paper).where(Paper.paper_set_id == paper_set_id).order_by(Paper.position)))


def _manifest_text(paper_set: PaperSet, blueprint: BlueprintVersion, bank_digests: dict[str, str]) -> str:
    lines = [MANIFEST_HEADER, f"sitting {paper_set.sitting_code}", f"set {paper_set.id}"]
    if paper_set.parent_id is not None:
        lines.append(f"supplement-of {paper_set.parent_id}")
    lines.append(f"blueprint {blueprint.code} {blueprint.version} {blueprint.digest}")
    lines += [f"bank {part} {digest}" for part, digest in sorted(bank_digests.items())]
    lines += [f"seed-commitment {paper_set.seed_commitment}", f"papers {paper_set.paper_count}",
              f"root {base64.b64encode(bytes.fromhex(paper_set.merkle_root)).decode()}"]
    return "\n".join(lines) + "\n"


def _check_candidates(db_session: Session, sitting_code: str, candidates: Sequence[str]) -> list[str]:
    ordered = sorted(candidates)
    bad = [c for c in ordered if not ADMISSION_NUMBER.match(c)]
    if bad or not ordered or len(set(ordered)) != len(ordered):
        raise InvalidInput("准考证号须为 4–40 位字母、数字或“-”，不能为空或重复。", code="bad_admission_numbers",
                           detail={"invalid": bad[:20], "count": len(ordered)})
    # All of the sitting's candidates, then a set intersection: an IN list of 20,000 admission numbers
    # would pass SQLite's limit on bound parameters.
    existing = set(db_session.scalars(select(Paper.candidate).join(PaperSet).where(
        PaperSet.sitting_code == sitting_code)))
    taken = existing.intersection(ordered)
    if taken:
        raise Conflict("这些考生在本场次已有试卷。", code="candidate_has_paper", detail={"candidates": sorted(taken)})
    return ordered


def _seen(db_session: Session, rule: Blueprint, candidates: Sequence[str], set_id: int,
          keys: KeyProvider) -> dict[str, frozenset[str]]:
    if not rule.avoid_seen_questions:
        return {}
    return history.seen_questions(db_session, candidates, before_set_id=set_id,
                                  open_document=lambda paper, paper_set: open_paper_document(paper, paper_set, keys))


def _make(db_session: Session, *, blueprint: BlueprintVersion, sitting_code: str, candidates: list[str], seed: bytes,
          parent_id: int | None, signer: Signer, keys: KeyProvider, actor: Actor) -> PaperSet:
    questions, bank_digests = blueprints.pool(db_session, blueprint)
    rule = blueprints.rule_of(blueprint)
    plan = prepare(rule, questions)
    paper_set = PaperSet(sitting_code=sitting_code, parent_id=parent_id, blueprint_version_id=blueprint.id,
                         seed_commitment=hashlib.sha256(seed).hexdigest(), sealed_seed=b"", wrapped_data_key=b"",
                         key_id=keys.key_id, paper_count=len(candidates), merkle_root="", manifest="",
                         status=PaperSetStatus.SEALED, created_by=actor.user_id)
    db_session.add(paper_set)
    db_session.flush()
    data_key = new_key()
    seen = _seen(db_session, rule, candidates, paper_set.id, keys)
    rows, digests = [], []
    for position, candidate in enumerate(candidates):
        items = assemble(plan, candidate_seed(seed, candidate), seen.get(candidate, frozenset()))
        document = paper_document(blueprint_digest=blueprint.digest, bank_digests=bank_digests, sitting=sitting_code,
                                  candidate=candidate, items=items, total_points=rule.total_points)
        digest = hashlib.sha256(document).digest()
        digests.append(digest)
        rows.append(Paper(paper_set_id=paper_set.id, position=position, candidate=candidate, digest=digest.hex(),
                          sealed=seal(data_key, document, _paper_binding(sitting_code, candidate, digest.hex()))))
    db_session.add_all(rows)
    paper_set.merkle_root = root_of([leaf_hash(d) for d in digests]).hex()
    paper_set.sealed_seed = seal(data_key, seed, _set_binding(paper_set) + b"seed")
    paper_set.wrapped_data_key = keys.wrap(data_key, _set_binding(paper_set))
    paper_set.manifest = sign_note(_manifest_text(paper_set, blueprint, bank_digests), signer)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="papers.generated", subject_type="paper_set",
                 subject_id=paper_set.id, details={
                     "sitting": sitting_code, "blueprint_digest": blueprint.digest, "papers": len(rows),
                     "merkle_root": paper_set.merkle_root, "seed_commitment": paper_set.seed_commitment,
                     "supplement_of": parent_id})
    return paper_set


def generate(*, db_session: Session, blueprint_id: int, sitting_code: str, candidates: Sequence[str], signer: Signer,
             keys: KeyProvider, actor: Actor) -> PaperSet:
    blueprint = blueprints.get(db_session=db_session, blueprint_id=blueprint_id)
    if blueprint.status != BlueprintStatus.APPROVED:
        raise Conflict("只能按已批准的组卷规则生成试卷。", code="blueprint_not_approved",
                       detail={"blueprint_id": blueprint_id, "status": blueprint.status})
    retired = [v.id for v in blueprints.bank_versions(db_session, blueprint) if v.status != VersionStatus.PUBLISHED]
    if retired:
        raise Conflict("规则引用的题库版本已停用，不能再据此生成试卷。", code="bank_version_not_published",
                       detail={"bank_version_ids": retired})
    if db_session.scalars(select(PaperSet).where(PaperSet.sitting_code == sitting_code,
                                                 PaperSet.parent_id.is_(None))).first() is not None:
        raise Conflict("该场次已生成试卷；迟到考生请用补充试卷。", code="sitting_has_papers",
                       detail={"sitting": sitting_code})
    ordered = _check_candidates(db_session, sitting_code, candidates)
    return _make(db_session, blueprint=blueprint, sitting_code=sitting_code, candidates=ordered, seed=os.urandom(32),
                 parent_id=None, signer=signer, keys=keys, actor=actor)


def _unwrap(paper_set: PaperSet, keys: KeyProvider) -> bytes:
    return keys.unwrap(paper_set.wrapped_data_key, _set_binding(paper_set))


def _seed(paper_set: PaperSet, keys: KeyProvider) -> bytes:
    return open_sealed(_unwrap(paper_set, keys), paper_set.sealed_seed, _set_binding(paper_set) + b"seed")


def supplement(*, db_session: Session, paper_set_id: int, candidates: Sequence[str], signer: Signer,
               keys: KeyProvider, actor: Actor) -> PaperSet:
    """Papers for candidates added late: same rule and seed, a manifest of their own to approve."""
    parent = get(db_session=db_session, paper_set_id=paper_set_id)
    if parent.parent_id is not None or parent.status == PaperSetStatus.CLOSED:
        raise Conflict("只能为未结束场次的主试卷集补充试卷。", code="paper_set_not_open_for_supplements",
                       detail={"paper_set_id": paper_set_id})
    ordered = _check_candidates(db_session, parent.sitting_code, candidates)
    blueprint = blueprints.get(db_session=db_session, blueprint_id=parent.blueprint_version_id)
    return _make(db_session, blueprint=blueprint, sitting_code=parent.sitting_code, candidates=ordered,
                 seed=_seed(parent, keys), parent_id=parent.id, signer=signer, keys=keys, actor=actor)


def _advance(db_session: Session, paper_set: PaperSet, expected: PaperSetStatus, to: PaperSetStatus, actor: Actor,
             action: str, details: dict[str, Any] | None = None) -> PaperSet:
    advance(db_session, paper_set, expected=expected, to=to, actor=actor, action=action, subject_type="paper_set",
            refusal="试卷集当前状态不允许此操作。", code="paper_set_wrong_status",
            details={"sitting": paper_set.sitting_code, "merkle_root": paper_set.merkle_root, **(details or {})})
    return paper_set


def approve(*, db_session: Session, paper_set_id: int, passphrase: str, actor: Actor) -> PaperSet:
    """The chief examiner adds their own signature line to the manifest (C2SP co-signature)."""
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    if paper_set.status != PaperSetStatus.SEALED:
        raise Conflict("只有待审批的试卷集可以审批。", code="paper_set_wrong_status",
                       detail={"paper_set_id": paper_set_id, "status": paper_set.status})
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    paper_set.manifest = add_signature(paper_set.manifest, signer)
    paper_set.approved_by = actor.user_id
    return _advance(db_session, paper_set, PaperSetStatus.SEALED, PaperSetStatus.APPROVED, actor, "papers.approved",
                    {"examiner_key": signer.name})


def open_set(*, db_session: Session, paper_set_id: int, keys: KeyProvider, actor: Actor) -> PaperSet:
    """Releases the data key: from now on the sitting's papers can be read. The release is logged."""
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    _unwrap(paper_set, keys)  # fails loudly now, not in the middle of the exam
    paper_set.opened_at = utcnow()
    return _advance(db_session, paper_set, PaperSetStatus.APPROVED, PaperSetStatus.OPENED, actor, "papers.opened",
                    {"key_id": paper_set.key_id})


def close_set(*, db_session: Session, paper_set_id: int, keys: KeyProvider, actor: Actor) -> PaperSet:
    """Ends the sitting's papers and reveals the seed (logged), so anyone may re-derive every paper."""
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    seed = _seed(paper_set, keys)
    paper_set.closed_at = utcnow()
    paper_set.revealed_seed = seed.hex()
    return _advance(db_session, paper_set, PaperSetStatus.OPENED, PaperSetStatus.CLOSED, actor, "papers.seed_revealed",
                    {"seed": seed.hex(), "seed_commitment": paper_set.seed_commitment})


def require_unsealed(paper_set: PaperSet) -> None:
    if paper_set.status not in (PaperSetStatus.OPENED, PaperSetStatus.CLOSED):
        raise Conflict("试卷仍处于密封状态，场次开考前任何人都不能查看。", code="paper_sealed",
                       detail={"paper_set_id": paper_set.id})


def read_paper(*, db_session: Session, paper_set_id: int, candidate: str, keys: KeyProvider) -> dict[str, Any]:
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    require_unsealed(paper_set)
    paper = db_session.scalars(select(Paper).where(Paper.paper_set_id == paper_set_id,
                                                   Paper.candidate == candidate)).first()
    if paper is None:
        raise NotFound("该考生在此试卷集中没有试卷。", code="paper_not_found", detail={"candidate": candidate})
    return open_paper_document(paper, paper_set, keys)


def open_paper_document(paper: Paper, paper_set: PaperSet, keys: KeyProvider) -> dict[str, Any]:
    document = open_sealed(_unwrap(paper_set, keys), paper.sealed,
                           _paper_binding(paper_set.sitting_code, paper.candidate, paper.digest))
    parsed: dict[str, Any] = json.loads(document)
    return parsed


@dataclass(frozen=True)
class Verification:
    papers: int
    examiner_signed: bool
    rederived: bool


def verify(*, db_session: Session, paper_set_id: int, service_key: Verifier, keys: KeyProvider,
           rederive: bool = False) -> Verification:
    """Every stored paper against the manifest and its signatures; with ``rederive`` (after the seed is
    revealed), every paper again from the rule, the banks and the seed. Raises ``PaperSetMismatch``."""
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    try:
        text = open_note(paper_set.manifest, service_key)
    except NoteError as exc:
        raise PaperSetMismatch(f"manifest: the service signature does not verify ({exc})") from None
    examiner_signed = paper_set.approved_by is not None
    if examiner_signed:
        assert paper_set.approved_by is not None
        try:
            open_note(paper_set.manifest, examiners.verifier_for(db_session=db_session, user_id=paper_set.approved_by))
        except NoteError as exc:
            raise PaperSetMismatch(f"manifest: the chief examiner's signature does not verify ({exc})") from None
    blueprint = blueprints.get(db_session=db_session, blueprint_id=paper_set.blueprint_version_id)
    if text != _manifest_text(paper_set, blueprint, blueprints.bank_digests(db_session, blueprint)):
        raise PaperSetMismatch("manifest: its text does not match the stored set (count, root, rule or banks)")
    data_key = _unwrap(paper_set, keys)
    papers = papers_of(db_session, paper_set_id)
    digests = []
    for expected_position, paper in enumerate(papers):
        where = f"paper of {paper.candidate} (row {paper.id})"
        if paper.position != expected_position:
            raise PaperSetMismatch(f"{where}: out of order")
        try:
            document = open_sealed(data_key, paper.sealed,
                                   _paper_binding(paper_set.sitting_code, paper.candidate, paper.digest))
        except EnvelopeError:
            raise PaperSetMismatch(f"{where}: the sealed paper does not open (altered or moved)") from None
        if hashlib.sha256(document).hexdigest() != paper.digest:
            raise PaperSetMismatch(f"{where}: its content does not match its digest")
        digests.append(bytes.fromhex(paper.digest))
    if len(papers) != paper_set.paper_count or root_of([leaf_hash(d) for d in digests]).hex() != paper_set.merkle_root:
        raise PaperSetMismatch("the papers do not hash to the manifest's Merkle root (a paper added, removed or "
                               "changed)")
    if rederive:
        _rederive(db_session, paper_set, blueprint, papers, keys)
    return Verification(papers=len(papers), examiner_signed=examiner_signed, rederived=rederive)


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
    seen = _seen(db_session, rule, [p.candidate for p in papers], paper_set.id, keys)
    for paper in papers:
        document = paper_document(blueprint_digest=blueprint.digest, bank_digests=bank_digests,
                                  sitting=paper_set.sitting_code, candidate=paper.candidate,
                                  items=assemble(plan, candidate_seed(seed, paper.candidate),
                                                 seen.get(paper.candidate, frozenset())),
                                  total_points=rule.total_points)
        if hashlib.sha256(document).hexdigest() != paper.digest:
            raise PaperSetMismatch(f"paper of {paper.candidate}: not what the rule and the seed give (hand-picked?)")

