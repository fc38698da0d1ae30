"""The integrity signals API (异常线索; docs/analytics.md (signals)): a sitting's signals with their evidence,
and a person's action on one. Exam administrators, auditors (a closed sitting) and inspectors read; exam
administrators and inspectors act. Evidence names questions by key and answers by bank labels only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel, Field

from examsvc.analytics import signal_actions
from examsvc.analytics.signal_actions import MAX_NOTE_CHARS, Action
from examsvc.analytics.signal_models import SignalAction
from examsvc.analytics.signals import KIND_NAMES, Kind, Signal, signals_for
from examsvc.db import DbSession
from examsvc.identity.roles import Role
from examsvc.sittings.access import Scope, SittingCaller, require_sitting
from examsvc.sittings.service import get as get_sitting

router = APIRouter(prefix="/analytics/signals", tags=["analytics"])
READ_SCOPES = {Role.EXAM_ADMIN: Scope.PROVINCE, Role.AUDITOR: Scope.CLOSED, Role.INSPECTOR: Scope.PROVINCE}
ACT_SCOPES = {Role.EXAM_ADMIN: Scope.PROVINCE, Role.INSPECTOR: Scope.PROVINCE}
Reader = Annotated[SittingCaller, Depends(require_sitting(READ_SCOPES))]
Actor = Annotated[SittingCaller, Depends(require_sitting(ACT_SCOPES))]
SittingCode = Annotated[str, Query(alias="sitting", min_length=1, max_length=40)]
SignalId = Annotated[str, Path(pattern=r"^sg-[0-9a-f]{24}$")]


class ActionRead(BaseModel):
    action: Action
    note: str
    actor_id: int | None
    log_index: int
    at: datetime


class SignalRead(BaseModel):
    id: str
    kind: Kind
    kind_name: str
    sitting: str
    subjects: list[str]
    summary: str
    statistic: float
    statistic_name: str
    evidence: dict[str, Any]
    actions: list[ActionRead]


class ActionCreate(BaseModel):
    action: Action
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


def read(signal: Signal, actions: list[SignalAction]) -> SignalRead:
    return SignalRead(id=signal.id, kind=signal.kind, kind_name=KIND_NAMES[signal.kind], sitting=signal.sitting,
                      subjects=signal.subjects, summary=signal.summary, statistic=signal.statistic,
                      statistic_name=signal.statistic_name, evidence=signal.evidence,
                      actions=[ActionRead(action=Action(a.action), note=a.note, actor_id=a.actor_id,
                                          log_index=a.log_index, at=a.at) for a in actions])


@router.get("", summary="A sitting's integrity signals (leads for a person), with evidence")
def list_signals(current: Reader, db_session: DbSession, sitting: SittingCode,
                 kind: Annotated[Kind | None, Query()] = None) -> list[SignalRead]:
    found = get_sitting(db_session=db_session, code=current.sitting_code)
    actions = signal_actions.actions_of(db_session, sitting=found)
    return [read(s, actions.get(s.id, [])) for s in signals_for(db_session, found, kind)]


@router.get("/{signal_id}", summary="One signal with its evidence and the actions taken on it")
def get_signal(signal_id: SignalId, current: Reader, db_session: DbSession, sitting: SittingCode,
               kind: Annotated[Kind | None, Query()] = None) -> SignalRead:
    found = get_sitting(db_session=db_session, code=current.sitting_code)
    signal = signal_actions.find(db_session, sitting=found, signal_id=signal_id, kind=kind)
    return read(signal, signal_actions.actions_of(db_session, sitting=found).get(signal.id, []))


@router.post("/{signal_id}/actions", status_code=status.HTTP_201_CREATED,
             summary="Record what a person did with a signal (reviewed, referred 移交调查, dismissed), logged")
def act_on_signal(signal_id: SignalId, body: ActionCreate, current: Actor, db_session: DbSession,
                  sitting: SittingCode, kind: Annotated[Kind | None, Query()] = None) -> SignalRead:
    found = get_sitting(db_session=db_session, code=current.sitting_code)
    signal = signal_actions.find(db_session, sitting=found, signal_id=signal_id, kind=kind)
    signal_actions.act(db_session, sitting=found, signal=signal, action=body.action, note=body.note,
                       actor=current.actor)
    return read(signal, signal_actions.actions_of(db_session, sitting=found).get(signal.id, []))
