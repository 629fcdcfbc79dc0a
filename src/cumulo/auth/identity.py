"""Who is calling. No authentication yet: every call is the fixed local admin.

The API obtains the caller only through ``cumulo.api.deps.current_identity``,
so the identity issue replaces one function.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    groups: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False

    @property
    def key(self) -> str:
        """``subject@issuer``, as INDIGO's ``createdBy`` query parameter spells it."""
        return f"{self.subject}@{self.issuer}"


LOCAL_ADMIN = Identity(issuer="cumulo-local", subject="admin", is_admin=True)
