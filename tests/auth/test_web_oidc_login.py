"""Dashboard login through a real OIDC provider: authorization code + PKCE, refresh token kept
encrypted, session started; a callback that does not match the login is refused."""

from __future__ import annotations

import urllib.parse as up

import httpx
from fastapi.testclient import TestClient
from oidc_provider import CLIENT_ID

from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.secrets import is_encrypted
from cumulo.server import build_app
from cumulo.store.account_models import AuditEvent, User


def _app(engine: Engine, issuer: str) -> TestClient:
    settings = Settings(
        data_dir=engine.settings.data_dir,
        oidc_issuers=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="client-secret",
    )
    return TestClient(build_app(settings, engine=engine, workers=0))


def test_browser_login_with_the_provider(engine: Engine, issuer: str) -> None:
    with _app(engine, issuer) as c:
        assert f"Log in with {issuer}" in c.get("/ui/login").text
        start = c.get("/ui/login/oidc", params={"next": "/ui/deployments"}, follow_redirects=False)
        assert start.status_code == 303
        to_provider = up.urlparse(start.headers["location"])
        query = up.parse_qs(to_provider.query)
        assert to_provider.netloc == up.urlparse(issuer).netloc
        assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
        assert query["client_id"] == [CLIENT_ID] and query["nonce"]
        # The user consents at the provider, which sends the browser back with a code.
        consent = httpx.post(start.headers["location"], data={"sub": "alice-0001"})
        assert consent.status_code == 302
        back = up.urlparse(consent.headers["location"])
        assert back.path == "/ui/login/oidc/callback"
        done = c.get(f"{back.path}?{back.query}", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/ui/deployments"
        assert c.get("/ui/catalogue", follow_redirects=False).status_code == 200
        # Replaying the same answer is refused: the login's state cookie is gone.
        assert c.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 400
    with engine.db.session() as s:
        user = s.query(User).filter(User.subject == "alice-0001").one()
        assert user.issuer == issuer and user.groups == ["physics"]
        assert is_encrypted(user.refresh_token)
        assert s.query(AuditEvent).filter(AuditEvent.action == "login").count() == 1


def test_a_forged_state_is_refused(engine: Engine, issuer: str) -> None:
    with _app(engine, issuer) as c:
        c.get("/ui/login/oidc", follow_redirects=False)
        r = c.get("/ui/login/oidc/callback", params={"code": "x", "state": "forged"})
        assert r.status_code == 400 and "does not match" in r.text
