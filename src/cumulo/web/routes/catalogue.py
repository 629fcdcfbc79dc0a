"""The catalogue: a card per service the active group may see, with search."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from cumulo.app_state import get_engine
from cumulo.auth.identity import Identity
from cumulo.catalogue.library import Snapshot, catalogue_for
from cumulo.catalogue.visibility import Access, access
from cumulo.engine.runtime import Engine
from cumulo.web.render import active_group, page
from cumulo.web.session import web_user

router = APIRouter()
ICONS_DIR = Path(__file__).parent.parent / "static" / "icons"


def icon_name(raw: object) -> str:
    """A shipped icon's name; ``service`` for a missing or unknown one."""
    name = str(raw or "")
    ok = name.replace("-", "").replace("_", "").isalnum() and (ICONS_DIR / f"{name}.svg").is_file()
    return name if ok else "service"


@dataclass(frozen=True)
class Card:
    name: str
    display_name: str
    description: str
    icon: str
    ribbon: str | None
    ribbon_color: str | None
    access: Access


def cards(snapshot: Snapshot, group: str | None, query: str = "") -> list[Card]:
    """The cards ``group`` sees, matching ``query`` (name, title or description); an entry
    with errors is never offered (admins see it on the admin page)."""
    needle = query.strip().lower()
    out = []
    for entry in snapshot.offered():
        name = entry.name
        meta = entry.metadata
        how = access(meta, group)
        if how == "hidden":
            continue
        text = f"{name} {entry.display_name} {entry.description}".lower()
        if needle and needle not in text:
            continue
        out.append(
            Card(
                name=name,
                display_name=entry.display_name,
                description=entry.description,
                icon=icon_name(meta.get("icon")),
                ribbon=str(meta["ribbon"]) if meta.get("ribbon") else None,
                ribbon_color=str(meta["ribbon_color"]) if meta.get("ribbon_color") else None,
                access=how,
            )
        )
    return out


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    q: str = "",
    engine: Engine = Depends(get_engine),
    user: Identity = Depends(web_user),
) -> HTMLResponse:
    snapshot = catalogue_for(engine).snapshot()
    ctx = {"cards": cards(snapshot, active_group(request, user), q), "query": q}
    return page(request, "catalogue.html", ctx, user=user)
