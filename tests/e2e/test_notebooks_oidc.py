"""Who gets in to a notebook hub when cumulo uses an OIDC provider: a real provider
process (PyPI ``oidc-provider-mock``, which refuses clients it has not registered), a
real ``cumulo serve`` accepting it, the catalogue's "Jupyter with persistence" with
``iam_groups`` on the real Docker engine. The hub registers a client of its own
(RFC 7591); members of the groups log in through the authorization-code flow and run
a cell, others are refused.

The provider listens on the address of Docker's default bridge on the host, not on
its loopback: the hub's node is a container, which reaches the host there (its
token and userinfo calls), and so does the test, as the users' browser."""

from __future__ import annotations

import ipaddress
import json
import secrets
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from e2e_helpers import (
    auth,
    containers_of,
    create_deployment,
    cumulo_env,
    delete_and_wait_gone,
    serving,
    volumes_of,
    wait_final,
)
from hub_session import HubSession
from tests.auth.oidc_provider import provider

from cumulo.drivers.docker_images import VM_JUPYTER_12

pytestmark = pytest.mark.e2e

USERS = [
    {"sub": "alice-0001", "preferred_username": "alice", "groups": ["physics"]},
    {"sub": "bob-0002", "preferred_username": "bob", "groups": ["chemistry"]},
    {"sub": "carol-0003", "preferred_username": "carol", "groups": ["hubadmins"]},
]


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


@pytest.fixture(scope="module")
def hub_image(docker_ready: None) -> None:
    found = subprocess.run(["docker", "image", "inspect", VM_JUPYTER_12], capture_output=True)
    if found.returncode:
        pytest.skip(f"image {VM_JUPYTER_12} missing: run scripts/build-images.sh")


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


def hub_log(container: str) -> str:
    """The end of the hub's log, to say why a login went wrong."""
    out = subprocess.run(["docker", "exec", container, "tail", "-n", "40",
                          "/var/log/jupyterhub.log"], capture_output=True, text=True)  # fmt: skip
    return out.stdout + out.stderr


def test_members_of_the_groups_log_in_with_the_provider(
    oidc_server: str, issuer: str, hub_image: None
) -> None:
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "storage_size": "1 GB", "mem_size": "1 GB",
              "iam_groups": ["physics"], "iam_admin_groups": ["hubadmins"]}  # fmt: skip
    dep_id = create_deployment(oidc_server, "jupyter", params)
    try:
        dep = wait_final(oidc_server, dep_id, timeout=240)
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        endpoint = dep["outputs"]["jupyter_endpoint"]
        (container,) = [c for c in containers_of(dep_id, full=True)]
        # A client of its own, registered for the hub's published endpoint; its secret
        # stays on the node: in no output and no line of the log.
        client = hub_client(container)
        assert client["callback_url"] == f"{endpoint}hub/oauth_callback"
        assert client["issuer"] == issuer and client["allowed_groups"] == ["physics"]
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

        carol = HubSession(endpoint, "carol")
        assert oidc_login(carol, "carol-0003") == 302, hub_log(container)
        assert is_admin(carol)
        carol.close()

        bob = HubSession(endpoint, "bob")
        assert oidc_login(bob, "bob-0002") == 403, hub_log(container)
        bob.close()
        # the owner's password no longer opens the hub: the provider decides
        owner = HubSession(endpoint, dep["outputs"]["jupyter_user"])
        assert not owner.login(password)
        owner.close()
    finally:
        delete_and_wait_gone(oidc_server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []
