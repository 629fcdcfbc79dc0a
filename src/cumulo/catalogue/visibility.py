"""Which catalogue cards a group sees: open, locked (shown, not usable) or hidden.

Metadata, as the INDIGO dashboard writes it: ``visibility: {type: public}`` or
``{type: private, groups: [...], groups_regex: "..."}``, and ``locked: [groups]``
(shown with a lock to those groups).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Access = Literal["open", "locked", "hidden"]


def _listed(group: str, names: Any, pattern: Any) -> bool:
    if isinstance(names, list) and group in [str(n) for n in names]:
        return True
    if isinstance(pattern, str) and pattern:
        try:
            return re.fullmatch(pattern, group) is not None
        except re.error:
            return False
    return False


def access(metadata: Mapping[str, Any], group: str | None) -> Access:
    """How ``group`` (None: no active group) may see the entry with ``metadata``."""
    vis = metadata.get("visibility")
    if isinstance(vis, Mapping) and str(vis.get("type", "public")) == "private":
        member = group is not None and _listed(group, vis.get("groups"), vis.get("groups_regex"))
        if not member:
            return "hidden"
    locked = metadata.get("locked")
    if group is not None and isinstance(locked, list) and group in [str(g) for g in locked]:
        return "locked"
    return "open"


_RANK: dict[Access, int] = {"hidden": 0, "locked": 1, "open": 2}


def caller_access(
    metadata: Mapping[str, Any], groups: Iterable[str], *, admin: bool = False
) -> Access:
    """The best access any of ``groups`` has (no group: as the group-less); admins see all."""
    if admin:
        return "open"
    found = [access(metadata, g) for g in groups] or [access(metadata, None)]
    return max(found, key=_RANK.__getitem__)
