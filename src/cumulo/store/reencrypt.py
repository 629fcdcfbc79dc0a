"""Re-encrypt every stored secret under the primary key, after a key rotation.

Secrets are strings starting with ``enc1:`` (``cumulo.secrets``) in any text or
JSON column, so this walks every table and needs no list of secret columns:
a column another room adds for credentials is covered too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, String, Text, select, update

from cumulo.secrets import SecretBox, is_encrypted
from cumulo.store.db import Database
from cumulo.store.models import Base


def _rewrite(value: Any, fn: Callable[[str], str]) -> tuple[Any, bool]:
    """``value`` with every encrypted string in it passed through ``fn``."""
    if is_encrypted(value):
        return fn(value), True
    if isinstance(value, dict):
        changed = False
        out = {}
        for k, v in value.items():
            out[k], c = _rewrite(v, fn)
            changed |= c
        return out, changed
    if isinstance(value, list):
        pairs = [_rewrite(v, fn) for v in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def reencrypt_all(db: Database, box: SecretBox) -> int:
    """Rewrite every encrypted value with ``box``'s primary key; how many rows changed."""
    changed_rows = 0
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        pk = list(table.primary_key.columns)
        if not cols or not pk:
            continue
        with db.session() as s:
            for row in s.execute(select(*pk, *cols)).all():
                values = dict(zip([c.name for c in pk + cols], row, strict=True))
                updates = {}
                for c in cols:
                    new, changed = _rewrite(values[c.name], box.reencrypt)
                    if changed:
                        updates[c.name] = new
                if updates:
                    where = [c == values[c.name] for c in pk]
                    s.execute(update(table).where(*where).values(**updates))
                    changed_rows += 1
    return changed_rows
