"""Who is calling: an ``Identity`` made by ``cumulo.auth.authenticator`` from a token.

The API obtains the caller only through ``cumulo.api.deps.current_identity``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The issuer of local accounts (the embedded default's users).
LOCAL_ISSUER = "cumulo-local"


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    groups: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    # A short name: the local login, or the OIDC preferred_username; it names the
    # user's account on their VMs.
    name: str = ""

    @property
    def key(self) -> str:
        """``subject@issuer``, as INDIGO's ``createdBy`` query parameter spells it."""
        return f"{self.subject}@{self.issuer}"


LOCAL_ADMIN = Identity(
    issuer=LOCAL_ISSUER, subject="admin", groups=frozenset({"admins"}), is_admin=True, name="admin"
)
