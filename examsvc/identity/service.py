"""Users, roles, affiliations and login. Services never commit: the caller's transaction does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.db import utcnow
from examsvc.errors import Conflict, HandedOver, InvalidInput, NotAuthenticated, NotFound
from examsvc.identity import passwords, repository, throttle
from examsvc.identity.models import AccessToken, StaffAffiliation, UserAccount, UserRole
from examsvc.identity.roles import AffiliationKind, Role
from examsvc.identity.tokens import digest_secret, new_secret
from examsvc.text import is_control

TOKEN_PREFIX = "exu"  # noqa: S105 - a visible prefix, not a secret


LOGIN_ACTOR = Actor.system("login")


@dataclass(frozen=True)
class LoginPolicy:
    token_ttl: timedelta
    throttle: throttle.ThrottlePolicy
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
        passwords.check_password_policy(password, username=username)
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


def end_read_transaction(db_session: Session) -> None:
    """Ends the request's transaction before a password or passphrase is hashed: on SQLite every
    transaction holds the write lock (BEGIN IMMEDIATE, see db), and scrypt takes ~0.4 s, during which
    no candidate's save could commit (issue 14 item 8). Only reads may precede it: they are dropped
    here, and the objects read are loaded again when next used."""
    db_session.rollback()


def login(*, db_session: Session, username: str, password: str, source: str, policy: LoginPolicy) -> IssuedToken:
    """Checks the password and issues a bearer token.

    Three steps, so that no transaction is open while scrypt runs: read the user and the throttle
    (a waiting name or source is refused at once, 429), verify with no transaction open, then write.
    An unknown name spends the same hashing and is counted and throttled as a known one; only a known
    account's failures are logged (``auth.login_failed``, ``auth.login_throttled`` when a wait
    begins), and a source's wait (``auth.source_throttled``). The failure must survive the refusal, so
    the raised error asks the request's transaction to keep its changes.
    """
    if any(is_control(c) for c in username):
        # No account has such a name (user names are [A-Za-z0-9._-]); PostgreSQL cannot even store a NUL.
        raise InvalidInput("用户名不能含有控制字符。", code="bad_username", detail={"field": "username"})
    now = utcnow()
    throttle.refuse_if_waiting(db_session, scope=throttle.Scope.ACCOUNT, subject=username, now=now)
    throttle.refuse_if_waiting(db_session, scope=throttle.Scope.SOURCE, subject=source, now=now)
    found = repository.get_user_by_username(db_session, username)
    user_id, stored_hash = (found.id, found.password_hash) if found is not None else (None, None)
    end_read_transaction(db_session)
    if stored_hash is None:
        passwords.burn_time(password, cost_log2=policy.password_cost_log2)
        correct = False
    else:
        correct = passwords.verify_password(password, stored_hash)
    now = utcnow()
    if not correct:
        _count_login_failure(db_session, username=username, user_id=user_id, source=source, policy=policy, now=now)
        raise NotAuthenticated("用户名或密码错误。", code="invalid_credentials", keep_changes=True)
    assert user_id is not None
    user = get_user(db_session=db_session, user_id=user_id)
    if user.disabled:
        raise NotAuthenticated("该账号已停用。", code="account_disabled")
    throttle.forget(db_session, scope=throttle.Scope.ACCOUNT, subject=username)
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


def _count_login_failure(db_session: Session, *, username: str, user_id: int | None, source: str,
                         policy: LoginPolicy, now: datetime) -> None:
    by_name = throttle.record_failure(db_session, scope=throttle.Scope.ACCOUNT, subject=username,
                                      rule=policy.throttle.per_name, now=now)
    by_source = throttle.record_failure(db_session, scope=throttle.Scope.SOURCE, subject=source,
                                        rule=policy.throttle.per_source, now=now)
    if user_id is not None:
        # Mirrored on the account, for administrators reading it (UserRead.locked_until).
        user = get_user(db_session=db_session, user_id=user_id)
        user.failed_login_count = by_name.failures
        if by_name.wait is not None:
            user.locked_until = now + by_name.wait
        audit.record(db_session=db_session, actor=LOGIN_ACTOR,
                     action="auth.login_throttled" if by_name.wait else "auth.login_failed",
                     subject_type="user", subject_id=user_id, details=by_name.details() | {"source": source})
    if by_source.wait is not None:
        # Not each failure: a made-up name is never written to the log, only that a source must wait.
        audit.record(db_session=db_session, actor=LOGIN_ACTOR, action="auth.source_throttled",
                     subject_type="client_address", subject_id=source, details=by_source.details())


def unlock_account(*, db_session: Session, user_id: int, actor: Actor) -> UserAccount:
    """Clears an account's back-off (its login name, its current-password and passphrase checks)."""
    user = get_user(db_session=db_session, user_id=user_id)
    cleared = [str(scope) for scope, subject in ((throttle.Scope.ACCOUNT, user.username),
                                                 (throttle.Scope.CURRENT_PASSWORD, str(user.id)),
                                                 (throttle.Scope.PASSPHRASE, str(user.id)))
               if throttle.forget(db_session, scope=scope, subject=subject)]
    user.failed_login_count = 0
    user.locked_until = None
    db_session.flush()
    audit.record(db_session=db_session, actor=actor, action="user.unlocked", subject_type="user",
                 subject_id=user.id, details={"cleared": cleared})
    return user


def unlock_source(*, db_session: Session, source: str, actor: Actor) -> bool:
    """Clears a client address's back-off; whether it had one."""
    cleared = throttle.forget(db_session, scope=throttle.Scope.SOURCE, subject=source)
    audit.record(db_session=db_session, actor=actor, action="auth.source_unlocked", subject_type="client_address",
                 subject_id=source, details={"cleared": cleared})
    return cleared


def live_token(*, db_session: Session, secret: str) -> AccessToken:
    """A live token, locked or not; any failure is the same 401, whatever its cause."""
    token = repository.get_token_by_digest(db_session, digest_secret(secret))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now or token.user.disabled:
        raise NotAuthenticated()
    return token


def authenticate_token(*, db_session: Session, secret: str) -> UserAccount:
    """The user behind a live token that is not handed over for a spot exam (``HandedOver``, 423)."""
    token = live_token(db_session=db_session, secret=secret)
    if token.locked_spot_exam_id is not None:
        raise HandedOver(detail={"spot_exam_id": token.locked_spot_exam_id})
    return token.user


def logout(*, db_session: Session, secret: str, actor: Actor) -> None:
    token = repository.get_token_by_digest(db_session, digest_secret(secret))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(db_session=db_session, actor=actor, action="auth.logged_out", subject_type="access_token",
                     subject_id=token.id)


def check_password(*, db_session: Session, user: UserAccount, password: str, actor: Actor, policy: LoginPolicy,
                   field: str, message: str = "密码不正确。", code: str = "wrong_password") -> UserAccount:
    """The user again once ``password`` is theirs; checked like a login (issue 14 item 7): wrong ones are
    counted per user and logged, and past ``login_max_failures`` the user must wait. Hashing runs with no
    transaction open (see ``end_read_transaction``). Used for the current password at a change, and for an
    officer's password that unlocks a handed-over device or confirms the second officer (examsvc.spot)."""
    user_id, stored_hash, subject = user.id, user.password_hash, str(user.id)
    throttle.refuse_if_waiting(db_session, scope=throttle.Scope.CURRENT_PASSWORD, subject=subject, now=utcnow())
    end_read_transaction(db_session)
    if not passwords.verify_password(password, stored_hash):
        failure = throttle.record_failure(db_session, scope=throttle.Scope.CURRENT_PASSWORD, subject=subject,
                                          rule=policy.throttle.per_name, now=utcnow())
        audit.record(db_session=db_session, actor=actor,
                     action="auth.current_password_throttled" if failure.wait else "auth.current_password_failed",
                     subject_type="user", subject_id=user_id, details=failure.details())
        raise InvalidInput(message, code=code, detail={"field": field}, keep_changes=True)
    throttle.forget(db_session, scope=throttle.Scope.CURRENT_PASSWORD, subject=subject)
    return get_user(db_session=db_session, user_id=user_id)


def change_password(*, db_session: Session, user: UserAccount, current_password: str, new_password: str,
                    keep_token: str, actor: Actor, policy: LoginPolicy) -> None:
    """Replaces the password and ends every other session of the user (the current one checked by
    ``check_password``)."""
    try:
        passwords.check_password_policy(new_password, username=user.username)
    except passwords.WeakPasswordError as exc:
        raise InvalidInput(str(exc), code="weak_password", detail={"field": "new_password"}) from exc
    user = check_password(db_session=db_session, user=user, password=current_password, actor=actor, policy=policy,
                          field="current_password", message="当前密码不正确。", code="wrong_current_password")
    user.password_hash = passwords.hash_password(new_password, cost_log2=policy.password_cost_log2)
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
