"""A real OIDC provider process on 127.0.0.1 (PyPI ``oidc-provider-mock``) and its tokens.

Tokens are obtained as a client does: the authorization-code flow (the
provider's consent form posted for a subject), then the token endpoint.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse as up
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROVIDER = str(Path(sys.executable).with_name("oidc-provider-mock"))
CLIENT_ID = "cumulo-tests"
REDIRECT = "http://127.0.0.1/callback"
USERS = [
    {"sub": "alice-0001", "preferred_username": "alice", "groups": ["physics"]},
    {"sub": "root-0002", "preferred_username": "root", "groups": ["admins", "ops"]},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Tokens:
    access_token: str  # opaque with this provider
    id_token: str  # a JWT signed by the provider's key
    refresh_token: str


@contextmanager
def provider(
    port: int | None = None,
    *extra: str,
    host: str = "127.0.0.1",
    users: list[dict[str, object]] | None = None,
    program: Sequence[str] = (PROVIDER,),
) -> Iterator[str]:
    """The provider on ``host``:``port`` (a free port by default) with ``users`` (default
    ``USERS``); its issuer URL. ``program``: another one taking the same options."""
    port = port or free_port()
    args = [*program, "--host", host, "--port", str(port), *extra]
    for user in USERS if users is None else users:
        args += ["--user-claims", json.dumps(user)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    issuer = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"oidc-provider-mock did not start: {err}") from None
                time.sleep(0.1)
        yield issuer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def login(issuer: str, sub: str) -> Tokens:
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "st",
    }
    r = httpx.post(f"{issuer}/oauth2/authorize?{up.urlencode(query)}", data={"sub": sub})
    assert r.status_code == 302, r.text
    code = up.parse_qs(up.urlparse(r.headers["location"]).query)["code"][0]
    t = httpx.post(
        f"{issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": "any",
        },
    )
    assert t.status_code == 200, t.text
    body = t.json()
    return Tokens(body["access_token"], body["id_token"], body["refresh_token"])
