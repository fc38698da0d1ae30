"""An inspection (执法检查) and the draw of the people it examines (docs/spot-exams.md).

The order of events is what makes the draw fair: the seed is made and its SHA-256 logged when the
inspection opens, before any list exists; the officers then enter the people on duty (replaceable while
the inspection is open); the draw fixes the list (its digest) and picks from it with the committed seed.
Neither officer ever sees the seed before the list is fixed, and the server cannot choose a seed after
seeing the list. The seed is revealed in the log when the inspection closes, so an auditor re-derives
the draw and every paper (examsvc.spot.draw).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.banks.document import INDUSTRY_LABELS, Industry
from examsvc.blueprints import service as blueprints
from examsvc.blueprints.models import BlueprintStatus, BlueprintVersion
from examsvc.crypto.envelope import KeyProvider
from examsvc.db import utcnow
from examsvc.errors import Conflict, Forbidden, InvalidInput, NotFound
from examsvc.identity import passwords, repository
from examsvc.identity import service as identity
from examsvc.identity.roles import Role
from examsvc.spot import draw as drawing
from examsvc.spot.credit_code import InvalidCreditCode, parse_credit_code
from examsvc.spot.models import Inspection, InspectionStatus, SpotPerson
from examsvc.spot.roster import RosterPerson, read_roster

MAX_DRAW = 50
_SEED = b"spot-seed\n"


@dataclass(frozen=True)
class InspectionInput:
    enterprise_name: str
    credit_code: str
    industry: str
    city: str
    address: str
    inspected_on: date
    blueprint_id: int
    draw_count: int


def seed_binding(inspection: Inspection) -> bytes:
    return _SEED + f"{inspection.code}\n{inspection.seed_commitment}\n".encode()


def seed_of(inspection: Inspection, keys: KeyProvider) -> bytes:
    return keys.unwrap(bytes(inspection.sealed_seed), seed_binding(inspection))


def get(db_session: Session, inspection_id: int, *, lock: bool = False) -> Inspection:
    statement = select(Inspection).where(Inspection.id == inspection_id)
    found = db_session.scalars(statement.with_for_update() if lock else statement).first()
    if found is None:
        raise NotFound("检查记录不存在。", code="inspection_not_found", detail={"inspection_id": inspection_id})
    return found


def is_officer(inspection: Inspection, user_id: int) -> bool:
    return user_id in (inspection.lead_officer_id, inspection.second_officer_id)


def require_officer(inspection: Inspection, actor: Actor) -> None:
    """Only the inspection's own two officers act on it: an officer of another inspection is refused."""
    if actor.user_id is None or not is_officer(inspection, actor.user_id):
        raise Forbidden("只有本次检查的执法人员可以办理。", code="not_your_inspection",
                        detail={"inspection_id": inspection.id})


def _problem(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, code="inspection_invalid", detail={"field": field})


def spot_rule(db_session: Session, blueprint_id: int, industry: Industry) -> BlueprintVersion:
    """An approved spot-exam rule whose bank serves the inspected industry (or general industry)."""
    row = db_session.get(BlueprintVersion, blueprint_id)
    if row is None or row.status != BlueprintStatus.APPROVED:
        raise _problem("blueprint_id", "抽考规则不存在或尚未经主考官审批。")
    if blueprints.rule_of(row).purpose != "spot":
        raise _problem("blueprint_id", "所选规则不是抽考（逢查必考）规则。")
    bank_industries = {v.industry for v in blueprints.bank_versions(db_session, row)}
    if not bank_industries <= {industry, Industry.GENERAL}:
        names = "、".join(INDUSTRY_LABELS.get(Industry(i), i) for i in sorted(bank_industries))
        raise _problem("blueprint_id", f"所选抽考规则的题库属于“{names}”，"
                                       f"与被检查单位的行业“{INDUSTRY_LABELS[industry]}”不符。")
    return row


def _text(value: str, field: str, label: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise _problem(field, f"请填写{label}。")
    if len(text) > limit or any(ord(c) < 32 for c in text):
        raise _problem(field, f"{label}过长或含有控制字符（最多 {limit} 字）。")
    return text


def open_inspection(*, db_session: Session, data: InspectionInput, actor: Actor, keys: KeyProvider,
                    today: date) -> Inspection:
    try:
        credit_code = parse_credit_code(data.credit_code)
    except InvalidCreditCode as exc:
        raise InvalidInput(str(exc), code="bad_credit_code",
                           detail={"field": "credit_code"}) from None
    try:
        industry = Industry(data.industry)
    except ValueError:
        raise _problem("industry", "行业不在可选范围内。") from None
    if not today - timedelta(days=31) <= data.inspected_on <= today:
        raise _problem("inspected_on", "检查日期应为今天或近 31 天内的日期。")
    if not 1 <= data.draw_count <= MAX_DRAW:
        raise _problem("draw_count", f"抽取人数应在 1–{MAX_DRAW} 之间。")
    rule = spot_rule(db_session, data.blueprint_id, industry)
    # An officer who dislikes a draw cannot quietly start over: while an inspection of the enterprise is not
    # archived, another one is refused (and every opened inspection stays in the log and the lists).
    running = db_session.scalars(select(Inspection.code).where(Inspection.credit_code == credit_code,
                                                               Inspection.status != InspectionStatus.CLOSED)).first()
    if running is not None:
        raise Conflict(f"该单位已有未归档的检查（{running}），请先在该检查中完成抽考并归档。",
                       code="inspection_exists", detail={"field": "credit_code", "inspection": running})
    seed = os.urandom(32)
    inspection = Inspection(
        code=f"JC{data.inspected_on:%Y%m%d}{secrets.token_hex(3).upper()}",
        enterprise_name=_text(data.enterprise_name, "enterprise_name", "单位名称", 200), credit_code=credit_code,
        industry=industry, city=_text(data.city, "city", "所在市", 50),
        address=_text(data.address, "address", "地址", 300),
        inspected_on=data.inspected_on, blueprint_version_id=rule.id, draw_count=data.draw_count,
        lead_officer_id=actor.user_id, status=InspectionStatus.OPEN,
        seed_commitment=hashlib.sha256(seed).hexdigest(), sealed_seed=b"", roster_salt=os.urandom(16).hex())
    inspection.sealed_seed = keys.wrap(seed, seed_binding(inspection))
    db_session.add(inspection)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="spot.inspection.opened", subject_type="spot_inspection",
                 subject_id=inspection.id, details={
                     "code": inspection.code, "credit_code": credit_code, "industry": str(industry),
                     # The enterprise's name and address are what lists, filters and exports show: logged so
                     # that verify-spot names an edit of them (an enterprise's, not a person's, data).
                     "enterprise_name": inspection.enterprise_name, "address": inspection.address,
                     "city": inspection.city, "inspected_on": inspection.inspected_on.isoformat(),
                     "blueprint_digest": rule.digest, "draw_count": inspection.draw_count,
                     "seed_commitment": inspection.seed_commitment})
    return inspection


def confirm_second_officer(*, db_session: Session, inspection_id: int, username: str, password: str, actor: Actor,
                           policy: identity.LoginPolicy) -> Inspection:
    """The second officer (执法人员两人以上) types their own name and password on the lead's device: their
    presence is recorded under their own account, checked like a login (throttled, failures logged)."""
    inspection = get(db_session, inspection_id)
    if inspection.lead_officer_id != actor.user_id:
        raise Forbidden("只有本次检查的主办执法人员可以登记第二名执法人员。", code="not_your_inspection",
                        detail={"inspection_id": inspection_id})
    if inspection.status != InspectionStatus.OPEN:
        raise Conflict("抽取已完成，不能再更换执法人员。", code="inspection_drawn")
    # The password first: without it, an unknown name, another role's account and an officer's get the same
    # refusal, so that trying names on this form tells nobody which accounts exist or which are officers.
    wrong = "第二名执法人员的用户名或密码错误。"
    user = repository.get_user_by_username(db_session, username.strip())
    if user is None:
        passwords.burn_time(password, cost_log2=policy.password_cost_log2)
        raise InvalidInput(wrong, code="invalid_credentials", detail={"field": "password"})
    user = identity.check_password(db_session=db_session, user=user, password=password, actor=actor, policy=policy,
                                   field="password", message=wrong, code="invalid_credentials")
    if Role.ENFORCEMENT_OFFICER not in user.role_names or user.disabled:
        raise InvalidInput("该账号不是在职的执法人员。", code="not_an_officer", detail={"field": "username"})
    if user.id == inspection.lead_officer_id:
        raise InvalidInput("第二名执法人员不能是主办执法人员本人。", code="same_officer", detail={"field": "username"})
    inspection = get(db_session, inspection_id, lock=True)
    if inspection.status != InspectionStatus.OPEN:  # drawn meanwhile (the password is checked outside a transaction)
        raise Conflict("抽取已完成，不能再更换执法人员。", code="inspection_drawn")
    inspection.second_officer_id = user.id
    inspection.second_officer_at = utcnow()
    audit.record(db_session=db_session, actor=actor, action="spot.inspection.second_officer",
                 subject_type="spot_inspection", subject_id=inspection.id,
                 details={"code": inspection.code, "second_officer_id": user.id})
    return inspection


def _person(inspection: Inspection, person: RosterPerson, actor: Actor, *, manual: bool,
            reason: str | None = None) -> SpotPerson:
    return SpotPerson(inspection_id=inspection.id, name=person.name, id_number=person.id_number,
                      person_digest=drawing.person_digest(bytes.fromhex(inspection.roster_salt), person.id_number),
                      post=person.post, kind=None if person.kind is None else str(person.kind), row=person.row,
                      manual=manual, manual_reason=reason, added_by=actor.user_id)


def facts_of(person: SpotPerson) -> str:
    return drawing.person_facts(person.person_digest, person.name, person.post, person.kind)


def people(db_session: Session, inspection_id: int) -> list[SpotPerson]:
    return list(db_session.scalars(select(SpotPerson).where(SpotPerson.inspection_id == inspection_id)
                                   .order_by(SpotPerson.draw_order.is_(None), SpotPerson.draw_order, SpotPerson.id)))


def set_roster(*, db_session: Session, inspection_id: int, roster: list[RosterPerson], actor: Actor) -> Inspection:
    """Replaces the list of people on duty; only while the inspection is open (before the draw)."""
    inspection = get(db_session, inspection_id, lock=True)
    require_officer(inspection, actor)
    if inspection.status != InspectionStatus.OPEN:
        raise Conflict("已经抽取，名单不能再修改；如需加考请“手工添加”。", code="inspection_drawn")
    for old in people(db_session, inspection.id):
        db_session.delete(old)
    db_session.flush()
    rows = [_person(inspection, person, actor, manual=False) for person in roster]
    db_session.add_all(rows)
    inspection.roster_size = len(rows)
    inspection.roster_digest = drawing.roster_digest([r.person_digest for r in rows], [False] * len(rows))
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="spot.roster.entered", subject_type="spot_inspection",
                 subject_id=inspection.id, details={"code": inspection.code, "size": len(rows),
                                                    "roster_digest": inspection.roster_digest})
    return inspection


def draw(*, db_session: Session, inspection_id: int, actor: Actor, keys: KeyProvider) -> Inspection:
    """Fixes the list and draws ``draw_count`` people from it with the committed seed."""
    inspection = get(db_session, inspection_id, lock=True)
    require_officer(inspection, actor)
    if inspection.status != InspectionStatus.OPEN:
        raise Conflict("本次检查已经抽取过。", code="inspection_drawn")
    if inspection.second_officer_id is None:
        raise Conflict("执法检查须两名执法人员：请先登记第二名执法人员。", code="second_officer_missing")
    listed = sorted((p for p in people(db_session, inspection.id) if not p.manual), key=lambda p: p.person_digest)
    if len(listed) < inspection.draw_count:
        raise Conflict(f"在岗人员名单只有 {len(listed)} 人，少于抽取人数 {inspection.draw_count} 人。",
                       code="roster_too_small", detail={"size": len(listed), "draw_count": inspection.draw_count})
    digest = drawing.roster_digest([p.person_digest for p in listed], [False] * len(listed))
    chosen = drawing.draw(seed_of(inspection, keys), digest, len(listed), inspection.draw_count)
    for order, index in enumerate(chosen, start=1):
        listed[index].draw_order = order
    inspection.roster_digest = digest
    inspection.status = InspectionStatus.DRAWN
    inspection.drawn_at = utcnow()
    audit.record(db_session=db_session, actor=actor, action="spot.draw", subject_type="spot_inspection",
                 subject_id=inspection.id, details={
                     "code": inspection.code, "seed_commitment": inspection.seed_commitment, "roster_digest": digest,
                     "roster": [p.person_digest for p in listed], "count": inspection.draw_count,
                     "facts": [facts_of(p) for p in listed],
                     "chosen": [listed[i].person_digest for i in chosen]})
    return inspection


def add_by_hand(*, db_session: Session, inspection_id: int, person: dict[str, object], reason: str,
                actor: Actor) -> SpotPerson:
    """An examinee the officers add after the draw (marked ``manual``, with the reason): someone off the
    list, or a listed person the draw did not choose."""
    inspection = get(db_session, inspection_id, lock=True)
    require_officer(inspection, actor)
    if inspection.status != InspectionStatus.DRAWN:
        raise Conflict("请先完成随机抽取，再手工添加受检人员。" if inspection.status == InspectionStatus.OPEN
                       else "本次检查已归档。", code="not_drawn" if inspection.status == InspectionStatus.OPEN
                       else "inspection_closed")
    why = _text(reason, "reason", "手工添加的理由", 300)
    read = read_roster([person], source="手工添加")[0]
    row = _person(inspection, read, actor, manual=True, reason=why)
    row.row = None
    existing = db_session.scalars(select(SpotPerson).where(SpotPerson.inspection_id == inspection.id,
                                                           SpotPerson.person_digest == row.person_digest)).first()
    if existing is not None and (existing.manual or existing.draw_order is not None):
        raise Conflict("该人员已在受检名单中，不能重复添加。", code="duplicate_person", detail={"field": "id_number"})
    if existing is not None:  # on the list, not drawn: now examined by hand
        existing.manual, existing.manual_reason = True, why
        row = existing
    else:
        db_session.add(row)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="spot.person.added", subject_type="spot_inspection",
                 subject_id=inspection.id, details={"code": inspection.code, "person": row.person_digest,
                                                    "on_roster": existing is not None, "reason": why,
                                                    "facts": facts_of(row)})
    return row


def examinees(db_session: Session, inspection_id: int) -> list[SpotPerson]:
    return [p for p in people(db_session, inspection_id) if p.draw_order is not None or p.manual]
