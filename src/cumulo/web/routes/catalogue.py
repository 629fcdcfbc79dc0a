"""The catalogue: a card per service the active group may see, with search."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from cumulo import catalogue
from cumulo.auth.identity import Identity
from cumulo.catalogue.visibility import Access, access
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


def cards(group: str | None, query: str = "") -> list[Card]:
    """The cards ``group`` sees, matching ``query`` (name, title or description)."""
    needle = query.strip().lower()
    out = []
    for name in catalogue.names():
        entry = catalogue.entry(name)
        if entry is None:
            continue
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
    request: Request, q: str = "", user: Identity = Depends(web_user)
) -> HTMLResponse:
    ctx = {"cards": cards(active_group(request, user), q), "query": q}
    return page(request, "catalogue.html", ctx, user=user)
