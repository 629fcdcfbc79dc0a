"""A deployment's server made on the REAL test cloud as its owner, through Keystone federation's
request flow (``scripts/test-cloud up``).

The test Keystone has no OIDC module (it needs Apache's mod_auth_openidc), so a 127.0.0.1
proxy stands in for Keystone's federation endpoint only: it asks the OIDC provider's
userinfo whether the bearer token is valid (as mod_auth_openidc would), maps every valid
one to the test cloud's user ``cumulo`` and answers with a real unscoped token of that
user from the real Keystone; every other Keystone request (version discovery, the
project-scoped token) goes to the real Keystone unchanged. Everything else is real:
cumulo's engine with alice's refresh token sealed as the dashboard's login keeps it, a
real OIDC provider process refreshing it, keystoneauth's ``v3oidcaccesstoken``, and Nova,
Neutron and Glance of the test cloud with the scoped token of the project of alice's
group (``options.projects``).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from test_openstack import CLOUDS_YAML, TC, cloud, left_on_cloud, purge
from tests.auth.oidc_provider import CLIENT_ID, login, provider

from cumulo.config import Settings
from cumulo.drivers.base import NodeRequest
from cumulo.engine.runtime import Engine
from cumulo.secrets import Purpose
from cumulo.store.account_models import User
from cumulo.store.models import Deployment, Resource, Site

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(not CLOUDS_YAML.exists(), reason="run scripts/test-cloud up"),
]

KEYSTONE = "http://127.0.0.1:5000"
FEDERATION = "/v3/OS-FEDERATION/identity_providers/test-iam/protocols/openid/auth"


class FederationProxy(BaseHTTPRequestHandler):
    userinfo = ""
    password = ""  # the test cloud's user cumulo
    subjects: list[str] = []
    scopes: list[Any] = []

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, r: httpx.Response) -> None:
        base = f"http://{self.headers['Host']}"
        data = r.content.replace(KEYSTONE.encode(), base.encode())  # links: back to us
        self.send_response(r.status_code)
        self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        if "X-Subject-Token" in r.headers:
            self.send_header("X-Subject-Token", r.headers["X-Subject-Token"])
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(httpx.get(KEYSTONE + self.path, timeout=10))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if urllib.parse.urlsplit(self.path).path == FEDERATION:
            bearer = self.headers.get("Authorization") or ""
            who = httpx.get(self.userinfo, headers={"Authorization": bearer}, timeout=10)
            if who.status_code != 200:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.subjects.append(who.json()["sub"])
            user = {"name": "cumulo", "domain": {"name": "Default"}, "password": self.password}
            auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
            self._answer(httpx.post(f"{KEYSTONE}/v3/auth/tokens", json=auth, timeout=10))
            return
        if self.path.startswith("/v3/auth/tokens"):
            self.scopes.append(json.loads(body)["auth"].get("scope"))
        headers = {"Content-Type": "application/json"}
        self._answer(httpx.post(KEYSTONE + self.path, content=body, headers=headers, timeout=10))


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


@pytest.fixture(scope="module")
def keystone(issuer: str) -> Iterator[str]:
    meta = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    clouds = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]
    FederationProxy.userinfo = meta["userinfo_endpoint"]
    FederationProxy.password = clouds["cumulo-test"]["auth"]["password"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), FederationProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3"
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin() -> Iterator[Any]:
    conn = cloud("cumulo-test-admin")
    yield conn
    conn.close()


def owned_deployment(engine: Engine, issuer: str, group: str) -> str:
    """alice (logged in at the provider, her refresh token sealed) and her deployment."""
    refresh = login(issuer, "alice-0001").refresh_token
    with engine.db.session() as s:
        alice = User(issuer=issuer, subject="alice-0001", name="alice", groups=[group])
        alice.refresh_token = engine.secrets.seal(refresh, Purpose.REFRESH_TOKEN, alice.id)
        dep = Deployment(status="CREATE_IN_PROGRESS", template="t", owner_issuer=issuer,
                         owner_subject="alice-0001", user_group=group)  # fmt: skip
        s.add_all([alice, dep])
        s.flush()
        return dep.id


def test_a_server_is_made_in_the_groups_project_with_the_owners_token(
    tmp_path: Path, issuer: str, keystone: str, admin: Any
) -> None:
    settings = Settings(data_dir=tmp_path, oidc_issuers=issuer, oidc_client_id=CLIENT_ID,
                        oidc_client_secret="any")  # fmt: skip
    engine = Engine(settings)
    dep_id = owned_deployment(engine, issuer, "physics")
    (test_cloud,) = yaml.safe_load((TC / "sites.yaml").read_text())["sites"]
    options = {"identity_provider": "test-iam", "projects": {"physics": "cumulo"},
               "network": "private", "floating_ip_pool": "public"}  # fmt: skip
    site = Site(name="fed-test-cloud", kind="openstack", endpoint=keystone,
                images=test_cloud["images"], options=options)  # fmt: skip
    request = NodeRequest(
        dep_id, "vm", 0, "tosca.nodes.indigo.Compute",
        ("tosca.nodes.indigo.Compute", "tosca.nodes.Compute"), {},
        {"host": {"num_cpus": 1, "mem_size": "512 MB"}, "endpoint": {"network_name": "PUBLIC"},
         "os": {"distribution": "debian", "version": "12"}},
    )  # fmt: skip
    try:
        driver = engine.driver(site)
        made = driver.wait_ready(request, driver.create(request), time.monotonic() + 120)
        with engine.db.session() as s:  # what the engine records; start/stop/observe find it
            s.add(Resource(deployment_id=dep_id, node_name="vm", node_type=request.type,
                           physical_id=made.physical_id, site_name=site.name))  # fmt: skip
        assert driver.observe(made.physical_id) == "STARTED"

        assert FederationProxy.subjects[0] == "alice-0001"  # a valid token of hers
        assert {"project": {"name": "cumulo", "domain": {"name": "Default"}}} in (
            FederationProxy.scopes
        )
        (vm,) = admin.compute.servers(all_projects=True, tags=f"cumulo-d-{dep_id}")
        project = admin.identity.find_project("cumulo", domain_id="default")
        assert (vm.id, vm.status, vm.project_id) == (made.physical_id, "ACTIVE", project.id)
        assert vm.flavor["original_name"] == "m1.tiny"
        (fip,) = admin.network.ips(tags=f"cumulo-d-{dep_id}")
        assert made.attributes["public_address"] == [fip.floating_ip_address]

        assert driver.delete_deployment(dep_id)
        assert not any(left_on_cloud(admin, dep_id).values())
    finally:
        purge(admin, dep_id)
        engine.close()
