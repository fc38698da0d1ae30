from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from examsvc.identity.roles import AffiliationKind, Role
from examsvc.text import SingleLine


class LoginRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"username": "zhangsan", "password": "••••••••••"}]})

    username: SingleLine = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=10, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime


class AffiliationCreate(BaseModel):
    kind: AffiliationKind
    organisation: str = Field(min_length=1, max_length=200, examples=["太原市某安全培训中心"])


class AffiliationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AffiliationKind
    organisation: str


class UserCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "lisi", "display_name": "李四", "password": "a-long-passphrase",
        "roles": ["proctor"], "affiliations": [{"kind": "employer", "organisation": "山西省某考点"}],
    }]})

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=10, max_length=256)
    roles: list[Role] = Field(default_factory=list)
    affiliations: list[AffiliationCreate] = Field(default_factory=list)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    disabled: bool
    roles: list[Role] = Field(validation_alias="role_names")
    affiliations: list[AffiliationRead]
    locked_until: datetime | None
    created_at: datetime


class RoleGrant(BaseModel):
    role: Role


class RevokedTokens(BaseModel):
    revoked: int
