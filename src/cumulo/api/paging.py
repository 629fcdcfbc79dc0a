"""Spring-style paging: ``page``/``size``/``sort`` in, ``links`` and ``page`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cumulo.engine.indigo_json import link
from cumulo.errors import BadRequest

DEFAULT_SIZE = 10
MAX_SIZE = 1000
MAX_PAGE = 10_000_000  # keeps OFFSET within every database's integer range


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int
    sort_field: str
    descending: bool
    sort_param: str  # as echoed in links


def page_request(
    page: int | None, size: int | None, sort: str | None, fields: dict[str, str], default: str
) -> PageRequest:
    number = 0 if page is None else page
    if not 0 <= number <= MAX_PAGE:
        raise BadRequest(f"query parameter 'page' must be between 0 and {MAX_PAGE}")
    size = DEFAULT_SIZE if size is None else size
    if not 1 <= size <= MAX_SIZE:
        raise BadRequest(f"query parameter 'size' must be between 1 and {MAX_SIZE}")
    name, _, direction = (sort or f"{default},desc").partition(",")
    direction = (direction or "asc").lower()
    if name not in fields:
        raise BadRequest(
            f"query parameter 'sort': unknown property {name!r} (one of {', '.join(fields)})"
        )
    if direction not in ("asc", "desc"):
        raise BadRequest("query parameter 'sort': direction must be asc or desc")
    return PageRequest(number, size, fields[name], direction == "desc", f"{name},{direction}")


def paged(
    content: list[dict[str, Any]],
    total: int,
    req: PageRequest,
    url: str,
    query: dict[str, str | None],
) -> dict[str, Any]:
    total_pages = (total + req.size - 1) // req.size
    last = max(total_pages - 1, 0)
    fixed = {k: v for k, v in query.items() if v is not None}

    def href(number: int) -> str:
        params = {**fixed, "page": str(number), "size": str(req.size), "sort": req.sort_param}
        return f"{url}?{urlencode(params, safe=',@:/')}"

    links = [link("first", href(0))]
    if req.number > 0:
        links.append(link("prev", href(min(req.number - 1, last))))
    links.append(link("self", href(req.number)))
    if req.number < last:
        links.append(link("next", href(req.number + 1)))
    links.append(link("last", href(last)))
    return {
        "links": links,
        "content": content,
        "page": {
            "size": req.size,
            "totalElements": total,
            "totalPages": total_pages,
            "number": req.number,
        },
    }
