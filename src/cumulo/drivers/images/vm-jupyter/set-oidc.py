#!/usr/bin/python3
"""set-oidc.py ISSUER HUB_URL GROUPS_CLAIM: the hub logs in with the OIDC provider ISSUER.

Standard input: a JSON object {"groups": [...], "admin_groups": [...]}, the groups
whose members get in (admins: admin_groups). The hub gets a client of its own,
registered at the provider by OAuth 2.0 dynamic client registration (RFC 7591)
with the redirect URI HUB_URL/hub/oauth_callback; it is reused while the issuer
and the redirect URI stay the same. Its secret is written only to oidc.json,
readable by the hub's user alone, and never printed.

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
        if old.get("issuer") == issuer and old.get("callback_url") == callback:
            client = {"client_id": old["client_id"], "client_secret": old["client_secret"]}
        else:
            client = _register(issuer, meta, callback)
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
        **client,
    }
    if config != old:
        write_private(CONFIG, json.dumps(config), "jupyter")
        print("changed")
    return 0


def _register(issuer: str, meta: dict, callback: str) -> dict:
    """A new client of the provider for this hub (RFC 7591); its id and secret."""
    endpoint = meta.get("registration_endpoint")
    if not endpoint:
        raise ValueError(
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
    answer = _json(endpoint, body)
    if not answer.get("client_id") or not answer.get("client_secret"):
        raise ValueError("its client registration answered no client_id and client_secret")
    return {"client_id": answer["client_id"], "client_secret": answer["client_secret"]}


def _json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as exc:
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
