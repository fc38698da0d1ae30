"""All identity queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from examsvc.identity.models import AccessToken, UserAccount, UserRole


def get_user(db_session: Session, user_id: int) -> UserAccount | None:
    return db_session.get(UserAccount, user_id)


def get_user_by_username(db_session: Session, username: str) -> UserAccount | None:
    return db_session.scalars(select(UserAccount).where(UserAccount.username == username)).one_or_none()


def list_users(db_session: Session) -> list[UserAccount]:
    return list(db_session.scalars(select(UserAccount).order_by(UserAccount.id)))


def count_users_with_role(db_session: Session, role: str) -> int:
    return db_session.scalar(select(func.count()).select_from(UserRole).where(UserRole.role == role)) or 0


def get_token_by_digest(db_session: Session, digest: str) -> AccessToken | None:
    return db_session.scalars(select(AccessToken).where(AccessToken.token_digest == digest)).one_or_none()


def revoke_tokens_of_user(db_session: Session, user_id: int, at: datetime, *,
                          except_token_id: int | None = None) -> int:
    query = update(AccessToken).where(
        AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None), AccessToken.expires_at > at
    )
    if except_token_id is not None:
        query = query.where(AccessToken.id != except_token_id)
    result = db_session.execute(query.values(revoked_at=at))
    return int(result.rowcount)  # type: ignore[attr-defined]
