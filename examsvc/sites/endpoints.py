from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from examsvc.db import DbSession
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.sites import rooms, service
from examsvc.sites.access import CurrentWorkstation, require_workstation
from examsvc.sites.models import WorkstationStatus
from examsvc.sites.schemas import (
    RoomCreate,
    RoomRead,
    SeatBinding,
    SeatRead,
    SiteCreate,
    SiteRead,
    SiteUpdate,
    SiteWithEnrolmentCode,
    WorkstationEnrol,
    WorkstationEnrolled,
    WorkstationRead,
    WorkstationRevoke,
)

sites_router = APIRouter(prefix="/sites", tags=["sites"])
workstations_router = APIRouter(prefix="/workstations", tags=["workstations"])

SystemAdmin = Annotated[CurrentUser, Depends(require_roles(Role.SYSTEM_ADMIN))]
SiteReader = Annotated[CurrentUser, Depends(require_roles(Role.SYSTEM_ADMIN, Role.EXAM_ADMIN, Role.CHIEF_EXAMINER))]
ThisWorkstation = Annotated[CurrentWorkstation, Depends(require_workstation)]


@sites_router.post("", response_model=SiteWithEnrolmentCode, status_code=status.HTTP_201_CREATED,
                   summary="Create an exam site (考点); returns its workstation enrolment code once")
def create_site(body: SiteCreate, current: SystemAdmin, db_session: DbSession) -> SiteWithEnrolmentCode:
    created = service.create_site(db_session=db_session, code=body.code, name=body.name, address=body.address,
                                  city=body.city, actor=current.actor)
    return SiteWithEnrolmentCode.model_validate({**SiteRead.model_validate(created.site).model_dump(),
                                                 "enrolment_code": created.enrolment_code})


@sites_router.patch("/{site_code}", response_model=SiteRead, summary="Set or clear a site's city (设区的市)")
def update_site(site_code: str, body: SiteUpdate, current: SystemAdmin, db_session: DbSession) -> SiteRead:
    return SiteRead.model_validate(service.set_city(db_session=db_session, code=site_code, city=body.city,
                                                    actor=current.actor))


@sites_router.get("", response_model=list[SiteRead])
def list_sites(_: SiteReader, db_session: DbSession) -> list[SiteRead]:
    return [SiteRead.model_validate(s) for s in service.list_sites(db_session=db_session)]


@sites_router.post("/{site_code}/enrolment-code", response_model=SiteWithEnrolmentCode,
                   summary="Replace a site's enrolment code (the old one stops working)")
def rotate_enrolment_code(site_code: str, current: SystemAdmin, db_session: DbSession) -> SiteWithEnrolmentCode:
    created = service.rotate_enrolment_code(db_session=db_session, code=site_code, actor=current.actor)
    return SiteWithEnrolmentCode.model_validate({**SiteRead.model_validate(created.site).model_dump(),
                                                 "enrolment_code": created.enrolment_code})


@sites_router.post("/{site_code}/rooms", response_model=RoomRead, status_code=status.HTTP_201_CREATED,
                   summary="Add an exam room (考场) with numbered seats")
def create_room(site_code: str, body: RoomCreate, current: SystemAdmin, db_session: DbSession) -> RoomRead:
    room = rooms.create_room(db_session=db_session, site_code=site_code, code=body.code, name=body.name,
                             seats=body.seats, actor=current.actor)
    return RoomRead.model_validate(room)


@sites_router.get("/{site_code}/rooms", response_model=list[RoomRead], summary="Rooms, seats and their workstations")
def list_rooms(site_code: str, _: SiteReader, db_session: DbSession) -> list[RoomRead]:
    return [RoomRead.model_validate(r) for r in rooms.list_rooms(db_session=db_session, site_code=site_code)]


@sites_router.put("/{site_code}/rooms/{room_code}/seats/{number}", response_model=SeatRead,
                  summary="Bind a seat to an approved workstation of the site (null clears it); logged")
def bind_seat(site_code: str, room_code: str, number: int, body: SeatBinding, current: SystemAdmin,
              db_session: DbSession) -> SeatRead:
    seat = rooms.bind_seat(db_session=db_session, site_code=site_code, room_code=room_code, number=number,
                           workstation_id=body.workstation_id, actor=current.actor)
    return SeatRead.model_validate(seat)


@workstations_router.post("/enrol", response_model=WorkstationEnrolled, status_code=status.HTTP_201_CREATED,
                          summary="Enrol this computer at a site; it stays pending until a system admin approves")
def enrol(body: WorkstationEnrol, db_session: DbSession) -> WorkstationEnrolled:
    enrolment = service.enrol_workstation(db_session=db_session, site_code=body.site_code,
                                          enrolment_code=body.enrolment_code, name=body.name)
    return WorkstationEnrolled.model_validate({**WorkstationRead.model_validate(enrolment.workstation).model_dump(),
                                               "credential": enrolment.credential})


@workstations_router.get("", response_model=list[WorkstationRead])
def list_workstations(_: SystemAdmin, db_session: DbSession, site_code: str | None = None,
                      status: WorkstationStatus | None = None) -> list[WorkstationRead]:
    found = service.list_workstations(db_session=db_session, site_code=site_code, status=status)
    return [WorkstationRead.model_validate(w) for w in found]


@workstations_router.get("/me", response_model=WorkstationRead, summary="The calling workstation's own record")
def this_workstation(current: ThisWorkstation) -> WorkstationRead:
    return WorkstationRead.model_validate(current.workstation)


@workstations_router.post("/{workstation_id}/approve", response_model=WorkstationRead)
def approve(workstation_id: int, current: SystemAdmin, db_session: DbSession) -> WorkstationRead:
    workstation = service.approve_workstation(db_session=db_session, workstation_id=workstation_id,
                                              actor=current.actor)
    return WorkstationRead.model_validate(workstation)


@workstations_router.post("/{workstation_id}/revoke", response_model=WorkstationRead)
def revoke(
    workstation_id: int, body: WorkstationRevoke, current: SystemAdmin, db_session: DbSession
) -> WorkstationRead:
    workstation = service.revoke_workstation(db_session=db_session, workstation_id=workstation_id,
                                             actor=current.actor, reason=body.reason)
    return WorkstationRead.model_validate(workstation)
