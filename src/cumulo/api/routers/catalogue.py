"""``/catalogue``: the services a caller may deploy, with their TOSCA text and form.

cumulo's own JSON (INDIGO has no catalogue endpoint); lists are paged as
``/deployments`` is. An entry the caller's groups may not see, or one whose
template has errors, is not listed and answers 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cumulo.api.deps import base_url, current_identity
from cumulo.api.paging import page_request, paged
from cumulo.api.schemas import ERROR_RESPONSES
from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.auth.permissions import require_group
from cumulo.catalogue.entries import Entry
from cumulo.catalogue.library import catalogue_for
from cumulo.catalogue.visibility import Access, access, caller_access
from cumulo.engine.runtime import Engine
from cumulo.errors import NotFound
from cumulo.tosca.forms import form_schema

router = APIRouter(prefix="/catalogue", tags=["catalogue"], responses=ERROR_RESPONSES)
DEFAULT_SIZE = 100
CARD_KEYS = ("icon", "category", "ribbon", "ribbon_color")


def _access(entry: Entry, caller: Identity, group: str | None) -> Access:
    if group:
        return access(entry.metadata, group)
    return caller_access(entry.metadata, caller.groups, admin=caller.is_admin)


def _card(entry: Entry, how: Access, base: str) -> dict[str, Any]:
    meta = entry.metadata
    tabs = meta.get("tabs")
    return {
        "name": entry.name,
        "display_name": entry.display_name,
        "description": entry.description,
        **{k: (str(meta[k]) if meta.get(k) is not None else None) for k in CARD_KEYS},
        "tabs": [str(t) for t in tabs] if isinstance(tabs, list) else [],
        "access": how,
        "links": [{"rel": "self", "href": f"{base}/catalogue/{entry.name}"}],
    }


def _admin_view(entry: Entry) -> dict[str, Any]:
    """What admins also see with ``?all=true``: where the entry comes from, its issues."""
    return {
        "ok": entry.ok,
        "folder": str(entry.folder) if entry.folder else None,
        "replaces": [str(f) for f in entry.replaces],
        "issues": [i.as_dict() for i in entry.issues],
    }


@router.get("", summary="The catalogue entries the caller may see, by name")
def list_catalogue(
    request: Request,
    userGroup: str | None = None,
    all: bool = False,
    page: int | None = None,
    size: int | None = None,
    sort: str | None = None,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> JSONResponse:
    require_group(caller, userGroup)
    req = page_request(page, size or DEFAULT_SIZE, sort or "name,asc", {"name": "name"}, "name")
    snap = catalogue_for(engine).snapshot()
    admin_all = all and caller.is_admin
    base = base_url(request)
    cards = []
    for entry in snap.entries.values() if admin_all else snap.offered():
        how = _access(entry, caller, userGroup)
        if how == "hidden" and not admin_all:
            continue
        card = _card(entry, how, base)
        cards.append(card | _admin_view(entry) if admin_all else card)
    if req.descending:
        cards.reverse()
    start = req.number * req.size
    query = {"userGroup": userGroup, "all": "true" if admin_all else None}
    # Plain JSON already: JSONResponse skips FastAPI's per-value encoder (most of the time
    # of a 500-entry list).
    body = paged(cards[start : start + req.size], len(cards), req, f"{base}/catalogue", query)
    return JSONResponse(body)


@router.get("/{name}", summary="One catalogue entry with its TOSCA text and form schema")
def get_entry(
    name: str,
    request: Request,
    userGroup: str | None = None,
    engine: Engine = Depends(get_engine),
    caller: Identity = Depends(current_identity),
) -> dict[str, Any]:
    require_group(caller, userGroup)
    entry = catalogue_for(engine).snapshot().get(name)
    how = _access(entry, caller, userGroup) if entry is not None else "hidden"
    if entry is None or entry.template is None or how == "hidden":
        raise NotFound(f"there is no service {name!r} in the catalogue")
    group = userGroup or (min(caller.groups) if caller.groups else None)
    schema = form_schema(entry.template, entry.metadata, group=group)
    return _card(entry, how, base_url(request)) | {
        "tabs": schema["tabs"],
        "template": entry.text,
        "inputs": schema["inputs"],
        "warnings": schema["warnings"],
    }
