"""Re-seal every stored secret under the primary key, after a key rotation.

Each column holding secrets is listed in ``SEALED_COLUMNS`` with its purpose
and context (``cumulo.secrets``): a value opens only for those, so rotation must
know them. Values sealed before purposes existed (``enc1:``) are migrated to
their purpose on the way. A room that adds a column of secrets adds it here.
Other columns are never touched: a user's text that happens to look sealed is
data, not a secret of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cumulo.secrets import Purpose, SecretBox, deployment_input, is_encrypted, ssh_private_key
from cumulo.store.account_models import SshKey, User
from cumulo.store.db import Database
from cumulo.store.models import Deployment, Site


@dataclass(frozen=True)
class SealedColumn:
    model: type
    column: str
    purpose: Purpose
    # The context of the row's secret; for a map of values, of the value under a key.
    context: Callable[[Any, str], str]
    is_map: bool = False


SEALED_COLUMNS = (
    SealedColumn(
        Deployment,
        "parameters",
        Purpose.DEPLOYMENT_INPUT,
        lambda row, key: deployment_input(row.id, key),
        is_map=True,
    ),
    SealedColumn(Site, "credentials", Purpose.SITE_CREDENTIALS, lambda row, _: row.name),
    SealedColumn(
        SshKey,
        "private_key",
        Purpose.SSH_PRIVATE_KEY,
        lambda row, _: ssh_private_key(row.user_id, row.id),
    ),
    SealedColumn(User, "refresh_token", Purpose.REFRESH_TOKEN, lambda row, _: row.id),
)


def _resealed(box: SecretBox, col: SealedColumn, row: Any) -> Any:
    """The column's new value, or None when it holds nothing sealed."""
    value = getattr(row, col.column)
    if col.is_map:
        if not isinstance(value, dict) or not any(is_encrypted(v) for v in value.values()):
            return None
        return {
            k: box.reseal(v, col.purpose, col.context(row, k)) if is_encrypted(v) else v
            for k, v in value.items()
        }
    return box.reseal(value, col.purpose, col.context(row, "")) if is_encrypted(value) else None


def reencrypt_all(db: Database, box: SecretBox) -> int:
    """Re-seal every stored secret with ``box``'s primary key; how many rows changed."""
    changed = 0
    for col in SEALED_COLUMNS:
        with db.session() as s:
            for row in s.scalars(select(col.model)):
                new = _resealed(box, col, row)
                if new is not None:
                    setattr(row, col.column, new)
                    changed += 1
    return changed
