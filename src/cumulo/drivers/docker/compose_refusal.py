"""How the compose policy refuses: one ``SiteError`` naming the node, the key and the rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from cumulo.errors import SiteError


class Refusal:
    """Called with where (``services.web.ports[0]``) and why; always raises."""

    def __init__(self, node: str, site: str) -> None:
        self.node, self.site = node, site

    def __call__(self, where: str, why: str) -> NoReturn:
        raise SiteError(
            f"node {self.node}: compose file: {where}: {why} by the compose policy "
            f"of site {self.site}"
        )


def as_map(refuse: Refusal, where: str, value: Any) -> dict[str, Any]:
    """``value`` as a map (nothing given: an empty one), or a refusal saying it must be one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        refuse(where, "must be a map")
    return dict(value)
