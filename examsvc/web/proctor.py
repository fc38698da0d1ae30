"""The proctor's room console (考场监考台) and the inspector's province board (巡考看板).

Both pages render their first view on the server (usable at once, and the 50-room board is one
response), then their script polls the JSON API: ``GET /sittings/{code}/rooms/{room}/seats`` every
2 s, ``GET /inspection/board`` every 5 s. Polling, not server-sent events: each open console would
otherwise hold one of a worker's few request slots (EXAMSVC_REQUEST_CONCURRENCY, default 4) for as long
as it is open, and a poll that fails simply comes again, with no reconnection logic (docs/staff-console.md).
Every action (presence, check-in, pause, move, …) is a call of the API's own route by the script."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.attempts import seatmap
from examsvc.attempts.room_endpoints import BOARD_ROLES, ROOM_WATCHERS
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.errors import ExamServiceError
from examsvc.identity.access import CurrentUser
from examsvc.identity.roles import Role
from examsvc.sittings import presence
from examsvc.sittings.access import Scope, SittingCaller
from examsvc.sittings.record_page import _INCIDENT_NAMES as INCIDENT_NAMES
from examsvc.sittings.service import get as get_sitting
from examsvc.web.pages import render
from examsvc.web.staff import STATUS_LABELS
from examsvc.web.staff_access import PageRefusal, staff_page, staff_sitting_page

router = APIRouter(prefix="/staff", include_in_schema=False)
RoomProctor = Annotated[SittingCaller, Depends(staff_sitting_page({
    Role.PROCTOR: Scope.ASSIGNED, Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
RoomViewer = Annotated[SittingCaller, Depends(staff_sitting_page({
    r: s for r, s in ROOM_WATCHERS.items() if r in BOARD_ROLES}))]
BoardViewer = Annotated[CurrentUser, Depends(staff_page(*BOARD_ROLES))]
PAGE_SIZE = 20


def room_page(request: Request, db_session: Session, current: CurrentUser, code: str, room: str, zone_name: str,
              *, readonly: bool) -> Response:
    sitting = get_sitting(db_session=db_session, code=code)
    try:
        found = seatmap.room_map(db_session, sitting, room, utcnow())
    except ExamServiceError as refused:  # a room not of this sitting: the API's own refusal, as a page
        raise PageRefusal(refused) from refused
    mine = presence.present(db_session, sitting).get(current.id)
    return render(request, "staff/room.html", user=current.user, sitting=sitting, map=found, readonly=readonly,
                  status_label=STATUS_LABELS.get(sitting.status, sitting.status),
                  starts_at=localtime.local_text(sitting.scheduled_start, zone_name), zone=zone_name,
                  present_since=localtime.local_text(mine.checked_in_at, zone_name) if mine else "",
                  labels=seatmap.SEAT_STATE_LABELS, incident_names=INCIDENT_NAMES,
                  labels_json=json.dumps({str(k): v for k, v in seatmap.SEAT_STATE_LABELS.items()},
                                         ensure_ascii=False),
                  incident_names_json=json.dumps(INCIDENT_NAMES, ensure_ascii=False),
                  local=lambda moment: localtime.local_text(moment, zone_name))


@router.get("/proctor/{code}/rooms/{room}")
def proctor_room(code: str, room: str, request: Request, current: RoomProctor, db_session: DbSession,
                 settings: SettingsDep) -> Response:
    return room_page(request, db_session, current, code, room, settings.timezone, readonly=False)


@router.get("/inspector/{code}/rooms/{room}")
def inspector_room(code: str, room: str, request: Request, current: RoomViewer, db_session: DbSession,
                   settings: SettingsDep) -> Response:
    return room_page(request, db_session, current, code, room, settings.timezone, readonly=True)


@router.get("/inspector")
def inspector_board(request: Request, current: BoardViewer, db_session: DbSession, settings: SettingsDep) -> Response:
    now = utcnow()
    today = now.astimezone(localtime.zone(settings.timezone)).date()
    lines = seatmap.board(db_session, seatmap.sittings_of_day(db_session, today, settings.timezone), now)
    return render(request, "staff/board.html", user=current.user, day=today.isoformat(), rooms=lines,
                  page_size=PAGE_SIZE, status_labels=STATUS_LABELS,
                  short=sum(1 for r in lines if r.status == "open" and r.proctors_present < r.proctors_required),
                  status_labels_json=json.dumps(STATUS_LABELS, ensure_ascii=False),
                  updated=localtime.local_text(now, settings.timezone))
