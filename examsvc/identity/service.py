"""Users, roles, affiliations and login. Services never commit: the caller's transaction does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.db import utcnow
from examsvc.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from examsvc.identity import passwords, repository
from examsvc.identity.models import AccessToken, StaffAffiliation, UserAccount, UserRole
from examsvc.identity.roles import AffiliationKind, Role
from examsvc.identity.tokens import digest_secret, new_secret

TOKEN_PREFIX = "exu"  # noqa: S105 - a visible prefix, not a secret


@dataclass(frozen=True)
class LoginPolicy:
    token_ttl: timedelta
    max_failures: int
    lockout: timedelta
    password_cost_log2: int = passwords.DEFAULT_COST_LOG2


@dataclass(frozen=True)
class IssuedToken:
    secret: str
    expires_at: datetime


def get_user(*, db_session: Session, user_id: int) -> UserAccount:
    user = repository.get_user(db_session, user_id)
    if user is None:
        raise NotFound("用户不存在。", detail={"user_id": user_id})
    return user


def list_users(*, db_session: Session) -> list[UserAccount]:
    return repository.list_users(db_session)


def create_user(
    *,
    db_session: Session,
    username: str,
    display_name: str,
    password: str,
    roles: list[Role] | None = None,
    affiliations: list[tuple[AffiliationKind, str]] | None = None,
    actor: Actor,
    password_cost_log2: int = passwords.DEFAULT_COST_LOG2,
) -> UserAccount:
    try:
        passwords.check_password_policy(password)
    except passwords.WeakPasswordError as exc:
        raise InvalidInput(str(exc), code="weak_password", detail={"field": "password"}) from exc
    if repository.get_user_by_username(db_session, username) is not None:
        raise Conflict("用户名已存在。", code="username_taken", detail={"username": username})
    user = UserAccount(
        username=username,
        display_name=display_name,
        password_hash=passwords.hash_password(password, cost_log2=password_cost_log2),
        disabled=False,
        failed_login_count=0,
    )
    user.roles = [UserRole(role=str(role), granted_by=actor.user_id) for role in sorted(set(roles or []))]
    user.affiliations = [StaffAffiliation(kind=str(kind), organisation=org) for kind, org in affiliations or []]
    db_session.add(user)
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="user.created", subject_type="user", subject_id=user.id,
                 details={"username": username, "roles": user.role_names,
                          "affiliations": [[a.kind, a.organisation] for a in user.affiliations]})
    return user


def login(*, db_session: Session, username: str, password: str, policy: LoginPolicy) -> IssuedToken:
    """Checks the password and issues a bearer token.

    Failures are counted per account; after ``max_failures`` the account is locked for ``lockout``
    and even the right password is refused until then. The failure count must survive the refusal,
    so the raised errors ask the request's transaction to keep its changes.
    """
    now = utcnow()
    user = repository.get_user_by_username(db_session, username)
    if user is None:
        passwords.burn_time(password, cost_log2=policy.password_cost_log2)
        raise NotAuthenticated("用户名或密码错误。", code="invalid_credentials")
    if user.locked_until is not None and user.locked_until > now:
        raise TooManyAttempts(detail={"locked_until": user.locked_until.isoformat()})
    if not passwords.verify_password(password, user.password_hash):
        user.failed_login_count += 1
        failures = user.failed_login_count
        locked = failures >= policy.max_failures
        if locked:
            user.locked_until = now + policy.lockout
            user.failed_login_count = 0
        audit.record(db_session=db_session, actor=Actor.system("login"),
                     action="auth.account_locked" if locked else "auth.login_failed", subject_type="user",
                     subject_id=user.id, details={"failures": failures})
        if locked:
            assert user.locked_until is not None
            raise TooManyAttempts(detail={"locked_until": user.locked_until.isoformat()}, keep_changes=True)
        raise NotAuthenticated("用户名或密码错误。", code="invalid_credentials", keep_changes=True)
    if user.disabled:
        raise NotAuthenticated("该账号已停用。", code="account_disabled")
    user.failed_login_count = 0
    user.locked_until = None
    secret = new_secret(TOKEN_PREFIX)
    token = AccessToken(user_id=user.id, token_digest=digest_secret(secret), expires_at=now + policy.token_ttl)
    db_session.add(token)
    db_session.flush()
    audit.record(db_session=db_session, actor=Actor.user(user.id, user.username, tuple(user.role_names)),
                 action="auth.logged_in", subject_type="access_token", subject_id=token.id,
                 details={"expires_at": audit.rfc3339(token.expires_at)})
    return IssuedToken(secret=secret, expires_at=token.expires_at)


def authenticate_token(*, db_session: Session, secret: str) -> UserAccount:
    """The user behind a live token; any failure is the same 401, whatever its cause."""
    token = repository.get_token_by_digest(db_session, digest_secret(secret))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now or token.user.disabled:
        raise NotAuthenticated()
    return token.user


def logout(*, db_session: Session, secret: str, actor: Actor) -> None:
    token = repository.get_token_by_digest(db_session, digest_secret(secret))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(db_session=db_session, actor=actor, action="auth.logged_out", subject_type="access_token",
                     subject_id=token.id)


def change_password(*, db_session: Session, user: UserAccount, current_password: str, new_password: str,
                    keep_token: str, actor: Actor, password_cost_log2: int = passwords.DEFAULT_COST_LOG2) -> None:
    """Replaces the password and ends every other session of the user."""
    if not passwords.verify_password(current_password, user.password_hash):
        raise InvalidInput("当前密码不正确。", code="wrong_current_password", detail={"field": "current_password"})
    try:
        passwords.check_password_policy(new_password)
    except passwords.WeakPasswordError as exc:
        raise InvalidInput(str(exc), code="weak_password", detail={"field": "new_password"}) from exc
    user.password_hash = passwords.hash_password(new_password, cost_log2=password_cost_log2)
    keep = repository.get_token_by_digest(db_session, digest_secret(keep_token))
    ended = repository.revoke_tokens_of_user(db_session, user.id, utcnow(), except_token_id=keep.id if keep else None)
    audit.record(db_session=db_session, actor=actor, action="auth.password_changed", subject_type="user",
                 subject_id=user.id, details={"other_sessions_ended": ended})


def revoke_all_tokens(*, db_session: Session, user_id: int, actor: Actor) -> int:
    get_user(db_session=db_session, user_id=user_id)
    revoked = repository.revoke_tokens_of_user(db_session, user_id, utcnow())
    audit.record(db_session=db_session, actor=actor, action="user.tokens_revoked", subject_type="user",
                 subject_id=user_id, details={"revoked": revoked})
    return revoked


def _refuse_removing_last_admin(db_session: Session, user: UserAccount) -> None:
    if Role.SYSTEM_ADMIN in user.role_names and not user.disabled and \
            repository.count_users_with_role(db_session, Role.SYSTEM_ADMIN) <= 1:
        raise Conflict("不能移除最后一名考试系统管理员。", code="last_system_admin", detail={"user_id": user.id})


def grant_role(*, db_session: Session, user_id: int, role: Role, actor: Actor) -> UserAccount:
    user = get_user(db_session=db_session, user_id=user_id)
    if role not in user.role_names:
        user.roles.append(UserRole(role=str(role), granted_by=actor.user_id))
        db_session.flush()
        audit.record(db_session=db_session, actor=actor, action="user.role_granted", subject_type="user",
                     subject_id=user_id, details={"role": str(role)})
    return user


def revoke_role(*, db_session: Session, user_id: int, role: Role, actor: Actor) -> UserAccount:
    user = get_user(db_session=db_session, user_id=user_id)
    if role not in user.role_names:
        return user
    if role == Role.SYSTEM_ADMIN:
        _refuse_removing_last_admin(db_session, user)
    user.roles = [r for r in user.roles if r.role != role]
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="user.role_revoked", subject_type="user",
                 subject_id=user_id, details={"role": str(role)})
    return user


def set_disabled(*, db_session: Session, user_id: int, disabled: bool, actor: Actor) -> UserAccount:
    user = get_user(db_session=db_session, user_id=user_id)
    if user.disabled == disabled:
        return user
    if disabled:
        _refuse_removing_last_admin(db_session, user)
        repository.revoke_tokens_of_user(db_session, user_id, utcnow())
    user.disabled = disabled
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="user.disabled" if disabled else "user.enabled",
                 subject_type="user", subject_id=user_id)
    return user


def add_affiliation(*, db_session: Session, user_id: int, kind: AffiliationKind, organisation: str,
                    actor: Actor) -> UserAccount:
    user = get_user(db_session=db_session, user_id=user_id)
    if any(a.kind == kind and a.organisation == organisation for a in user.affiliations):
        raise Conflict("该单位已登记。", code="affiliation_exists", detail={"organisation": organisation})
    user.affiliations.append(StaffAffiliation(kind=str(kind), organisation=organisation))
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="user.affiliation_added", subject_type="user",
                 subject_id=user_id, details={"kind": str(kind), "organisation": organisation})
    return user


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def has_system_admin(*, db_session: Session) -> bool:
    return repository.count_users_with_role(db_session, Role.SYSTEM_ADMIN) > 0
