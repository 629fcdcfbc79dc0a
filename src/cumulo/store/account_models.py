"""The tables of identity: users, their API tokens and SSH keys, and the audit trail.

Secrets in them are never plain: passwords are argon2 hashes, API tokens
SHA-256 digests (they are long random strings), private keys and refresh
tokens ``cumulo.secrets`` ciphertexts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cumulo.store.db import utcnow
from cumulo.store.models import Base, new_uuid
from cumulo.store.types import UTCDateTime


class User(Base):
    """A person known to cumulo: a local account, or an OIDC subject seen once."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    # The login name of a local account; for OIDC users the preferred username.
    # It also names the account made for the user on their VMs.
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Local accounts: their groups; OIDC users: the groups their last token carried.
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A local administrator (OIDC users are admins through the admin group instead).
    # Not a group, so the embedded default's admin deploys without a userGroup.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # OIDC users on long deployments: the refresh token, encrypted.
    refresh_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("id", new_uuid())
        super().__init__(**kw)

    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_users_identity"),)


class ApiToken(Base):
    """One of cumulo's own bearer tokens (``cml_<id>_<secret>``), stored as a digest."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SshKey(Base):
    """A user's SSH public key, with its private key (encrypted) when cumulo made the pair."""

    __tablename__ = "ssh_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(128))
    private_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("id", new_uuid())
        super().__init__(**kw)


class AuditEvent(Base):
    """Who did what: logins, creations, changes, deletions, key changes (admins read them)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(512))  # subject@issuer, or a login name tried
    action: Mapped[str] = mapped_column(String(64))  # login, login-failed, deployment-create...
    target: Mapped[str | None] = mapped_column(String(512))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_events_at", "at"),)


class WebSession(Base):
    """A dashboard login. The session cookie names it (sealed); logging out, a new
    password or removing the user deletes it, and the cookie is worthless at once."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, never shown
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
