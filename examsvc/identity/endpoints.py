from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from examsvc.config import Settings
from examsvc.db import DbSession
from examsvc.dependencies import SettingsDep
from examsvc.identity import service, throttle
from examsvc.identity.access import ALL_ROLES, CurrentUser, require_roles
from examsvc.identity.roles import Role
from examsvc.identity.schemas import (
    AffiliationCreate,
    LoginRequest,
    PasswordChange,
    RevokedTokens,
    RoleGrant,
    TokenRead,
    UserCreate,
    UserRead,
)

auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])

AnyUser = Annotated[CurrentUser, Depends(require_roles(*ALL_ROLES))]
SystemAdmin = Annotated[CurrentUser, Depends(require_roles(Role.SYSTEM_ADMIN))]


def login_policy(settings: Settings) -> service.LoginPolicy:
    return service.LoginPolicy(
        token_ttl=timedelta(minutes=settings.access_token_ttl_minutes),
        throttle=throttle.ThrottlePolicy.from_settings(settings),
        password_cost_log2=settings.password_cost_log2,
    )


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy on this host, uvicorn takes it from
    X-Forwarded-For: see docs/security.md)."""
    return request.client.host if request.client is not None else "unknown"


@auth_router.post("/login", response_model=TokenRead, summary="Log in and receive a bearer token",
                  description="Wrong passwords back off per name and per client address: past the allowed "
                              "failures, 429 `too_many_attempts` with `retry_after_seconds` until the wait ends.")
def login(body: LoginRequest, request: Request, db_session: DbSession, settings: SettingsDep) -> TokenRead:
    issued = service.login(db_session=db_session, username=body.username, password=body.password,
                           source=client_address(request), policy=login_policy(settings))
    return TokenRead(access_token=issued.secret, expires_at=issued.expires_at)


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the token used")
def logout(current: AnyUser, db_session: DbSession) -> None:
    service.logout(db_session=db_session, secret=current.token, actor=current.actor)


@auth_router.post("/password", status_code=status.HTTP_204_NO_CONTENT,
                  summary="Change one's own password; other sessions of the user end")
def change_password(body: PasswordChange, current: AnyUser, db_session: DbSession, settings: SettingsDep) -> None:
    service.change_password(db_session=db_session, user=current.user, current_password=body.current_password,
                            new_password=body.new_password, keep_token=current.token, actor=current.actor,
                            policy=login_policy(settings))


@auth_router.get("/me", response_model=UserRead, summary="The logged-in user and their roles")
def me(current: AnyUser) -> UserRead:
    return UserRead.model_validate(current.user)


@users_router.get("", response_model=list[UserRead])
def list_users(_: SystemAdmin, db_session: DbSession) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(db_session=db_session)]


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, current: SystemAdmin, db_session: DbSession, settings: SettingsDep) -> UserRead:
    user = service.create_user(
        db_session=db_session, username=body.username, display_name=body.display_name, password=body.password,
        roles=body.roles, affiliations=[(a.kind, a.organisation) for a in body.affiliations],
        actor=current.actor, password_cost_log2=settings.password_cost_log2,
    )
    return UserRead.model_validate(user)


@users_router.get("/{user_id}", response_model=UserRead)
def get_user(user_id: int, _: SystemAdmin, db_session: DbSession) -> UserRead:
    return UserRead.model_validate(service.get_user(db_session=db_session, user_id=user_id))


@users_router.post("/{user_id}/roles", response_model=UserRead)
def grant_role(user_id: int, body: RoleGrant, current: SystemAdmin, db_session: DbSession) -> UserRead:
    user = service.grant_role(db_session=db_session, user_id=user_id, role=body.role, actor=current.actor)
    return UserRead.model_validate(user)


@users_router.delete("/{user_id}/roles/{role}", response_model=UserRead)
def revoke_role(user_id: int, role: Role, current: SystemAdmin, db_session: DbSession) -> UserRead:
    return UserRead.model_validate(service.revoke_role(db_session=db_session, user_id=user_id, role=role,
                                                       actor=current.actor))


@users_router.post("/{user_id}/affiliations", response_model=UserRead)
def add_affiliation(user_id: int, body: AffiliationCreate, current: SystemAdmin, db_session: DbSession) -> UserRead:
    user = service.add_affiliation(db_session=db_session, user_id=user_id, kind=body.kind,
                                   organisation=body.organisation, actor=current.actor)
    return UserRead.model_validate(user)


@users_router.post("/{user_id}/disable", response_model=UserRead, summary="Disable a user and revoke their tokens")
def disable_user(user_id: int, current: SystemAdmin, db_session: DbSession) -> UserRead:
    return UserRead.model_validate(service.set_disabled(db_session=db_session, user_id=user_id, disabled=True,
                                                        actor=current.actor))


@users_router.post("/{user_id}/enable", response_model=UserRead)
def enable_user(user_id: int, current: SystemAdmin, db_session: DbSession) -> UserRead:
    return UserRead.model_validate(service.set_disabled(db_session=db_session, user_id=user_id, disabled=False,
                                                        actor=current.actor))


@users_router.post("/{user_id}/tokens/revoke", response_model=RevokedTokens,
                   summary="Revoke every live token of a user (e.g. a lost laptop)")
def revoke_tokens(user_id: int, current: SystemAdmin, db_session: DbSession) -> RevokedTokens:
    return RevokedTokens(revoked=service.revoke_all_tokens(db_session=db_session, user_id=user_id,
                                                           actor=current.actor))


@users_router.post("/{user_id}/unlock", response_model=UserRead,
                   summary="Clear a user's back-off after failed logins, passwords or passphrases")
def unlock_user(user_id: int, current: SystemAdmin, db_session: DbSession) -> UserRead:
    return UserRead.model_validate(service.unlock_account(db_session=db_session, user_id=user_id,
                                                          actor=current.actor))
