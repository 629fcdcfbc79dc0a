"""From a bearer token to an ``Identity``: cumulo's own API tokens, else OIDC tokens."""

from __future__ import annotations

from cumulo.auth.accounts import identity_of, remember_oidc_user
from cumulo.auth.api_tokens import TOKEN_PREFIX, user_of_token
from cumulo.auth.identity import Identity
from cumulo.auth.oidc import OidcVerifier
from cumulo.config import Settings
from cumulo.errors import Unauthorized
from cumulo.store import Database

ANY_AUDIENCE = "*"


def expected_audience(settings: Settings) -> str:
    """What a JWT's ``aud`` must name: the configured audience, else the dashboard's
    client id (a token minted for another client of the provider is not for us);
    ``*`` accepts any audience, and with neither set nothing can be checked."""
    if settings.oidc_audience == ANY_AUDIENCE:
        return ""
    return settings.oidc_audience or settings.oidc_client_id


class Authenticator:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        issuers = settings.oidc_issuer_list
        self.oidc = (
            OidcVerifier(
                issuers,
                audience=expected_audience(settings),
                groups_claim=settings.oidc_groups_claim,
                admin_group=settings.admin_group,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret,
                cache_seconds=settings.oidc_token_cache_seconds,
            )
            if issuers
            else None
        )

    def identify(self, token: str) -> Identity:
        """The caller behind ``token``; ``Unauthorized`` (401) when it is not valid."""
        if token.startswith(TOKEN_PREFIX):
            with self.db.session() as s:
                user = user_of_token(s, token)
                if user is None:
                    raise Unauthorized("the API token is unknown, expired or revoked")
                return identity_of(user, self.settings.admin_group)
        if self.oidc is None:
            raise Unauthorized("the token is not a cumulo API token and no OIDC issuer is set")
        ident = self.oidc.identify(token)
        with self.db.session() as s:
            remember_oidc_user(s, ident)
        return ident
