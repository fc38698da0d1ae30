from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from examsvc.sites.models import WorkstationStatus
from examsvc.text import SingleLine


class SiteCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"code": "TY-01", "name": "太原市安全生产考试点一", "address": "太原市小店区", "city": "太原市"}]})

    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: SingleLine = Field(min_length=1, max_length=200)
    address: SingleLine = Field(default="", max_length=300)
    city: SingleLine | None = Field(default=None, min_length=1, max_length=40,
                                    description="设区的市 (prefecture-level city), for the province's statistics")


class SiteUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"city": "太原市"}]})

    city: SingleLine | None = Field(min_length=1, max_length=40, description="设区的市; null clears it")


class SiteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    address: str
    city: str | None
    created_at: datetime


class SiteWithEnrolmentCode(SiteRead):
    enrolment_code: str = Field(description="Shown once: give it to the site's technician to enrol workstations.")


class WorkstationEnrol(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"site_code": "TY-01", "enrolment_code": "exe_…", "name": "第1考场-01号机"}]})

    site_code: str = Field(min_length=2, max_length=32)
    enrolment_code: str = Field(min_length=8, max_length=200)
    name: SingleLine = Field(min_length=1, max_length=100)


class WorkstationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    site_code: str
    name: str
    status: WorkstationStatus
    enrolled_at: datetime
    approved_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None


class WorkstationEnrolled(WorkstationRead):
    credential: str = Field(description="Shown once: the workstation keeps it and sends it as X-Workstation-Token.")


class WorkstationRevoke(BaseModel):
    reason: str = Field(min_length=1, max_length=300, examples=["设备报废"])


class RoomCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "01", "name": "第一考场", "seats": 40}]})

    code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    name: SingleLine = Field(min_length=1, max_length=100)
    seats: int = Field(ge=1, le=200)


class SeatRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    workstation_id: int | None


class RoomRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    seats: list[SeatRead]


class SeatBinding(BaseModel):
    workstation_id: int | None = Field(description="null clears the seat")
