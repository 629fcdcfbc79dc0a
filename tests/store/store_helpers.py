"""Rows the store tests start from."""

from __future__ import annotations

from cumulo.store import Database
from cumulo.store.models import Deployment


def new_deployment(db: Database, template: str) -> str:
    """A deployment in CREATE_IN_PROGRESS whose template is ``template``; its id."""
    with db.session() as s:
        dep = Deployment(status="CREATE_IN_PROGRESS", template=template, owner_issuer="i",
                         owner_subject="s")  # fmt: skip
        s.add(dep)
        s.flush()
        return dep.id
