"""OIDC access tokens from any compliant provider (INDIGO IAM, Keycloak, ...).

JWTs are verified locally: the issuer must be in the allow-list, the signing
key comes from the issuer's JWKS (found by discovery; fetched again when a
token names an unknown ``kid``, which is how key rotation shows), ``exp`` and
``nbf`` are enforced, ``aud`` against the audience (by default the client id,
see ``expected_audience``), and only
asymmetric algorithms are accepted (never ``none`` nor ``HS*``, whose key would
be public). Opaque tokens are asked about at the provider: introspection when
the provider offers it and a client is configured, else userinfo; answers are
cached for a short while.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from cumulo.auth.identity import Identity
from cumulo.errors import Unauthorized

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
LEEWAY_SECONDS = 30


def _name_from(claims: dict[str, Any]) -> str:
    """A POSIX login name for the user's VMs, from preferred_username, email or sub."""
    raw = str(
        claims.get("preferred_username") or str(claims.get("email") or "").split("@")[0] or ""
    )
    name = re.sub(r"[^a-z0-9_-]", "", raw.lower())[:32]
    if not name or not re.match(r"[a-z_]", name):
        name = "u" + hashlib.sha256(str(claims.get("sub")).encode()).hexdigest()[:8]
    return name


def groups_from(claims: dict[str, Any], claim: str) -> frozenset[str]:
    value = claims.get(claim)
    if value is None and "." in claim:  # a nested claim written with dots
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list):
        return frozenset()
    return frozenset(str(g) for g in value if isinstance(g, str | int))


REFETCH_SECONDS = 30  # an unknown key refetches the JWKS at most this often


@dataclass
class _Issuer:
    url: str
    metadata: dict[str, Any]
    keys: list[jwt.PyJWK]
    fetched_at: float


class OidcVerifier:
    def __init__(
        self,
        issuers: list[str],
        *,
        audience: str = "",
        groups_claim: str = "groups",
        admin_group: str = "admins",
        client_id: str = "",
        client_secret: str = "",
        cache_seconds: float = 60,
        http_timeout: float = 10,
        leeway: float = LEEWAY_SECONDS,
        refetch_seconds: float = REFETCH_SECONDS,
    ) -> None:
        self.issuers = [i.rstrip("/") for i in issuers]
        self.audience = audience
        self.groups_claim = groups_claim
        self.admin_group = admin_group
        self.client_id = client_id
        self.client_secret = client_secret
        self.cache_seconds = cache_seconds
        self.http_timeout = http_timeout
        self.leeway = leeway
        self.refetch_seconds = refetch_seconds
        self._known: dict[str, _Issuer] = {}
        self._cache: dict[str, tuple[float, Identity]] = {}
        self._lock = threading.Lock()

    # -- provider metadata ----------------------------------------------

    def issuer(self, url: str) -> _Issuer:
        with self._lock:
            known = self._known.get(url)
        if known is not None:
            return known
        try:
            r = httpx.get(f"{url}/.well-known/openid-configuration", timeout=self.http_timeout)
            r.raise_for_status()
            meta = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthorized(f"the identity provider {url} cannot be reached: {exc}") from exc
        if str(meta.get("issuer", "")).rstrip("/") != url or "jwks_uri" not in meta:
            raise Unauthorized(f"the identity provider {url} published unusable metadata")
        known = _Issuer(url, meta, self._fetch_keys(meta["jwks_uri"]), time.monotonic())
        with self._lock:
            self._known[url] = known
        return known

    def _fetch_keys(self, jwks_uri: str) -> list[jwt.PyJWK]:
        try:
            r = httpx.get(jwks_uri, timeout=self.http_timeout)
            r.raise_for_status()
            keyset = jwt.PyJWKSet.from_dict(r.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            msg = f"the identity provider's keys ({jwks_uri}) are unusable: {exc}"
            raise Unauthorized(msg) from exc
        return [k for k in keyset.keys if k.public_key_use in ("sig", None)]

    def _candidate_keys(self, provider: _Issuer, kid: str | None, fresh: bool) -> list[jwt.PyJWK]:
        """Keys that may have signed the token; ``fresh``: refetch the JWKS (rotation) first."""
        if fresh and time.monotonic() - provider.fetched_at >= self.refetch_seconds:
            provider.keys = self._fetch_keys(provider.metadata["jwks_uri"])
            provider.fetched_at = time.monotonic()
        return [k for k in provider.keys if kid is None or k.key_id in (kid, None)]

    # -- tokens -----------------------------------------------------------

    def identify(self, token: str) -> Identity:
        if token.count(".") == 2:
            return self.identity(self.verify_jwt(token))
        return self._opaque(token)

    def verify_jwt(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not a valid JWT: {exc}") from exc
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthorized(f"token signing algorithm {alg!r} is not accepted")
        iss = str(unverified.get("iss", "")).rstrip("/")
        if iss not in self.issuers:
            raise Unauthorized(f"tokens of issuer {iss or '(none)'!r} are not accepted here")
        provider = self.issuer(iss)
        kid = header.get("kid")
        for fresh in (False, True):
            for key in self._candidate_keys(provider, kid, fresh):
                try:
                    return self._decode(token, key, alg, unverified.get("iss"))
                except jwt.InvalidSignatureError:
                    continue  # another key of the set, or a rotated one
        raise Unauthorized(f"the token's signature matches no key of {iss}")

    def _decode(self, token: str, key: jwt.PyJWK, alg: str, iss: Any) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                issuer=iss,
                audience=self.audience or None,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": bool(self.audience)},
            )
        except jwt.InvalidSignatureError:
            raise
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("the token is not valid yet (nbf)") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized(f"the token is not meant for {self.audience!r} (aud)") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is invalid: {exc}") from exc

    def identity(self, claims: dict[str, Any]) -> Identity:
        groups = groups_from(claims, self.groups_claim)
        return Identity(
            issuer=str(claims["iss"]).rstrip("/"),
            subject=str(claims["sub"]),
            groups=groups,
            is_admin=self.admin_group in groups,
            name=_name_from(claims),
        )

    def _opaque(self, token: str) -> Identity:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
        for url in self.issuers:
            claims = self._ask_provider(self.issuer(url), token)
            if claims is not None:
                claims["iss"] = url
                ident = self.identity(claims)
                with self._lock:
                    if len(self._cache) > 10000:
                        self._cache.clear()
                    self._cache[key] = (now + self.cache_seconds, ident)
                return ident
        raise Unauthorized("the token is not known to any accepted identity provider")

    def _ask_provider(self, provider: _Issuer, token: str) -> dict[str, Any] | None:
        meta = provider.metadata
        try:
            if meta.get("introspection_endpoint") and self.client_id:
                r = httpx.post(
                    meta["introspection_endpoint"],
                    data={"token": token},
                    auth=(self.client_id, self.client_secret),
                    timeout=self.http_timeout,
                )
                body = r.json() if r.status_code == 200 else {}
                return body if body.get("active") and body.get("sub") else None
            if not meta.get("userinfo_endpoint"):
                return None
            r = httpx.get(
                meta["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.http_timeout,
            )
            body = r.json() if r.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return None
        return body if isinstance(body, dict) and body.get("sub") else None
