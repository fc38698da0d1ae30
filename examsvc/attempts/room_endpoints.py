"""What the staff console polls: a room's seat map, and the province board of today's sittings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from examsvc import localtime
from examsvc.attempts import seatmap
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.sittings.access import Scope, SittingCaller, require_sitting
from examsvc.sittings.service import get as get_sitting

room_router = APIRouter(prefix="/sittings/{code}/rooms/{room}", tags=["answering"])
inspection_router = APIRouter(prefix="/inspection", tags=["sittings"])

# Who watches a room: its sitting's proctors and chief examiner; exam admins and inspectors anywhere.
ROOM_WATCHERS = {Role.PROCTOR: Scope.ASSIGNED, Role.CHIEF_EXAMINER: Scope.ASSIGNED,
                 Role.EXAM_ADMIN: Scope.PROVINCE, Role.INSPECTOR: Scope.PROVINCE}
Watcher = Annotated[SittingCaller, Depends(require_sitting(ROOM_WATCHERS))]
BOARD_ROLES = (Role.INSPECTOR, Role.EXAM_ADMIN)
BoardReader = Annotated[CurrentUser, Depends(require_roles(*BOARD_ROLES))]


class SeatMapRead(BaseModel):
    """``seats[].state``: absent 未到, checked_in 已检录, signed_in 已登录, answering 答题中, paused 已暂停,
    submitted 已交卷, removed 已取消 (removed for a violation)."""

    map: seatmap.RoomMap
    at: datetime


class IncidentsRead(BaseModel):
    incidents: list[seatmap.IncidentView]
    total: int
    page: int
    pages: int


class BoardRead(BaseModel):
    day: date
    rooms: list[seatmap.BoardRoom]
    at: datetime


@room_router.get("/seats", response_model=SeatMapRead,
                 summary="The room's seat map: each seat's candidate, state, answered count and time left; the "
                         "room's proctors present and its latest incidents (polled by the proctor's console)")
def seats(code: str, room: str, _: Watcher, db_session: DbSession) -> SeatMapRead:
    now = utcnow()
    return SeatMapRead(map=seatmap.room_map(db_session, get_sitting(db_session=db_session, code=code), room, now),
                       at=now)


@room_router.get("/incidents", response_model=IncidentsRead,
                 summary="The room's incidents, newest first, a page at a time; `q` finds a reason or an admission "
                         "number")
def incidents(code: str, room: str, _: Watcher, db_session: DbSession,
              page: Annotated[int, Query(ge=1, le=100000)] = 1,
              q: Annotated[str, Query(max_length=100)] = "") -> IncidentsRead:
    sitting = get_sitting(db_session=db_session, code=code)
    found = seatmap.room_of(db_session, sitting, room)
    size = seatmap.RECENT_INCIDENTS
    rows, total = seatmap.room_incidents(db_session, sitting, found.id, limit=size, offset=(page - 1) * size, query=q)
    return IncidentsRead(incidents=rows, total=total, page=page, pages=max(1, -(-total // size)))


@inspection_router.get("/board", response_model=BoardRead,
                       summary="Today's sittings across sites, one line per room: proctors present and required, "
                               "candidates checked in / answering / paused / submitted, incidents in the last 30 "
                               "minutes, whether the room is paused")
def province_board(_: BoardReader, db_session: DbSession, settings: SettingsDep,
                   day: Annotated[date | None, Query(description="a local day (default: today)")] = None) -> BoardRead:
    now = utcnow()
    today = day or now.astimezone(localtime.zone(settings.timezone)).date()
    return BoardRead(day=today, rooms=seatmap.board(db_session, seatmap.sittings_of_day(
        db_session, today, settings.timezone), now), at=now)
