"""Keystone federation (``v3oidcaccesstoken``): a user's OIDC access token exchanged for a
project-scoped token, as INFN Cloud does "from PaaS to IaaS".

Keystone federation cannot run here (no identity provider mapped into the test
cloud's Keystone), so a local HTTP server on 127.0.0.1 answers with Keystone's own
payloads, recorded from the test cloud's Keystone (payloads/keystone_tokens.json):
the real keystoneauth plugin cumulo configures makes the real requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from keystoneauth1 import exceptions as ksa
from keystoneauth1 import loading, session

from cumulo.drivers.openstack.calls import translate
from cumulo.drivers.openstack.credentials import federated_auth

PAYLOADS = json.loads((Path(__file__).parent / "payloads" / "keystone_tokens.json").read_text())
ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.user-of-infn-iam.signature"
UNSCOPED, SCOPED = "unscoped-token-id", "scoped-token-id"


class FakeKeystone(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, Any]] = []

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: Any, token: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if token:
            self.send_header("X-Subject-Token", token)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, None))
        version = json.loads(json.dumps(PAYLOADS["version"]))
        base = f"http://{self.headers['Host']}/v3/"
        version["version"]["links"] = [{"rel": "self", "href": base}]
        self._answer(200, version)

    def accepts(self, authorization: str) -> bool:
        """Keystone's OIDC module: is the bearer token a valid one of the provider's?"""
        return authorization == f"Bearer {ACCESS_TOKEN}"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.seen.append(("POST", self.path, body))
        if self.path.endswith("/OS-FEDERATION/identity_providers/infn-iam/protocols/openid/auth"):
            if not self.accepts(self.headers.get("Authorization") or ""):
                self._answer(401, {"error": {"code": 401, "message": "The request you have "
                                             "made requires authentication.",
                                             "title": "Unauthorized"}})  # fmt: skip
                return
            self._answer(201, PAYLOADS["unscoped"], UNSCOPED)
        elif self.path.endswith("/auth/tokens"):
            identity = body["auth"]["identity"]
            ok = identity["methods"] == ["token"] and identity["token"]["id"] == UNSCOPED
            self._answer(201 if ok else 401, PAYLOADS["scoped"] if ok else {}, SCOPED)
        else:
            self._answer(404, {})


@pytest.fixture
def keystone() -> Iterator[str]:
    FakeKeystone.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKeystone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3"
    server.shutdown()
    server.server_close()


def _session(url: str, token: str) -> session.Session:
    options = {"identity_provider": "infn-iam", "project_name": "cumulo"}
    config = federated_auth(url, options, token)
    plugin = loading.get_plugin_loader(config["auth_type"]).load_from_options(**config["auth"])
    return session.Session(auth=plugin)


def test_the_users_access_token_becomes_a_project_scoped_token(keystone: str) -> None:
    sess = _session(keystone, ACCESS_TOKEN)
    assert sess.get_token() == SCOPED
    assert sess.get_project_id() == PAYLOADS["scoped"]["token"]["project"]["id"]
    posts = [(path, body) for method, path, body in FakeKeystone.seen if method == "POST"]
    assert posts[0][0] == "/v3/OS-FEDERATION/identity_providers/infn-iam/protocols/openid/auth"
    scope = posts[1][1]["auth"]["scope"]["project"]
    assert scope["name"] == "cumulo" and scope["domain"]["name"] == "Default"


def test_a_refused_access_token_is_a_clear_site_error(keystone: str) -> None:
    with pytest.raises(ksa.Unauthorized) as err:
        _session(keystone, "someone-elses-token").get_token()
    message = str(translate("cloud-bari", "node vm", err.value))
    assert message.startswith("node vm: site cloud-bari refused the credentials")
    assert "someone-elses-token" not in message
