"""A federated OpenStack site acts as each deployment's owner: the engine → driver wiring.

Real here: cumulo's ``Engine`` (SQLite) and its ``OwnerTokens``, the owner's refresh
token sealed as the dashboard's OIDC login keeps it, a real OIDC provider process
(oidc-provider-mock, ``tests/auth/oidc_provider.py``) that refreshes it, and
keystoneauth's ``v3oidcaccesstoken`` plugin configured by the driver. Recorded:
Keystone (Keystone federation cannot run on the test cloud): a 127.0.0.1 server
answers with payloads recorded from the test cloud's Keystone, after asking the
provider's userinfo whether the bearer token is a valid one of alice's, as
Keystone's OIDC module would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.auth.oidc_provider import CLIENT_ID, login, provider
from tests.drivers.openstack.test_openstack_keystone_federation import SCOPED, FakeKeystone
from tests.engine.engine_helpers import run_next_job

from cumulo import catalogue
from cumulo.auth.identity import Identity
from cumulo.config import Settings
from cumulo.drivers.openstack import OpenStackDriver
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.drivers import DRIVER_CLASSES, register_driver_kind
from cumulo.engine.sites.registry import save_site
from cumulo.errors import SiteError
from cumulo.secrets import Purpose, is_encrypted
from cumulo.store.account_models import User
from cumulo.store.models import Deployment, Event, Resource, Site

SITE = "fed-cloud"
VM = catalogue.find("vm").read_text()  # type: ignore[union-attr]
VM_PARAMS = {"ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench test@cumulo"}
PROJECTS = {"physics": "physics-project"}


class ProviderKeystone(FakeKeystone):
    userinfo = ""  # the provider's userinfo endpoint
    subjects: list[str] = []  # whose tokens it accepted

    def accepts(self, authorization: str) -> bool:
        r = httpx.get(self.userinfo, headers={"Authorization": authorization}, timeout=10)
        if r.status_code != 200:
            return False
        self.subjects.append(r.json()["sub"])
        return True


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


@pytest.fixture
def keystone(issuer: str) -> Iterator[str]:
    meta = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    ProviderKeystone.userinfo, ProviderKeystone.subjects = meta["userinfo_endpoint"], []
    FakeKeystone.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProviderKeystone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3"
    server.shutdown()
    server.server_close()


@pytest.fixture
def engine(tmp_path: Path, issuer: str) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path, oidc_issuers=issuer, oidc_client_id=CLIENT_ID,
                        oidc_client_secret="any")  # fmt: skip
    eng = Engine(settings)
    yield eng
    eng.close()


def user(engine: Engine, issuer: str, sub: str, refresh_token: str | None) -> None:
    with engine.db.session() as s:
        row = User(issuer=issuer, subject=sub, name=sub.split("-")[0], groups=[])
        if refresh_token:
            row.refresh_token = engine.secrets.seal(refresh_token, Purpose.REFRESH_TOKEN, row.id)
        s.add(row)


def deployment(engine: Engine, issuer: str, sub: str, group: str | None) -> str:
    with engine.db.session() as s:
        dep = Deployment(status="CREATE_IN_PROGRESS", template="t", owner_issuer=issuer,
                         owner_subject=sub, user_group=group)  # fmt: skip
        s.add(dep)
        s.flush()
        s.add(Resource(deployment_id=dep.id, node_name="vm", node_type="tosca.nodes.Compute",
                       physical_id=f"server-of-{dep.id}", site_name=SITE))  # fmt: skip
        return dep.id


def federated_driver(engine: Engine, keystone: str) -> OpenStackDriver:
    site = Site(name=SITE, kind="openstack", endpoint=keystone,
                options={"identity_provider": "infn-iam", "projects": PROJECTS,
                         "network": "private"})  # fmt: skip
    driver = engine.driver(site)
    assert isinstance(driver, OpenStackDriver) and driver.owners is not None
    return driver


def test_the_owners_refreshed_token_gets_the_groups_project(
    engine: Engine, issuer: str, keystone: str
) -> None:
    tokens = login(issuer, "alice-0001")
    user(engine, issuer, "alice-0001", tokens.refresh_token)
    dep_id = deployment(engine, issuer, "alice-0001", "physics")
    driver = federated_driver(engine, keystone)

    calls = driver.owners.calls(deployment_id=dep_id)
    assert calls.call("authorize", lambda c: c.authorize()) == SCOPED
    # Keystone got a valid access token of alice's, fresh from her refresh token
    assert ProviderKeystone.subjects == ["alice-0001"]
    posts = [(path, body) for method, path, body in FakeKeystone.seen if method == "POST"]
    assert posts[0][0] == "/v3/OS-FEDERATION/identity_providers/infn-iam/protocols/openid/auth"
    scope = posts[1][1]["auth"]["scope"]["project"]
    assert scope == {"name": "physics-project", "domain": {"name": "Default"}}
    # a call naming only a resource finds the same owner (and the same connection)
    assert driver.owners.calls(physical_id=f"server-of-{dep_id}") is calls
    with engine.db.reader() as s:
        kept = s.scalar(select(User.refresh_token).where(User.subject == "alice-0001"))
    assert kept and is_encrypted(kept)  # still sealed (rotated or not)
    assert tokens.refresh_token not in repr(driver.site) + repr(calls.config)


def test_an_owner_without_a_kept_token_is_a_clear_failure_naming_the_site(
    engine: Engine, issuer: str, keystone: str
) -> None:
    user(engine, issuer, "bob-0003", None)
    dep_id = deployment(engine, issuer, "bob-0003", "physics")
    driver = federated_driver(engine, keystone)
    with pytest.raises(SiteError) as err:
        driver.delete_deployment(dep_id)
    assert str(err.value) == (
        "site fed-cloud acts as the deployment's owner (Keystone federation): the owner bob "
        "has no OIDC login whose token cumulo keeps (log in to the dashboard with the "
        "identity provider once)"
    )
    assert not FakeKeystone.seen  # nothing was asked of the cloud


def test_a_group_without_a_project_and_a_refused_refresh_are_clear_failures(
    engine: Engine, issuer: str, keystone: str
) -> None:
    user(engine, issuer, "alice-0001", login(issuer, "alice-0001").refresh_token)
    user(engine, issuer, "carol-0004", "a-refresh-token-the-provider-never-gave")
    driver = federated_driver(engine, keystone)
    chemistry = deployment(engine, issuer, "alice-0001", "chemistry")
    with pytest.raises(SiteError, match="site fed-cloud: no project for group chemistry"):
        driver.owners.calls(deployment_id=chemistry)
    carols = deployment(engine, issuer, "carol-0004", "physics")
    with pytest.raises(SiteError) as err:
        driver.owners.calls(deployment_id=carols)
    assert "refused to refresh carol's token (invalid_grant)" in str(err.value)
    assert "never-gave" not in str(err.value)
    assert ProviderKeystone.subjects == []  # Keystone was never asked for carol


def test_a_federation_only_site_pings_its_keystone_and_has_no_inventory(
    engine: Engine, keystone: str
) -> None:
    driver = federated_driver(engine, keystone)
    driver.ping()
    assert FakeKeystone.seen[0][:2] == ("GET", "/v3")
    assert driver.inventory() is None


def test_the_engine_tries_the_next_site_when_the_owner_has_no_token(
    engine: Engine, issuer: str, keystone: str
) -> None:
    """A whole deploy job: the federated site (ranked first) fails the attempt naming
    itself and why, and the deployment completes on the next site (the ``sim`` double)."""
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    try:
        images = {"debian": {"12": "debian-12"}}
        save_site(engine, SiteDef(name=SITE, kind="openstack", endpoint=keystone, public=True,
                                  images=images, options={"identity_provider": "infn-iam",
                                  "project_name": "cumulo", "network": "private"}))  # fmt: skip
        save_site(engine, SiteDef(name="spare", kind="sim", endpoint="sim://", public=True,
                                  status="limited", images=images))  # fmt: skip
        user(engine, issuer, "bob-0003", None)
        bob = Identity(issuer=issuer, subject="bob-0003", name="bob")
        dep = create_deployment(engine, NewDeployment(VM, VM_PARAMS), bob)
        run_next_job(engine)
        with engine.db.reader() as s:
            row = s.get(Deployment, dep.id)
            assert (row.status, row.site_name) == ("CREATE_COMPLETE", "spare")
            log = "\n".join(s.scalars(select(Event.message).where(Event.deployment_id == dep.id)))
        assert f"attempt failed on site {SITE}" in log, log
        assert "the owner bob has no OIDC login whose token cumulo keeps" in log, log
    finally:
        DRIVER_CLASSES.pop("sim", None)
