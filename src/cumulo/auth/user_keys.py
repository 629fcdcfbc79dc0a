"""A user's SSH keys: uploaded public keys, or pairs cumulo generates (private key encrypted)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cumulo.errors import BadRequest, Conflict, NotFound
from cumulo.secrets import Purpose, SecretBox, ssh_private_key
from cumulo.secrets.ssh_keys import generate_ed25519, parse_public_key
from cumulo.store.account_models import SshKey, User

MAX_KEYS = 50


def keys_of(s: Session, user: User) -> list[SshKey]:
    return list(
        s.scalars(select(SshKey).where(SshKey.user_id == user.id).order_by(SshKey.created_at))
    )


def _check_name(s: Session, user: User, name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise BadRequest("name: give the key a name of 1 to 100 characters")
    existing = keys_of(s, user)
    if len(existing) >= MAX_KEYS:
        raise BadRequest(f"a user keeps at most {MAX_KEYS} keys: delete one first")
    if any(k.name == name for k in existing):
        raise Conflict(f"you already have a key named {name!r}")
    return name


def add_public_key(s: Session, user: User, name: str, public_key: str) -> SshKey:
    name = _check_name(s, user, name)
    key = parse_public_key(public_key)
    if any(k.fingerprint == key.fingerprint for k in keys_of(s, user)):
        raise Conflict(f"this key ({key.fingerprint}) is already yours")
    row = SshKey(user_id=user.id, name=name, public_key=key.line, fingerprint=key.fingerprint)
    s.add(row)
    s.flush()
    return row


def generate_key(s: Session, box: SecretBox, user: User, name: str) -> SshKey:
    """A new ed25519 pair; its private key is stored only encrypted."""
    name = _check_name(s, user, name)
    pem, public = generate_ed25519(f"{user.name}@cumulo")
    row = SshKey(user_id=user.id, name=name, public_key=public.line, fingerprint=public.fingerprint)
    row.private_key = box.seal(pem, Purpose.SSH_PRIVATE_KEY, ssh_private_key(row.user_id, row.id))
    s.add(row)
    s.flush()
    return row


def key_of(s: Session, user: User, key_id: str) -> SshKey:
    row = s.get(SshKey, key_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"you have no SSH key <{key_id}>")
    return row


def private_key_of(s: Session, box: SecretBox, user: User, key_id: str) -> str:
    row = key_of(s, user, key_id)
    if row.private_key is None:
        raise NotFound(f"key <{key_id}> was uploaded: cumulo never had its private key")
    return box.open(
        row.private_key, Purpose.SSH_PRIVATE_KEY, ssh_private_key(row.user_id, row.id), legacy=True
    )


def public_keys_of(s: Session, issuer: str, subject: str) -> list[str]:
    """The public keys of the user ``(issuer, subject)``, newest first (for their VMs)."""
    user = s.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
    if user is None:
        return []
    return [k.public_key for k in reversed(keys_of(s, user))]
