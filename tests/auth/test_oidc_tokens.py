"""OIDC tokens from a real provider process: JWTs verified locally, opaque ones at the provider.

Bad tokens (forged, expired, wrong issuer or audience, ``alg: none``) are 401.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import jwt
import pytest
from fastapi.testclient import TestClient
from oidc_provider import CLIENT_ID, free_port, login, provider

from cumulo.auth.authenticator import ANY_AUDIENCE, expected_audience
from cumulo.auth.oidc import OidcVerifier
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.errors import Unauthorized
from cumulo.server import build_app
from cumulo.store.account_models import User


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def api(engine: Engine, issuer: str) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=engine.settings.data_dir,
        oidc_issuers=f"{issuer},https://other.example",
        oidc_audience=CLIENT_ID,
    )
    with TestClient(build_app(settings, engine=engine, workers=0)) as c:
        yield c


def _get(api: TestClient, token: str, path: str = "/deployments") -> object:
    return api.get(path, headers={"Authorization": f"Bearer {token}"})


def test_jwt_and_opaque_tokens_identify_the_user_with_groups(
    api: TestClient, engine: Engine, issuer: str
) -> None:
    tokens = login(issuer, "alice-0001")
    assert _get(api, tokens.id_token).status_code == 200  # a JWT, verified with the JWKS
    assert _get(api, tokens.access_token).status_code == 200  # opaque: asked at userinfo
    with engine.db.session() as s:
        user = s.query(User).filter(User.subject == "alice-0001").one()
        assert (user.issuer, user.name, user.groups) == (issuer, "alice", ["physics"])
    # Groups from the token decide: alice may not deploy for a group she is not in.
    body = {"template": "tosca_definitions_version: tosca_simple_yaml_1_0\n", "userGroup": "ops"}
    r = api.post("/deployments", json=body, headers={"Authorization": f"Bearer {tokens.id_token}"})
    assert r.status_code == 403


def test_the_admin_group_claim_makes_an_admin(issuer: str) -> None:
    verifier = OidcVerifier([issuer], audience=CLIENT_ID, admin_group="admins")
    root = verifier.identify(login(issuer, "root-0002").id_token)
    alice = verifier.identify(login(issuer, "alice-0001").access_token)
    assert root.is_admin and root.groups == {"admins", "ops"} and root.issuer == issuer
    assert not alice.is_admin and alice.subject == "alice-0001" and alice.name == "alice"


def test_bad_tokens_are_401(api: TestClient, issuer: str) -> None:
    good = login(issuer, "alice-0001").id_token
    head, payload, sig = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = f"{head}.{_b64({**claims, 'groups': ['admins']})}.{sig}"
    none_alg = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    hs256 = jwt.encode(claims, "a secret anyone could know: 32+ bytes", algorithm="HS256")
    foreign = f"{head}.{_b64({**claims, 'iss': 'https://evil.example'})}.{sig}"
    for bad in (forged, none_alg, hs256, foreign, "opaque-but-unknown", good[:-10]):
        r = _get(api, bad)
        assert r.status_code == 401, (bad, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    assert "HS256" in _get(api, hs256).json()["message"]
    assert "evil.example" in _get(api, foreign).json()["message"]


def test_audience_is_enforced_when_configured(issuer: str) -> None:
    token = login(issuer, "alice-0001").id_token
    with pytest.raises(Unauthorized, match="aud"):
        OidcVerifier([issuer], audience="someone-else").verify_jwt(token)
    assert OidcVerifier([issuer]).verify_jwt(token)["sub"] == "alice-0001"


def test_audience_defaults_to_the_client_id(engine: Engine, issuer: str) -> None:
    """With only the dashboard's client configured, a token for another client is refused."""
    token = login(issuer, "alice-0001").id_token  # aud: CLIENT_ID
    for client_id, expected in ((CLIENT_ID, 200), ("another-client", 401)):
        settings = Settings(data_dir=engine.settings.data_dir, oidc_issuers=issuer,
                            oidc_client_id=client_id)  # fmt: skip
        assert expected_audience(settings) == client_id
        with TestClient(build_app(settings, engine=engine, workers=0)) as c:
            r = _get(c, token)
            assert r.status_code == expected, r.text
            assert expected == 200 or "another-client" in r.json()["message"]
    any_aud = Settings(oidc_issuers=issuer, oidc_client_id="x", oidc_audience=ANY_AUDIENCE)
    assert expected_audience(any_aud) == ""  # the admin's explicit choice


def test_expired_tokens_are_refused() -> None:
    with provider(None, "--token-max-age", "3") as short:
        token = login(short, "alice-0001").id_token
        verifier = OidcVerifier([short], leeway=0)
        assert verifier.verify_jwt(token)["sub"] == "alice-0001"
        time.sleep(4.1)
        with pytest.raises(Unauthorized, match="expired"):
            verifier.verify_jwt(token)


def test_a_rotated_provider_key_is_fetched_without_a_restart() -> None:
    port = free_port()
    with provider(port) as url:
        verifier = OidcVerifier([url], refetch_seconds=0)
        old = login(url, "alice-0001").id_token
        assert verifier.verify_jwt(old)["sub"] == "alice-0001"
    with provider(port) as url:  # the same issuer, a new signing key
        new = login(url, "alice-0001").id_token
        assert verifier.verify_jwt(new)["sub"] == "alice-0001"
        with pytest.raises(Unauthorized, match="signature"):
            verifier.verify_jwt(old)  # signed by a key the provider no longer publishes


def test_opaque_token_answers_are_cached_briefly(issuer: str) -> None:
    tokens = login(issuer, "alice-0001")
    verifier = OidcVerifier([issuer], cache_seconds=60)
    first = verifier.identify(tokens.access_token)
    # The provider forgets the token; the cached answer still holds for a short while.
    import httpx

    httpx.post(f"{issuer}/users/alice-0001/revoke-tokens").raise_for_status()
    assert verifier.identify(tokens.access_token) == first
    with pytest.raises(Unauthorized):
        OidcVerifier([issuer], cache_seconds=0).identify(tokens.access_token)
