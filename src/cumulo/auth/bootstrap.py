"""First start of an installation: the local admin account and the local CLI's token.

The admin's password comes from ``CUMULO_ADMIN_PASSWORD`` or is generated and
returned once (``cumulo serve`` prints it). An admin API token is written to
``<data_dir>/admin.token`` (mode 0600), where the CLI on the same machine finds
it when ``CUMULO_TOKEN`` is not set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cumulo.auth import audit
from cumulo.auth.accounts import ADMIN_NAME, add_local_user, local_user
from cumulo.auth.api_tokens import issue_token, user_of_token
from cumulo.config import Settings
from cumulo.store import Database

ADMIN_TOKEN_FILE = "admin.token"


def token_file(settings: Settings) -> Path:
    return settings.data_dir / ADMIN_TOKEN_FILE


def ensure_admin(db: Database, settings: Settings) -> str | None:
    """Create the local admin if missing; the generated password, if one was made."""
    with db.session() as s:
        if local_user(s, ADMIN_NAME) is not None:
            return None
        password = settings.admin_password or secrets.token_urlsafe(12)
        add_local_user(s, ADMIN_NAME, password, admin=True)
        audit.record(s, "cumulo", "user-create", ADMIN_NAME, "first start")
    return None if settings.admin_password else password


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def ensure_cli_token(db: Database, settings: Settings) -> Path:
    """Make sure ``admin.token`` holds a valid admin token (a new one if missing or expired)."""
    path = token_file(settings)
    with db.session() as s:
        if path.exists() and user_of_token(s, path.read_text().strip()) is not None:
            return path
        admin = local_user(s, ADMIN_NAME)
        if admin is None:
            raise RuntimeError("no local admin: call ensure_admin first")
        token = issue_token(s, admin, name="admin.token", days=settings.api_token_days or None)
        audit.record(s, "cumulo", "token-create", ADMIN_NAME, "admin.token in the data directory")
    write_private(path, token)
    return path
