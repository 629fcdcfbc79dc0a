"""``python closed_oidc_provider.py --host H --port P --client ID:SECRET --user-claims JSON...``:
``oidc-provider-mock`` (PyPI) as a provider that registers no client itself: its
registration endpoint answers 403, and only the client its admin made (``--client``,
any redirect URI, ``client_secret_basic``) gets codes and tokens. For the notebooks'
test of the hubs' client set by cumulo's admin (test_notebooks_oidc.py)."""

from __future__ import annotations

import argparse
import json
import os

import flask
import werkzeug.serving
from oidc_provider_mock import User, app

# The mock has no public way to add a client of its own making: its storage's types.
from oidc_provider_mock._storage import Client, ClientAllowAny


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client", required=True, help="ID:SECRET")
    parser.add_argument("--user-claims", action="append", default=[])
    args = parser.parse_args()
    users = []
    for text in args.user_claims:
        claims = json.loads(text)
        users.append(User(sub=claims.pop("sub"), claims=claims))
    client_id, _, secret = args.client.partition(":")
    client = Client(id=client_id, secret=secret, redirect_uris=ClientAllowAny(),
                    allowed_scopes=Client.SCOPES_SUPPORTED,
                    token_endpoint_auth_method="client_secret_basic")  # fmt: skip
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP, as oidc-provider-mock's CLI
    provider = app(require_client_registration=True, user_claims=users)

    @provider.before_request
    def admins_client_only() -> tuple[flask.Response, int] | None:
        flask.g.oidc_provider_mock_storage.store_client(client)  # set by the mock's own hook
        if flask.request.path == "/oauth2/clients":
            body = {"error": "access_denied", "error_description": "registration is closed"}
            return flask.jsonify(body), 403
        return None

    werkzeug.serving.run_simple(args.host, args.port, provider, threaded=True)


if __name__ == "__main__":
    main()
