"""The deployment owner's OIDC access token, for sites that act as the user.

A site configured for Keystone federation (an OpenStack site with
``options.identity_provider``) makes each deployment's calls with its owner's
OIDC access token. The dashboard's OIDC login keeps the user's refresh token
sealed (``Purpose.REFRESH_TOKEN``); at a step the driver asks ``OwnerTokens``
for the owner of the deployment (or of one of its resources), and the refresh
token is traded at the owner's provider for a fresh access token, kept in
memory only until shortly before it expires. A provider that rotates refresh
tokens gets the new one sealed and stored again. No token is logged, shown or
stored in plain; a user without a kept refresh token gets a ``SiteError``
saying so (the attempt fails naming the site, and the next site is tried).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from cumulo.drivers.base import OwnerAuth
from cumulo.errors import SiteError
from cumulo.secrets import Purpose, SecretError
from cumulo.store.account_models import User
from cumulo.store.models import Deployment, Resource

HTTP_TIMEOUT = 10.0
EARLY = 60.0  # seconds before its expiry an access token is refreshed
DEFAULT_LIFETIME = 300.0  # when the provider does not say (expires_in)


@dataclass
class _Fresh:
    token: str
    until: float  # time.monotonic()


class OwnerTokens:
    """The engine's ``OwnerLookup`` (``cumulo.drivers.base``): one per engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._fresh: dict[str, _Fresh] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._endpoints: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(
        self, *, deployment_id: str | None = None, physical_id: str | None = None
    ) -> OwnerAuth:
        with self.engine.db.reader() as s:
            if deployment_id is None and physical_id is not None:
                deployment_id = s.scalar(
                    select(Resource.deployment_id).where(Resource.physical_id == physical_id)
                )
            dep = s.get(Deployment, deployment_id) if deployment_id else None
            if dep is None:
                what = deployment_id or f"of resource {physical_id}"
                raise SiteError(f"no deployment {what} is known: its owner cannot be found")
            issuer, subject, group = dep.owner_issuer, dep.owner_subject, dep.user_group
        owner = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:32]
        return OwnerAuth(owner, group, lambda: self.access_token(issuer, subject))

    def access_token(self, issuer: str, subject: str) -> str:
        """A fresh access token of the user, from their kept refresh token."""
        with self.engine.db.reader() as s:
            user = s.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
            user_id, name = (user.id, user.name) if user else (None, subject)
            sealed = user.refresh_token if user else None
        if user_id is None or not sealed:
            raise SiteError(
                f"the owner {name} has no OIDC login whose token cumulo keeps "
                "(log in to the dashboard with the identity provider once)"
            )
        with self._lock:
            lock = self._locks.setdefault(user_id, threading.Lock())
        with lock:  # one refresh per user at a time: providers may rotate refresh tokens
            fresh = self._fresh.get(user_id)
            if fresh is not None and fresh.until > time.monotonic():
                return fresh.token
            return self._refresh(user_id, name, issuer)

    def _refresh(self, user_id: str, name: str, issuer: str) -> str:
        box = self.engine.secrets
        with self.engine.db.reader() as s:  # again under the lock: another may have rotated it
            sealed = s.scalar(select(User.refresh_token).where(User.id == user_id))
        try:
            refresh = box.open(sealed or "", Purpose.REFRESH_TOKEN, user_id)
        except SecretError:
            raise SiteError(f"the owner {name}'s kept token cannot be opened") from None
        body = self._grant(issuer, refresh, name)
        token = str(body.get("access_token") or "")
        if not token:
            raise SiteError(f"the identity provider {issuer} gave no access token for {name}")
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != refresh:
            with self.engine.db.session() as s:
                user = s.get(User, user_id)
                if user is not None:
                    user.refresh_token = box.seal(rotated, Purpose.REFRESH_TOKEN, user_id)
        lifetime = float(body.get("expires_in") or DEFAULT_LIFETIME)
        self._fresh[user_id] = _Fresh(token, time.monotonic() + max(lifetime - EARLY, 0))
        return token

    def _grant(self, issuer: str, refresh: str, name: str) -> dict[str, Any]:
        settings = self.engine.settings
        if not settings.oidc_client_id:
            raise SiteError("no OIDC client is configured (CUMULO_OIDC_CLIENT_ID)")
        data = {"grant_type": "refresh_token", "refresh_token": refresh}
        auth = None
        if settings.oidc_client_secret:
            auth = (settings.oidc_client_id, settings.oidc_client_secret)
        else:
            data["client_id"] = settings.oidc_client_id
        try:
            r = httpx.post(self._token_endpoint(issuer), data=data, auth=auth, timeout=HTTP_TIMEOUT)
        except httpx.HTTPError as exc:
            raise SiteError(f"the identity provider {issuer} cannot be reached: {exc}") from None
        if r.status_code != 200:
            try:
                why = r.json().get("error") or r.status_code
            except ValueError:
                why = r.status_code
            raise SiteError(
                f"the identity provider {issuer} refused to refresh {name}'s token ({why}): "
                "log in to the dashboard again"
            )
        return r.json()

    def _token_endpoint(self, issuer: str) -> str:
        with self._lock:
            known = self._endpoints.get(issuer)
        if known:
            return known
        url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        try:
            r = httpx.get(url, timeout=HTTP_TIMEOUT)
            r.raise_for_status()
            endpoint = str(r.json()["token_endpoint"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise SiteError(
                f"the identity provider {issuer} has no usable metadata: {exc}"
            ) from None
        with self._lock:
            self._endpoints[issuer] = endpoint
        return endpoint
