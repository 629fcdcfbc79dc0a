"""cumulo's own API tokens: ``cml_<id>_<secret>``, stored as a SHA-256 digest of the secret.

The secret is 256 random bits, so a fast digest is safe (no argon2 per request);
a token has an expiry and can be revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cumulo.store.account_models import ApiToken, User
from cumulo.store.db import utcnow

TOKEN_PREFIX = "cml_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(s: Session, user: User, *, name: str = "", days: float | None = 90) -> str:
    """A new token for ``user``, shown this once (only its digest is stored)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days else None
    s.add(
        ApiToken(
            id=token_id, user_id=user.id, digest=_digest(secret), name=name, expires_at=expires
        )
    )
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def token_id_of(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, sep, _ = token[len(TOKEN_PREFIX) :].partition("_")
    return token_id if sep and token_id else None


def user_of_token(s: Session, token: str, now: datetime | None = None) -> User | None:
    """The owner of a valid (known, unexpired, unrevoked) token, else ``None``."""
    token_id = token_id_of(token)
    if token_id is None:
        return None
    row = s.get(ApiToken, token_id)
    secret = token[len(TOKEN_PREFIX) + len(token_id) + 1 :]
    if row is None or not hmac.compare_digest(row.digest, _digest(secret)):
        return None
    now = now or utcnow()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now  # coarse, so reads do not all become writes
    return s.get(User, row.user_id)


def tokens_of(s: Session, user: User) -> list[ApiToken]:
    return list(
        s.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at))
    )


def revoke_token(s: Session, user: User | None, token_id: str) -> bool:
    """Revoke one token (of ``user``, or anyone's when ``None``); whether it existed."""
    row = s.get(ApiToken, token_id)
    if row is None or (user is not None and row.user_id != user.id):
        return False
    row.revoked_at = row.revoked_at or utcnow()
    return True
