"""Who gets in to a notebook hub when cumulo uses an OIDC provider: a real provider
process (PyPI ``oidc-provider-mock``, which refuses clients it has not registered), a
real ``cumulo serve`` accepting it, the catalogue's "Jupyter with persistence" with
``iam_groups`` on the real Docker engine, deployed by a user of the provider. The hub
registers a client of its own (RFC 7591); its owner and the members of the groups log
in through the authorization-code flow and run a cell, others are refused; the login
still works after the node is stopped and started. With a provider that registers no
client, the hub takes the one cumulo's admin set.

The provider listens on the address of Docker's default bridge on the host, not on
its loopback: the hub's node is a container, which reaches the host there (its
token and userinfo calls), and so does the test, as the users' browser."""

from __future__ import annotations

import ipaddress
import json
import secrets
import subprocess
import sys
import urllib.parse as up
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import (
    auth,
    catalogue_template,
    containers_of,
    create_deployment,
    cumulo_env,
    delete_and_wait_gone,
    serving,
    volumes_of,
    wait_final,
)
from hub_session import HubSession, node_action, wait_until
from tests.auth.oidc_provider import provider

from cumulo.drivers.docker_images import VM_JUPYTER_12

pytestmark = [pytest.mark.e2e, pytest.mark.service]

USERS = [
    {"sub": "alice-0001", "preferred_username": "alice", "groups": ["physics"]},
    {"sub": "bob-0002", "preferred_username": "bob", "groups": ["chemistry"]},
    {"sub": "carol-0003", "preferred_username": "carol", "groups": ["hubadmins"]},
    # the deployments' owner, in none of their groups; and another user, in none either
    {"sub": "dave-0004", "preferred_username": "dave", "groups": ["students"]},
    {"sub": "erin-0005", "preferred_username": "erin", "groups": ["students"]},
]
OWNER = "dave-0004"
# The hubs' client of a provider that registers none, as cumulo's admin sets it.
ADMIN_CLIENT = ("cumulo-hubs", secrets.token_urlsafe(16))
CLOSED_PROVIDER = (sys.executable, str(Path(__file__).with_name("closed_oidc_provider.py")))
REDIRECT = "http://127.0.0.1/callback"


def bridge_address() -> str:
    """The host's address on Docker's default bridge (its gateway)."""
    out = subprocess.run(["docker", "network", "inspect", "bridge", "-f",
                          "{{json .IPAM.Config}}"], capture_output=True, text=True,
                         check=True)  # fmt: skip
    config = json.loads(out.stdout)[0]
    if config.get("Gateway"):
        return config["Gateway"]
    return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


@pytest.fixture(scope="module")
def issuer(docker_ready: None) -> Iterator[str]:
    with provider(
        None, "--require-registration", "true", host=bridge_address(), users=USERS
    ) as url:
        yield url


@pytest.fixture(scope="module")
def oidc_server(
    issuer: str, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-oidc-hub")
    env = cumulo_env(module_database_url, oidc_issuers=issuer)
    with serving(data, "--workers", "2", env=env) as url:
        yield url


@pytest.fixture
def closed_server(
    tmp_path_factory: pytest.TempPathFactory, docker_ready: None
) -> Iterator[tuple[str, str]]:
    """A provider that registers no client (closed_oidc_provider.py) and a cumulo using it,
    with the hubs' client its admin set: the server's URL and the issuer. On SQLite only
    (no database fixture): what it tests is the hub's, not the database's."""
    client = ["--client", ":".join(ADMIN_CLIENT)]
    with provider(None, *client, host=bridge_address(), users=USERS,
                  program=CLOSED_PROVIDER) as issuer:  # fmt: skip
        data = tmp_path_factory.mktemp("cumulo-oidc-closed")
        env = cumulo_env("", oidc_issuers=issuer, hub_oidc_client_id=ADMIN_CLIENT[0],
                         hub_oidc_client_secret=ADMIN_CLIENT[1])  # fmt: skip
        with serving(data, "--workers", "2", env=env) as url:
            yield url, issuer


@pytest.fixture(scope="module")
def hub_image(docker_ready: None) -> None:
    found = subprocess.run(["docker", "image", "inspect", VM_JUPYTER_12], capture_output=True)
    if found.returncode:
        pytest.skip(f"image {VM_JUPYTER_12} missing: run scripts/build-images.sh")


def user_token(issuer: str, sub: str) -> str:
    """An access token of ``sub``, as a client of the provider (registered for the test)
    gets one: the consent form posted for ``sub``, then the token endpoint."""
    client = httpx.post(f"{issuer}/oauth2/clients", json={"redirect_uris": [REDIRECT]}).json()
    query = {"client_id": client["client_id"], "redirect_uri": REDIRECT, "response_type": "code",
             "scope": "openid profile", "state": "st"}  # fmt: skip
    r = httpx.post(f"{issuer}/oauth2/authorize?{up.urlencode(query)}", data={"sub": sub})
    assert r.status_code == 302, r.text
    code = up.parse_qs(up.urlparse(r.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    t = httpx.post(f"{issuer}/oauth2/token", data=form,
                   auth=(client["client_id"], client["client_secret"]))  # fmt: skip
    assert t.status_code == 200, t.text
    return t.json()["access_token"]


def deploy_as(server: str, token: str, parameters: dict[str, object]) -> str:
    """POST the catalogue's "jupyter" as the user of ``token``; the deployment's id."""
    body = {"template": catalogue_template("jupyter"), "parameters": parameters}
    r = httpx.post(f"{server}/deployments", json=body, timeout=30,
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def login_status(endpoint: str, user: str, sub: str) -> tuple[int, bool]:
    """``user``'s login at the hub (302: in) and, when in, whether they are an admin."""
    hub = HubSession(endpoint, user)
    try:
        status = oidc_login(hub, sub)
        return status, status == 302 and is_admin(hub)
    finally:
        hub.close()


def oidc_login(hub: HubSession, sub: str) -> int:
    """The authorization-code flow as a browser follows it, the provider's consent form
    posted for ``sub``; the hub's answer to the callback (302: logged in). Logged in, the
    session takes an API token for the user's server."""
    start = hub.http.get("/hub/oauth_login")
    assert start.status_code == 302, start.text
    consent = httpx.post(start.headers["location"], data={"sub": sub}, timeout=30)
    assert consent.status_code == 302, consent.text
    back = hub.http.get(consent.headers["location"])
    if back.status_code != 302:
        return back.status_code
    hub.http.get("/hub/home")
    xsrf = hub.http.cookies.get("_xsrf", path="/hub/") or ""
    r = hub.http.post(f"/hub/api/users/{hub.user}/tokens", json={"note": "e2e"},
                      headers={"X-XSRFToken": xsrf})  # fmt: skip
    assert r.status_code == 201, r.text
    hub.token = r.json()["token"]
    return 302


def is_admin(hub: HubSession) -> bool:
    me = hub.http.get("/hub/api/user", headers={"Authorization": f"token {hub.token}"})
    assert me.status_code == 200, me.text
    return bool(me.json()["admin"])


def hub_client(container: str) -> dict[str, str]:
    """The hub's client of the provider, as its node keeps it (readable by root and the hub)."""
    out = subprocess.run(["docker", "exec", container, "cat", "/etc/jupyterhub/oidc.json"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def hub_made(server: str, dep_id: str) -> tuple[dict[str, Any], str, dict[str, str]]:
    """A hub's deployment once CREATE_COMPLETE (as the API shows it), its container, its client."""
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    (container,) = [c for c in containers_of(dep_id, full=True)]
    return dep, container, hub_client(container)


def hub_answers(endpoint: str) -> bool:
    try:
        return httpx.get(f"{endpoint}hub/api", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def hub_log(container: str) -> str:
    """The end of the hub's log, to say why a login went wrong."""
    out = subprocess.run(["docker", "exec", container, "tail", "-n", "40",
                          "/var/log/jupyterhub.log"], capture_output=True, text=True)  # fmt: skip
    return out.stdout + out.stderr


def test_the_owner_and_members_of_the_groups_log_in_with_the_provider(
    oidc_server: str, issuer: str, hub_image: None
) -> None:
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "storage_size": "1 GB", "mem_size": "1 GB",
              "iam_groups": ["physics"], "iam_admin_groups": ["hubadmins"]}  # fmt: skip
    dep_id = deploy_as(oidc_server, user_token(issuer, OWNER), params)  # dave's deployment
    try:
        # A client of its own, registered for the hub's published endpoint; its secret
        # stays on the node: in no output and no line of the log.
        dep, container, client = hub_made(oidc_server, dep_id)
        endpoint = dep["outputs"]["jupyter_endpoint"]
        assert client["callback_url"] == f"{endpoint}hub/oauth_callback"
        assert client["issuer"] == issuer and client["allowed_groups"] == ["physics"]
        assert client["registered"] and client["owner_subject"] == OWNER
        log = httpx.get(f"{oidc_server}/deployments/{dep_id}/log", headers=auth(oidc_server),
                        timeout=10).text  # fmt: skip
        for secret in (client["client_secret"], password):
            assert secret not in log and secret not in json.dumps(dep)

        alice = HubSession(endpoint, "alice")
        assert oidc_login(alice, "alice-0001") == 302, hub_log(container)
        assert not is_admin(alice)
        alice.start_server()
        assert alice.run_cell("import os\nprint(os.getcwd())\n6 * 7") == "/notebooks/alice\n42"
        alice.close()
        assert login_status(endpoint, "carol", "carol-0003") == (302, True), hub_log(container)
        assert login_status(endpoint, "bob", "bob-0002")[0] == 403, hub_log(container)
        # the owner gets in (as the hub's admin) though in none of the groups; another
        # user in none of them does not
        assert login_status(endpoint, "dave", OWNER) == (302, True), hub_log(container)
        assert login_status(endpoint, "erin", "erin-0005")[0] == 403, hub_log(container)
        # the owner's password no longer opens the hub: the provider decides
        owner = HubSession(endpoint, dep["outputs"]["jupyter_user"])
        assert not owner.login(password)
        owner.close()

        # Stopped and started, the node keeps its host port: the redirect URI the client
        # was registered with still holds, and the same people log in.
        node_action(oidc_server, dep_id, "stop", "STOPPED")
        node_action(oidc_server, dep_id, "start", "STARTED")
        again = httpx.get(f"{oidc_server}/deployments/{dep_id}", headers=auth(oidc_server),
                          timeout=10).json()["outputs"]["jupyter_endpoint"]  # fmt: skip
        assert again == endpoint
        assert hub_client(container)["client_id"] == client["client_id"]
        wait_until(lambda: hub_answers(endpoint), "answering after the start")
        alice = HubSession(endpoint, "alice")
        assert oidc_login(alice, "alice-0001") == 302, hub_log(container)
        alice.start_server()
        assert alice.run_cell("6 * 7") == "42"
        alice.close()
        assert login_status(endpoint, "dave", OWNER) == (302, True), hub_log(container)
        assert login_status(endpoint, "erin", "erin-0005")[0] == 403, hub_log(container)
    finally:
        delete_and_wait_gone(oidc_server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []


def test_without_registration_the_hub_takes_the_admins_client(
    closed_server: tuple[str, str], hub_image: None
) -> None:
    server, issuer = closed_server
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "storage_size": "1 GB", "mem_size": "1 GB",
              "iam_groups": ["physics"]}  # fmt: skip
    dep_id = create_deployment(server, "jupyter", params)  # cumulo's local admin: not at it
    try:
        dep, container, client = hub_made(server, dep_id)
        endpoint = dep["outputs"]["jupyter_endpoint"]
        assert (client["client_id"], client["client_secret"]) == ADMIN_CLIENT
        assert client["issuer"] == issuer
        assert not client["registered"] and client["owner_subject"] == ""
        log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server),
                        timeout=10).text  # fmt: skip
        assert ADMIN_CLIENT[1] not in log and ADMIN_CLIENT[1] not in json.dumps(dep)
        # the provider gives codes and tokens to that client alone, with its secret
        assert login_status(endpoint, "alice", "alice-0001") == (302, False), hub_log(container)
        assert login_status(endpoint, "bob", "bob-0002")[0] == 403, hub_log(container)
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []
