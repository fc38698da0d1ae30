"""Making, approving and releasing a sitting's papers.

Papers are made when the sitting's approved rule is applied to the sitting's registered candidates,
long before the exam: assembly, canonical bytes, digest and sealing happen here, so the start of an
exam never waits. The data key is sealed to the sitting's chief examiner (``sealing``) and released
only by the sitting's opening, with their passphrase (issue 14 items 1, 2, 13). Until then no
function here returns paper content, and nothing the server holds could.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.models import VersionStatus
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.document import Blueprint
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.candidates.models import Registration
from examsvc.crypto.envelope import EnvelopeError, KeyProvider, new_key, open_sealed, seal
from examsvc.crypto.signed_note import Signer, add_signature, sign_note
from examsvc.db import utcnow
from examsvc.errors import Conflict, InvalidInput, NotFound
from examsvc.examiners import exchange
from examsvc.examiners import service as examiners
from examsvc.lifecycle import advance
from examsvc.limits import ADMISSION_NUMBER, ADMISSION_NUMBER_RULE
from examsvc.papers import history, sealing
from examsvc.papers.assembly import assemble, prepare
from examsvc.papers.document import paper_document
from examsvc.papers.models import Paper, PaperSet, PaperSetStatus
from examsvc.papers.stream import candidate_seed
from examsvc.sittings import service as sittings
from examsvc.sittings.models import Sitting, SittingStatus, StaffRole
from examsvc.tlog.rfc6962 import leaf_hash, root_of

MANIFEST_HEADER = "examsvc paper manifest"
SEED = b"seed"


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


def manifest_text(paper_set: PaperSet, blueprint: BlueprintVersion, bank_digests: dict[str, str]) -> str:
    lines = [MANIFEST_HEADER, f"sitting {paper_set.sitting_code}", f"set {paper_set.id}"]
    if paper_set.parent_id is not None:
        lines.append(f"supplement-of {paper_set.parent_id}")
    lines.append(f"blueprint {blueprint.code} {blueprint.version} {blueprint.digest}")
    lines += [f"bank {part} {digest}" for part, digest in sorted(bank_digests.items())]
    lines += [f"seed-commitment {paper_set.seed_commitment}", f"papers {paper_set.paper_count}",
              f"root {base64.b64encode(bytes.fromhex(paper_set.merkle_root)).decode()}"]
    return "\n".join(lines) + "\n"


def _theory_sitting(db_session: Session, code: str) -> Sitting:
    """The sitting a set is made for: it exists, is a theory sitting, and has not opened yet."""
    try:
        sitting = sittings.get(db_session=db_session, code=code)
    except NotFound:
        raise NotFound("考试场次不存在，不能为其生成试卷。", code="sitting_not_found",
                       detail={"field": "sitting_code", "sitting": code}) from None
    if sitting.blueprint_version_id is None:
        raise Conflict("这是实际操作考试场次，没有理论试卷。", code="not_a_theory_sitting",
                       detail={"field": "sitting_code", "sitting": code})
    return sitting


def _chief_of(db_session: Session, sitting: Sitting) -> tuple[int, bytes]:
    """The sitting's assigned chief examiner and the X25519 key its papers are sealed to."""
    chiefs = [a.user_id for a in sitting.staff if a.role == StaffRole.CHIEF_EXAMINER]
    if not chiefs:
        raise Conflict("本场次尚未安排主考官：试卷密钥须封存给本场次主考官，请先安排主考官。",
                       code="chief_examiner_not_assigned", detail={"sitting": sitting.code})
    return chiefs[0], exchange.public_key(db_session, chiefs[0])


def _candidates(db_session: Session, sitting: Sitting, candidates: Sequence[str] | None) -> list[str]:
    """The sitting's registered candidates without a paper yet; a given list must be a subset of them."""
    registered = set(db_session.scalars(select(Registration.admission_number).where(
        Registration.sitting_id == sitting.id)))
    # All of the sitting's papers, then a set intersection: an IN list of 20,000 admission numbers
    # would pass SQLite's limit on bound parameters.
    existing = set(db_session.scalars(select(Paper.candidate).join(PaperSet).where(
        PaperSet.sitting_code == sitting.code)))
    if candidates is None:
        ordered = sorted(registered - existing)
        if not ordered:
            raise Conflict("本场次没有尚无试卷的已报名考生。", code="no_candidates_without_paper",
                           detail={"sitting": sitting.code, "registered": len(registered)})
        return ordered
    ordered = sorted(candidates)
    bad = [c for c in ordered if not ADMISSION_NUMBER.match(c)]
    if bad or not ordered or len(set(ordered)) != len(ordered):
        raise InvalidInput(f"{ADMISSION_NUMBER_RULE}，不能为空或重复。", code="bad_admission_numbers",
                           detail={"field": "candidates", "invalid": bad[:20], "count": len(ordered)})
    unknown = [c for c in ordered if c not in registered]
    if unknown:
        raise InvalidInput("这些准考证号未在本场次报名，不能为其生成试卷。", code="candidates_not_registered",
                           detail={"field": "candidates", "sitting": sitting.code, "unregistered": unknown[:50],
                                   "count": len(unknown)})
    taken = existing.intersection(ordered)
    if taken:
        raise Conflict("这些考生在本场次已有试卷。", code="candidate_has_paper",
                       detail={"field": "candidates", "candidates": sorted(taken)[:50]})
    return ordered


def seen_for(db_session: Session, rule: Blueprint, candidates: Sequence[str], set_id: int,
          keys: KeyProvider) -> dict[str, frozenset[str]]:
    if not rule.avoid_seen_questions:
        return {}
    return history.seen_questions(db_session, candidates, before_set_id=set_id,
                                  open_document=lambda paper, paper_set: open_paper_document(paper, paper_set, keys))


def _make(db_session: Session, *, blueprint: BlueprintVersion, sitting: Sitting, candidates: list[str],
          parent_id: int | None, signer: Signer, keys: KeyProvider, actor: Actor) -> PaperSet:
    chief_id, chief_public = _chief_of(db_session, sitting)
    questions, bank_digests = blueprints.pool(db_session, blueprint)
    rule = blueprints.rule_of(blueprint)
    plan = prepare(rule, questions)
    # Every set draws a seed of its own, supplements too: the parent's seed is sealed under the parent's
    # data key, which nobody can open before the sitting does (docs/assembly.md).
    seed = os.urandom(32)
    paper_set = PaperSet(sitting_code=sitting.code, parent_id=parent_id, blueprint_version_id=blueprint.id,
                         seed_commitment=hashlib.sha256(seed).hexdigest(), sealed_seed=b"", wrapped_data_key=b"",
                         key_id=keys.key_id, paper_count=len(candidates), merkle_root="", manifest="",
                         sealed_to_user_id=chief_id, status=PaperSetStatus.SEALED, created_by=actor.user_id)
    db_session.add(paper_set)
    db_session.flush()
    data_key = new_key()
    seen = seen_for(db_session, rule, candidates, paper_set.id, keys)
    rows, digests = [], []
    for position, candidate in enumerate(candidates):
        avoided = seen.get(candidate, frozenset())
        items = assemble(plan, candidate_seed(seed, candidate), avoided)
        # The paper commits to the seen set it avoided (format 2): a retake is re-derivable from the manifest.
        document = paper_document(blueprint_digest=blueprint.digest, bank_digests=bank_digests, sitting=sitting.code,
                                  candidate=candidate, items=items, total_points=rule.total_points, seen=avoided)
        digest = hashlib.sha256(document).digest()
        digests.append(digest)
        rows.append(Paper(paper_set_id=paper_set.id, position=position, candidate=candidate, digest=digest.hex(),
                          sealed=seal(data_key, document, sealing.paper_binding(sitting.code, candidate,
                                                                                digest.hex()))))
    db_session.add_all(rows)
    paper_set.merkle_root = root_of([leaf_hash(d) for d in digests]).hex()
    paper_set.sealed_seed = seal(data_key, seed, sealing.set_binding(paper_set) + SEED)
    paper_set.chief_sealed_data_key = sealing.hold_for_chief(paper_set, data_key, chief_public, keys)
    paper_set.manifest = sign_note(manifest_text(paper_set, blueprint, bank_digests), signer)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="papers.generated", subject_type="paper_set",
                 subject_id=paper_set.id, details={
                     "sitting": sitting.code, "blueprint_digest": blueprint.digest, "papers": len(rows),
                     "merkle_root": paper_set.merkle_root, "seed_commitment": paper_set.seed_commitment,
                     "supplement_of": parent_id, "sealed_to_user_id": chief_id})
    return paper_set


def generate(*, db_session: Session, sitting_code: str, signer: Signer, keys: KeyProvider, actor: Actor,
             blueprint_id: int | None = None, candidates: Sequence[str] | None = None) -> PaperSet:
    """The papers of a scheduled theory sitting, under the sitting's rule, for its registered candidates."""
    sitting = _theory_sitting(db_session, sitting_code)
    if sitting.status != SittingStatus.SCHEDULED:
        raise Conflict("只能为尚未开考的场次生成试卷。", code="sitting_not_scheduled",
                       detail={"field": "sitting_code", "sitting": sitting_code, "status": sitting.status})
    if blueprint_id is not None and blueprint_id != sitting.blueprint_version_id:
        raise Conflict("组卷规则须为该场次排定的规则，不能另选。", code="blueprint_not_the_sittings",
                       detail={"field": "blueprint_id", "given": blueprint_id,
                               "sitting_blueprint_id": sitting.blueprint_version_id})
    assert sitting.blueprint_version_id is not None
    blueprint = blueprints.get(db_session=db_session, blueprint_id=sitting.blueprint_version_id)
    if blueprint.status != BlueprintStatus.APPROVED:
        raise Conflict("只能按已批准的组卷规则生成试卷。", code="blueprint_not_approved",
                       detail={"blueprint_id": blueprint.id, "status": blueprint.status})
    retired = [v.id for v in blueprints.bank_versions(db_session, blueprint) if v.status != VersionStatus.PUBLISHED]
    if retired:
        raise Conflict("规则引用的题库版本已停用，不能再据此生成试卷。", code="bank_version_not_published",
                       detail={"bank_version_ids": retired})
    if db_session.scalars(select(PaperSet).where(PaperSet.sitting_code == sitting_code,
                                                 PaperSet.parent_id.is_(None))).first() is not None:
        raise Conflict("该场次已生成试卷；迟到考生请用补充试卷。", code="sitting_has_papers",
                       detail={"sitting": sitting_code})
    ordered = _candidates(db_session, sitting, candidates)
    return _make(db_session, blueprint=blueprint, sitting=sitting, candidates=ordered, parent_id=None, signer=signer,
                 keys=keys, actor=actor)


def supplement(*, db_session: Session, paper_set_id: int, signer: Signer, keys: KeyProvider, actor: Actor,
               candidates: Sequence[str] | None = None) -> PaperSet:
    """Papers for candidates registered late: same rule, a seed and a manifest of their own to approve."""
    parent = get(db_session=db_session, paper_set_id=paper_set_id)
    sitting = _theory_sitting(db_session, parent.sitting_code)
    if parent.parent_id is not None or parent.status == PaperSetStatus.CLOSED or \
            sitting.status == SittingStatus.CLOSED:
        raise Conflict("只能为未结束场次的主试卷集补充试卷。", code="paper_set_not_open_for_supplements",
                       detail={"paper_set_id": paper_set_id})
    ordered = _candidates(db_session, sitting, candidates)
    blueprint = blueprints.get(db_session=db_session, blueprint_id=parent.blueprint_version_id)
    return _make(db_session, blueprint=blueprint, sitting=sitting, candidates=ordered, parent_id=parent.id,
                 signer=signer, keys=keys, actor=actor)


def _advance(db_session: Session, paper_set: PaperSet, expected: PaperSetStatus, to: PaperSetStatus, actor: Actor,
             action: str, details: dict[str, Any] | None = None) -> PaperSet:
    advance(db_session, paper_set, expected=expected, to=to, actor=actor, action=action, subject_type="paper_set",
            refusal="试卷集当前状态不允许此操作。", code="paper_set_wrong_status",
            details={"sitting": paper_set.sitting_code, "merkle_root": paper_set.merkle_root, **(details or {})})
    return paper_set


def _require_sealed_to(paper_set: PaperSet, user_id: int | None) -> None:
    if paper_set.sealed_to_user_id is not None and paper_set.sealed_to_user_id != user_id:
        raise Conflict("该试卷集的密钥封存给了生成时的主考官，只有其本人能审批和开启；更换主考官后须重新生成试卷。",
                       code="paper_set_sealed_to_other_chief",
                       detail={"paper_set_id": paper_set.id, "sealed_to_user_id": paper_set.sealed_to_user_id})


def approve(*, db_session: Session, paper_set_id: int, passphrase: str, keys: KeyProvider,
            actor: Actor) -> PaperSet:
    """The chief examiner adds their own signature line to the manifest (C2SP co-signature). A supplement
    approved while its sitting is already open is released at once (the sitting's opening is past)."""
    paper_set = get(db_session=db_session, paper_set_id=paper_set_id)
    if paper_set.status != PaperSetStatus.SEALED:
        raise Conflict("只有待审批的试卷集可以审批。", code="paper_set_wrong_status",
                       detail={"paper_set_id": paper_set_id, "status": paper_set.status})
    _require_sealed_to(paper_set, actor.user_id)
    assert actor.user_id is not None
    signer = examiners.unlock(db_session=db_session, user_id=actor.user_id, passphrase=passphrase)
    chief_key = exchange.private_key(db_session, actor.user_id, signer, actor)  # records it if not yet
    paper_set.manifest = add_signature(paper_set.manifest, signer)
    paper_set.approved_by = actor.user_id
    _advance(db_session, paper_set, PaperSetStatus.SEALED, PaperSetStatus.APPROVED, actor, "papers.approved",
             {"examiner_key": signer.name})
    if sittings.get(db_session=db_session, code=paper_set.sitting_code).status == SittingStatus.OPEN:
        release(db_session=db_session, paper_set=paper_set, chief_key=chief_key, keys=keys, actor=actor)
    return paper_set


def opened_early(paper_sets: Sequence[PaperSet]) -> list[int]:
    """Sets that show any sign of an opening before their sitting's: a status, a time, a released key or
    a revealed seed (a database edit, or a route that no longer exists)."""
    return [s.id for s in paper_sets if s.status in (PaperSetStatus.OPENED, PaperSetStatus.CLOSED)
            or s.opened_at is not None or s.closed_at is not None or s.revealed_seed is not None
            or (s.chief_sealed_data_key is not None and sealing.released(s))]


def require_ready_to_open(*, db_session: Session, sitting_code: str) -> None:
    """A theory sitting opens only with its main set approved and no set opened or closed early."""
    sets = sets_of_sitting(db_session=db_session, sitting_code=sitting_code)
    early = opened_early(sets)
    if early:
        raise Conflict("本场次有试卷集在开考前已被开启或结束，试卷可能已泄露，不能开考；请上报并重新组织考试。",
                       code="paper_set_opened_early", detail={"sitting": sitting_code, "paper_set_ids": early})
    main = next((s for s in sets if s.parent_id is None), None)
    if main is None or main.status != PaperSetStatus.APPROVED:
        raise Conflict("本场次的试卷集尚未经主考官审批，不能开考。", code="paper_set_not_approved",
                       detail={"sitting": sitting_code, "paper_set_id": main.id if main else None,
                               "status": main.status if main else None})


def release(*, db_session: Session, paper_set: PaperSet, chief_key: X25519PrivateKey, keys: KeyProvider,
            actor: Actor) -> PaperSet:
    """The opening: the data key is unsealed with the chief examiner's unlocked key and from now on kept
    wrapped by the key-encryption key alone, for exam starts. The release is logged."""
    _require_sealed_to(paper_set, actor.user_id)
    if paper_set.chief_sealed_data_key is not None:
        try:
            data_key = sealing.unseal_for_opening(paper_set, chief_key, keys)
        except EnvelopeError:
            raise Conflict("试卷密钥无法用本场次主考官的密钥开启（密钥或数据被改动）。", code="paper_key_unopenable",
                           detail={"paper_set_id": paper_set.id}) from None
        paper_set.wrapped_data_key = keys.wrap(data_key, sealing.set_binding(paper_set))
    else:  # a set made before keys were sealed to the chief: its key was always wrapped by the service alone
        sealing.data_key(paper_set, keys)
    paper_set.opened_at = utcnow()
    return _advance(db_session, paper_set, PaperSetStatus.APPROVED, PaperSetStatus.OPENED, actor, "papers.opened",
                    {"key_id": paper_set.key_id, "released_by": actor.user_id,
                     "sealed_to_chief": paper_set.chief_sealed_data_key is not None})


def _seed(paper_set: PaperSet, keys: KeyProvider) -> bytes:
    return open_sealed(sealing.data_key(paper_set, keys), paper_set.sealed_seed,
                       sealing.set_binding(paper_set) + SEED)


def close_set(*, db_session: Session, paper_set_id: int, keys: KeyProvider, actor: Actor) -> PaperSet:
    """Ends the sitting's papers and reveals the seed (logged), so anyone may re-derive every paper.
    Called only by the sitting's close (``sittings.record.close_sitting``)."""
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
    document = open_sealed(sealing.data_key(paper_set, keys), paper.sealed,
                           sealing.paper_binding(paper_set.sitting_code, paper.candidate, paper.digest))
    parsed: dict[str, Any] = json.loads(document)
    return parsed
