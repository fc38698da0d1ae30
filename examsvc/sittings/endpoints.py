from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from examsvc.blueprints.schemas import Passphrase
from examsvc.candidates import service as candidates
from examsvc.candidates.models import Registration
from examsvc.candidates.sheets import read_sheet
from examsvc.db import DbSession, utcnow
from examsvc.dependencies import SettingsDep
from examsvc.errors import InvalidInput
from examsvc.identity.access import CurrentUser, require_roles
from examsvc.identity.roles import PROVINCE_READERS, Role
from examsvc.limits import AdmissionNumber
from examsvc.papers import service as papers
from examsvc.sites import rooms as site_rooms
from examsvc.sites.access import CurrentWorkstation, require_workstation
from examsvc.sittings import checkin, flows, presence, record, record_page, service
from examsvc.sittings.access import Scope, SittingCaller, is_province_wide, require_sitting
from examsvc.sittings.models import Sitting, SittingStatus, StaffAssignment, StaffRole
from examsvc.uploads import upload_body

router = APIRouter(prefix="/sittings", tags=["sittings"])
ExamAdmin = Annotated[CurrentUser, Depends(require_roles(Role.EXAM_ADMIN))]
SittingAdmin = Annotated[SittingCaller, Depends(require_sitting({Role.EXAM_ADMIN: Scope.PROVINCE}))]
CandidateReader = Annotated[SittingCaller, Depends(require_sitting({
    Role.EXAM_ADMIN: Scope.PROVINCE, Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
# Exam admins, inspectors and auditors see every sitting's schedule; staff see the sittings they work in.
Lister = Annotated[CurrentUser, Depends(require_roles(*PROVINCE_READERS, Role.CHIEF_EXAMINER, Role.PROCTOR,
                                                      Role.EVALUATOR))]
Reader = Annotated[SittingCaller, Depends(require_sitting({
    Role.EXAM_ADMIN: Scope.PROVINCE, Role.AUDITOR: Scope.PROVINCE, Role.INSPECTOR: Scope.PROVINCE,
    Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.PROCTOR: Scope.ASSIGNED, Role.EVALUATOR: Scope.ASSIGNED}))]


class SittingCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "TY01-20270110-AM", "title": "低压电工作业理论考试", "blueprint_id": 1, "site_code": "TY-01",
        "rooms": ["01", "02"], "scheduled_start": "2027-01-10T01:00:00Z"}]})

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{2,40}$")
    title: str = Field(min_length=1, max_length=200)
    blueprint_id: int | None = Field(default=None, description="a theory sitting: the approved composition rule")
    practical_rule_id: int | None = Field(default=None, description="a practical sitting: the approved practical rule")
    site_code: str
    rooms: list[str] = Field(min_length=1, max_length=50)
    scheduled_start: AwareDatetime
    late_entry_minutes: int | None = Field(default=None, ge=0, le=120)
    proctors_per_room: int | None = Field(default=None, ge=1, le=10)
    correction: bool = Field(default=False, description=(
        "true records a sitting whose start has passed (a correction of the schedule, logged with "
        "`correction_reason`); otherwise a start in the past is refused (422 scheduled_in_past)"))
    correction_reason: str | None = Field(default=None, max_length=300,
                                          description="required with `correction`: why, for the log")


class StaffCreate(BaseModel):
    user_id: int
    role: StaffRole
    room: str | None = None


class StaffRemoval(BaseModel):
    reason: str = Field(min_length=1, max_length=300)


class StaffRead(BaseModel):
    id: int = Field(description="the assignment's id (DELETE /sittings/{code}/staff/{assignment_id})")
    user_id: int
    role: StaffRole
    room: str | None = Field(description="the room's code (考场), as in the request; null for whole-sitting roles")

    @classmethod
    def of(cls, assignment: StaffAssignment, room_codes: dict[int, str]) -> StaffRead:
        return cls(id=assignment.id, user_id=assignment.user_id, role=StaffRole(assignment.role),
                   room=None if assignment.room_id is None else room_codes[assignment.room_id])


class SittingRead(BaseModel):
    code: str
    title: str
    blueprint_version_id: int | None
    practical_rule_id: int | None
    site_code: str
    rooms: list[str] = Field(description="room codes (考场), as given when the sitting was scheduled")
    paper_set_ids: list[int] = Field(description="the sitting's paper sets (试卷集), first the set, then its "
                                                 "supplements: GET /paper-sets/{paper_set_id}")
    scheduled_start: datetime
    duration_minutes: int
    late_entry_minutes: int
    proctors_per_room: int
    status: SittingStatus
    staff: list[StaffRead]

    @classmethod
    def of(cls, sitting: Sitting, db_session: Session) -> SittingRead:
        codes = room_codes(db_session, sitting)
        return cls(code=sitting.code, title=sitting.title, blueprint_version_id=sitting.blueprint_version_id,
                   practical_rule_id=sitting.practical_rule_id,
                   site_code=sitting.site.code, rooms=[codes[r.room_id] for r in sitting.rooms],
                   paper_set_ids=[s.id for s in papers.sets_of_sitting(db_session=db_session,
                                                                        sitting_code=sitting.code)],
                   scheduled_start=sitting.scheduled_start, duration_minutes=sitting.duration_minutes,
                   late_entry_minutes=sitting.late_entry_minutes, proctors_per_room=sitting.proctors_per_room,
                   status=SittingStatus(sitting.status),
                   staff=[StaffRead.of(a, codes) for a in sitting.staff])


def room_codes(db_session: Session, sitting: Sitting) -> dict[int, str]:
    """Room id → code for the sitting's rooms and its staff's: every answer names rooms by code."""
    ids = {r.room_id for r in sitting.rooms} | {a.room_id for a in sitting.staff if a.room_id is not None}
    return site_rooms.codes(db_session=db_session, room_ids=ids)


@router.post("", response_model=SittingRead, status_code=status.HTTP_201_CREATED, summary="Schedule a sitting")
def create(body: SittingCreate, current: ExamAdmin, db_session: DbSession, settings: SettingsDep) -> SittingRead:
    sitting = service.create(
        db_session=db_session, code=body.code, title=body.title, blueprint_id=body.blueprint_id,
        practical_rule_id=body.practical_rule_id,
        site_code=body.site_code, room_codes=body.rooms, scheduled_start=body.scheduled_start,
        late_entry_minutes=settings.late_entry_minutes if body.late_entry_minutes is None else body.late_entry_minutes,
        proctors_per_room=settings.proctors_per_room if body.proctors_per_room is None else body.proctors_per_room,
        actor=current.actor, now=utcnow(), correction_reason=_correction(body))
    return SittingRead.of(sitting, db_session)


def _correction(body: SittingCreate) -> str | None:
    if body.correction:
        return body.correction_reason or ""  # the service refuses an empty reason, naming the field
    if body.correction_reason is not None:
        raise InvalidInput("只有标明更正（correction）时才填写更正原因。", code="correction_reason_without_correction",
                           detail={"field": "correction_reason"})
    return None


@router.get("", response_model=list[SittingRead])
def list_sittings(current: Lister, db_session: DbSession) -> list[SittingRead]:
    everything = is_province_wide(current, *PROVINCE_READERS)
    return [SittingRead.of(s, db_session) for s in service.list_all(db_session=db_session,
                                                         staff_user_id=None if everything else current.id)]


@router.get("/{code}", response_model=SittingRead)
def get(code: str, _: Reader, db_session: DbSession) -> SittingRead:
    return SittingRead.of(service.get(db_session=db_session, code=code), db_session)


@router.post("/{code}/staff", response_model=StaffRead, status_code=status.HTTP_201_CREATED,
             summary="Assign a staff member; every conflict is refused by name")
def assign(code: str, body: StaffCreate, current: SittingAdmin, db_session: DbSession) -> StaffRead:
    assignment = flows.assign_staff(db_session=db_session, code=code, user_id=body.user_id, role=body.role,
                                    room_code=body.room, actor=current.actor)
    return StaffRead.of(assignment, room_codes(db_session, service.get(db_session=db_session, code=code)))


class StaffCheck(BaseModel):
    ok: bool = Field(description="true: the assignment would be accepted as it stands")


@router.post("/{code}/staff/check", response_model=StaffCheck,
             summary="Check an assignment without making it: the conflict it would meet (409 staff_conflict "
                     "with its name, 考教分离 included), or ok")
def check_assignment(code: str, body: StaffCreate, _: SittingAdmin, db_session: DbSession) -> StaffCheck:
    flows.check_staff(db_session=db_session, code=code, user_id=body.user_id, role=body.role, room_code=body.room)
    return StaffCheck(ok=True)


@router.delete("/{code}/staff/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove an assignment before the sitting opens (with a reason)")
def unassign(code: str, assignment_id: int, body: StaffRemoval, current: SittingAdmin, db_session: DbSession) -> None:
    service.unassign(db_session=db_session, code=code, assignment_id=assignment_id, reason=body.reason,
                     actor=current.actor)


class RegistrationRead(BaseModel):
    admission_number: str
    name: str
    id_number_tail: str = Field(description="last 4 characters only: the full number stays with exam admins' files")
    training_institution: str | None


@router.post("/{code}/candidates", response_model=list[RegistrationRead], status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}},
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                     "schema": {"type": "string", "format": "binary"}}}}},
             summary="Register candidates from a CSV or xlsx list (all or nothing; every problem by row)")
def register(code: str, current: SittingAdmin, db_session: DbSession, settings: SettingsDep,
             body: Annotated[bytes, Depends(upload_body)],
             filename: Annotated[str, Query(min_length=1, max_length=255)]) -> list[RegistrationRead]:
    # The list is read before any lock: on SQLite the token check's read already began the transaction
    # (BEGIN IMMEDIATE takes the write lock), so that read-only transaction is ended first; the service's
    # first query begins the one that writes.
    db_session.rollback()
    sheet = read_sheet(body, filename)
    made = candidates.register(db_session=db_session, code=code, sheet=sheet,
                               min_age=settings.candidate_min_age, max_age=settings.candidate_max_age,
                               actor=current.actor)
    return [_registration(r) for r in made]


@router.get("/{code}/candidates", response_model=list[RegistrationRead])
def list_candidates(code: str, _: CandidateReader, db_session: DbSession) -> list[RegistrationRead]:
    return [_registration(r) for r in candidates.registrations(db_session=db_session, code=code)]


def _registration(registration: Registration) -> RegistrationRead:
    return RegistrationRead(admission_number=registration.admission_number, name=registration.candidate.name,
                            id_number_tail=registration.candidate.id_number[-4:],
                            training_institution=registration.training_institution)


StaffOnSite = Annotated[SittingCaller, Depends(require_sitting({
    Role.CHIEF_EXAMINER: Scope.ASSIGNED, Role.PROCTOR: Scope.ASSIGNED, Role.EVALUATOR: Scope.ASSIGNED,
    Role.INSPECTOR: Scope.ASSIGNED}))]
ChiefExaminer = Annotated[SittingCaller, Depends(require_sitting({Role.CHIEF_EXAMINER: Scope.ASSIGNED}))]
PresenceReader = Annotated[SittingCaller, Depends(require_sitting({
    Role.EXAM_ADMIN: Scope.PROVINCE, Role.INSPECTOR: Scope.PROVINCE, Role.CHIEF_EXAMINER: Scope.ASSIGNED,
    Role.AUDITOR: Scope.CLOSED}))]
AtWorkstation = Annotated[CurrentWorkstation, Depends(require_workstation)]


class PresenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    workstation_id: int
    checked_in_at: datetime
    checked_out_at: datetime | None
    checkout_reason: str | None


class CheckOut(BaseModel):
    reason: str = Field(min_length=1, max_length=300)


@router.post("/{code}/presence", response_model=PresenceRead, status_code=status.HTTP_201_CREATED,
             summary="Check in yourself, logged in on an approved workstation of the sitting's site")
def check_in(code: str, workstation: AtWorkstation, current: StaffOnSite, db_session: DbSession) -> PresenceRead:
    row = presence.check_in(db_session=db_session, code=code, user_id=current.id,
                            workstation=workstation.workstation, actor=current.actor)
    return PresenceRead.model_validate(row)


@router.post("/{code}/presence/{user_id}/check-out", response_model=PresenceRead,
             summary="A staff member leaves, with a reason approved by the sitting's chief examiner")
def check_out(code: str, user_id: int, body: CheckOut, current: ChiefExaminer, db_session: DbSession) -> PresenceRead:
    row = presence.check_out(db_session=db_session, code=code, user_id=user_id, reason=body.reason,
                             actor=current.actor)
    return PresenceRead.model_validate(row)


@router.get("/{code}/presence", response_model=list[PresenceRead])
def list_presence(code: str, _: PresenceReader, db_session: DbSession) -> list[PresenceRead]:
    sitting = service.get(db_session=db_session, code=code)
    return [PresenceRead.model_validate(p) for p in presence.present(db_session, sitting).values()]


@router.post("/{code}/open", response_model=SittingRead,
             summary="Open the sitting (start window, staff present, papers approved); the chief examiner's "
                     "passphrase releases the papers' key")
def open_sitting(code: str, body: Passphrase, current: ChiefExaminer, request: Request, db_session: DbSession,
                 settings: SettingsDep) -> SittingRead:
    sitting = presence.open_sitting(db_session=db_session, code=code, passphrase=body.passphrase, now=utcnow(),
                                    window_minutes=settings.open_window_minutes,
                                    keys=request.app.state.paper_keys, actor=current.actor)
    return SittingRead.of(sitting, db_session)


Proctor = Annotated[SittingCaller, Depends(require_sitting({Role.PROCTOR: Scope.ASSIGNED}))]
candidates_router = APIRouter(prefix="/candidate-sessions", tags=["sittings"])


class CheckInCreate(BaseModel):
    admission_number: AdmissionNumber
    id_number: str = Field(min_length=18, max_length=18, description="核对：考生出示的身份证号")
    photo_digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="现场拍照的 SHA-256")
    room: str
    seat: int = Field(ge=1)


class CheckInRead(BaseModel):
    admission_number: str
    room: str = Field(description="the room's code (考场)")
    seat: int = Field(description="the seat's number in the room (1-based, as numbered on site)")
    workstation_id: int = Field(description="the workstation bound to the seat (GET /workstations)")
    one_time_code: str = Field(description="Shown once: the candidate types it on the seat's workstation")


class SignIn(BaseModel):
    admission_number: AdmissionNumber
    code: str = Field(min_length=6, max_length=6)


class SessionRead(BaseModel):
    session_token: str


@router.post("/{code}/check-ins", response_model=CheckInRead, status_code=status.HTTP_201_CREATED,
             summary="A proctor of the room confirms a candidate's identity and seat; returns a one-time code")
def check_in_candidate(code: str, body: CheckInCreate, current: Proctor, db_session: DbSession) -> CheckInRead:
    row, one_time = checkin.check_in(db_session=db_session, code=code, admission_number=body.admission_number,
                                     id_number=body.id_number, photo_digest=body.photo_digest, room_code=body.room,
                                     seat_number=body.seat, now=utcnow(), actor=current.actor)
    return CheckInRead(admission_number=body.admission_number, room=body.room, seat=body.seat,
                       workstation_id=row.workstation_id, one_time_code=one_time)


@candidates_router.post("", response_model=SessionRead, status_code=status.HTTP_201_CREATED,
                        summary="The candidate signs in on the workstation of their checked-in seat")
def sign_in(body: SignIn, workstation: AtWorkstation, db_session: DbSession) -> SessionRead:
    token = checkin.sign_in(db_session=db_session, admission_number=body.admission_number, one_time_code=body.code,
                            workstation=workstation.workstation, actor=workstation.actor)
    return SessionRead(session_token=token)


@router.post("/{code}/close", response_model=SittingRead,
             summary="Close the sitting; the room record (考场记录) is made and signed with the chief examiner's key")
def close_sitting(code: str, body: Passphrase, current: ChiefExaminer, request: Request,
                  db_session: DbSession, settings: SettingsDep) -> SittingRead:
    record.close_sitting(db_session=db_session, code=code, passphrase=body.passphrase, now=utcnow(),
                         grace_seconds=settings.answer_grace_seconds,
                         keys=request.app.state.paper_keys, actor=current.actor)
    return SittingRead.of(service.get(db_session=db_session, code=code), db_session)


@router.get("/{code}/room-record", summary="The room record as canonical JSON, with its signed note in headers")
def room_record(code: str, _: PresenceReader, db_session: DbSession) -> Response:
    found = record.get_record(db_session=db_session, code=code)
    return Response(found.document, media_type="application/json",
                    headers={"X-Record-SHA256": found.digest})


@router.get("/{code}/room-record/signature", response_class=PlainTextResponse,
            summary="The chief examiner's signed note over the room record's digest")
def room_record_signature(code: str, _: PresenceReader, db_session: DbSession) -> PlainTextResponse:
    return PlainTextResponse(record.get_record(db_session=db_session, code=code).signed_note)


@router.get("/{code}/room-record.html", response_class=HTMLResponse, summary="The room record as a printable page")
def room_record_page(code: str, _: PresenceReader, db_session: DbSession, settings: SettingsDep) -> HTMLResponse:
    found = record.get_record(db_session=db_session, code=code)
    return HTMLResponse(record_page.printable(db_session, found, service.get(db_session=db_session, code=code),
                                              settings.timezone))


class Substitution(BaseModel):
    out_user_id: int
    in_user_id: int
    room: str
    reason: str = Field(min_length=1, max_length=300)


@router.post("/{code}/substitutions", status_code=status.HTTP_204_NO_CONTENT,
             summary="Replace a proctor of a room (reason required; the chief examiner approves by doing it)")
def substitute(code: str, body: Substitution, current: ChiefExaminer, db_session: DbSession) -> None:
    presence.substitute(db_session=db_session, code=code, out_user_id=body.out_user_id, in_user_id=body.in_user_id,
                        room_code=body.room, reason=body.reason, actor=current.actor)
