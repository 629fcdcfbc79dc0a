"""The dashboard's login with an OIDC provider: authorization code flow with PKCE (authlib).

``/ui/login/oidc`` sends the browser to the provider with a fresh state,
nonce and PKCE verifier kept in a short-lived encrypted cookie;
``/ui/login/oidc/callback`` checks the state, trades the code for tokens,
identifies the user from the access token as the API does, keeps the refresh
token encrypted (for long deployments on sites that need the user's token),
and starts the session.
"""

from __future__ import annotations

import json
import time
import warnings

from authlib.common.security import generate_token
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from cumulo.auth import audit
from cumulo.auth.accounts import remember_oidc_user
from cumulo.auth.web_session import set_cookie, start_session
from cumulo.errors import BadRequest, NotFound, Unauthorized
from cumulo.secrets import Purpose, SecretError
from cumulo.web.routes.login import local_path

with warnings.catch_warnings():  # authlib's httpx integration announces a rename
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

router = APIRouter()
FLOW_COOKIE = "cumulo_oidc_flow"
FLOW_SECONDS = 600


def provider_client(request: Request) -> tuple[OAuth2Client, dict]:
    settings = request.app.state.settings
    oidc = request.app.state.authenticator.oidc
    if oidc is None or not settings.oidc_client_id:
        raise NotFound("no OIDC provider is configured for the dashboard")
    meta = oidc.issuer(settings.oidc_issuer_list[0]).metadata
    client = OAuth2Client(
        settings.oidc_client_id,
        settings.oidc_client_secret or None,
        redirect_uri=str(request.url_for("oidc_callback")),
        scope="openid profile email offline_access",
        code_challenge_method="S256",
    )
    return client, meta


@router.get("/login/oidc")
def oidc_start(request: Request, next: str = "/ui/catalogue") -> RedirectResponse:
    client, meta = provider_client(request)
    verifier, nonce = generate_token(48), generate_token(24)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    flow = {"state": state, "verifier": verifier, "next": local_path(next)}
    flow["exp"] = int(time.time()) + FLOW_SECONDS
    resp = RedirectResponse(url, status_code=303)
    box = request.app.state.engine.secrets
    set_cookie(
        request, resp, FLOW_COOKIE, box.seal(json.dumps(flow), Purpose.OIDC_LOGIN), FLOW_SECONDS
    )
    return resp


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, code: str = "", state: str = "") -> RedirectResponse:
    engine = request.app.state.engine
    try:
        flow = json.loads(
            engine.secrets.open(request.cookies.get(FLOW_COOKIE, ""), Purpose.OIDC_LOGIN)
        )
    except (SecretError, ValueError):
        raise BadRequest("the login took too long or did not start here: try again") from None
    if flow.get("exp", 0) < time.time() or not state or state != flow.get("state") or not code:
        raise BadRequest("the provider's answer does not match this login: try again")
    client, meta = provider_client(request)
    try:
        tokens = client.fetch_token(
            meta["token_endpoint"], code=code, code_verifier=flow["verifier"]
        )
    except Exception as exc:  # authlib raises per provider error; all mean "no login"
        raise Unauthorized(f"the identity provider refused the login: {exc}") from exc
    ident = request.app.state.authenticator.oidc.identify(tokens["access_token"])
    with engine.db.session() as s:
        user = remember_oidc_user(s, ident)
        if tokens.get("refresh_token"):
            user.refresh_token = engine.secrets.seal(
                tokens["refresh_token"], Purpose.REFRESH_TOKEN, user.id
            )
        audit.record(s, ident, "login", detail="OIDC")
    resp = RedirectResponse(flow["next"], status_code=303)
    resp.delete_cookie(FLOW_COOKIE, path="/")
    start_session(request, resp, ident)
    return resp
