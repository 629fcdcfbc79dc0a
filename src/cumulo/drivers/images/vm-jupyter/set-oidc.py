#!/usr/bin/python3
"""set-oidc.py ISSUER HUB_URL GROUPS_CLAIM: the hub logs in with the OIDC provider ISSUER.

Standard input: a JSON object {"groups": [...], "admin_groups": [...], "owner_subject":
"...", "admin_client": {"client_id": ..., "client_secret": ...} or null}: the groups
whose members get in (admins: admin_groups); the deployment's owner (their subject at
ISSUER, "" when they are not its user) gets in whatever their groups, as an admin. The
hub gets a client of its own, registered at the provider by OAuth 2.0 dynamic client
registration (RFC 7591) with the redirect URI HUB_URL/hub/oauth_callback, reused while
the issuer and the redirect URI stay the same; when the provider offers no registration
or refuses it, the client the admin set (admin_client) instead, or, without one, exit
status 3 (the caller then gives it: the admin's secret reaches a node only when needed).
A secret is written only to oidc.json, readable by the hub's user alone, and never printed.

"set-oidc.py --off": back to the owner's password (oidc.json removed).
Prints "changed" when the hub must restart to apply the change.
"""

import json
import os
import sys
import urllib.error
import urllib.request

from private_file import write_private

CONFIG = "/etc/jupyterhub/oidc.json"
SCOPE = "openid profile email"
TIMEOUT = 15
NO_REGISTRATION = 3  # exit status: no client to be registered, and none of the admin's given


def main() -> int:
    if sys.argv[1:] == ["--off"]:
        if os.path.exists(CONFIG):
            os.remove(CONFIG)
            print("changed")
        return 0
    if len(sys.argv) != 4:
        print("usage: set-oidc.py ISSUER HUB_URL GROUPS_CLAIM | --off", file=sys.stderr)
        return 2
    issuer, hub_url, claim = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/"), sys.argv[3]
    wanted = json.load(sys.stdin)
    groups = sorted({str(g) for g in wanted.get("groups") or []})
    admins = sorted({str(g) for g in wanted.get("admin_groups") or []})
    callback = f"{hub_url}/hub/oauth_callback"
    try:
        meta = _json(f"{issuer}/.well-known/openid-configuration")
        old = _read(CONFIG)
        same = (old.get("issuer"), old.get("callback_url")) == (issuer, callback)
        if old.get("registered") and same:  # an admin's client: registration is tried again
            client = {k: old[k] for k in ("client_id", "client_secret", "registered")}
        else:
            client = _client(issuer, meta, callback, wanted.get("admin_client"))
    except NoRegistration as exc:
        print(f"set-oidc: the OIDC provider {issuer}: {exc}", file=sys.stderr)
        return NO_REGISTRATION
    except (OSError, ValueError, KeyError) as exc:
        print(f"set-oidc: the OIDC provider {issuer}: {exc}", file=sys.stderr)
        return 1
    config = {
        "issuer": issuer,
        "authorize_url": meta["authorization_endpoint"],
        "token_url": meta["token_endpoint"],
        "userdata_url": meta["userinfo_endpoint"],
        "callback_url": callback,
        "scope": SCOPE.split(),
        "groups_claim": claim,
        "allowed_groups": groups,
        "admin_groups": admins,
        "owner_subject": str(wanted.get("owner_subject") or ""),
        **client,
    }
    if config != old:
        write_private(CONFIG, json.dumps(config), "jupyter")
        print("changed")
    return 0


class NoRegistration(ValueError):
    """The provider offers no dynamic client registration, or refused it."""


def _client(issuer: str, meta: dict, callback: str, admin: dict | None) -> dict:
    """A client registered for this hub; the admin's when registration is not to be had."""
    try:
        return {**_register(issuer, meta, callback), "registered": True}
    except NoRegistration as exc:
        if not admin or not admin.get("client_id"):
            raise NoRegistration(
                f"{exc}, and no client set by cumulo's admin was given instead "
                "(CUMULO_HUB_OIDC_CLIENT_ID, CUMULO_HUB_OIDC_CLIENT_SECRET)"
            ) from None
        secret = str(admin.get("client_secret") or "")
        return {"client_id": str(admin["client_id"]), "client_secret": secret, "registered": False}


def _register(issuer: str, meta: dict, callback: str) -> dict:
    """A new client of the provider for this hub (RFC 7591); its id and secret."""
    endpoint = meta.get("registration_endpoint")
    if not endpoint:
        raise NoRegistration(
            "it offers no dynamic client registration (no registration_endpoint in "
            f"{issuer}/.well-known/openid-configuration)"
        )
    body = {
        "client_name": "cumulo JupyterHub",
        "redirect_uris": [callback],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": SCOPE,
    }
    try:
        answer = _json(endpoint, body)
    except urllib.error.HTTPError as exc:
        text = exc.read(300).decode(errors="replace")
        raise NoRegistration(f"it refused the client registration ({exc.code}: {text})") from None
    if not answer.get("client_id") or not answer.get("client_secret"):
        raise ValueError("its client registration answered no client_id and client_secret")
    return {"client_id": answer["client_id"], "client_secret": answer["client_secret"]}


def _json(url: str, body: dict | None = None) -> dict:
    """GET (or POST ``body`` to) ``url``; its JSON. An error status: ValueError for a GET,
    HTTPError for a POST."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        if body is not None:
            raise  # the registration's caller says what a refusal means
        text = exc.read(300).decode(errors="replace")
        raise ValueError(f"{url} answered {exc.code}: {text}") from None


def _read(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


if __name__ == "__main__":
    sys.exit(main())
