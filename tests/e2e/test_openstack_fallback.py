"""The scheduler and the delete job against faults of a REAL cloud (``scripts/test-cloud up``).

Two sites of the test cloud: ``tiny-cloud``, a project made here with a quota of one
instance (status active, so ranked first), and ``spare-cloud``, the test cloud's own
project with Nova reached through a 127.0.0.1 relay (``FlakyNova``; status limited,
ranked second).

- A deployment of two servers, scheduled by cumulo: Nova refuses the second on
  tiny-cloud (its quota), the attempt is cleaned up and the next site, spare-cloud,
  gets the deployment; tiny-cloud keeps nothing.
- Nova unreachable (every connection reset) while a deployment is deleted: for 2.5 s
  the calls' back-off bridges it and the delete finishes; past the retries the
  deployment is DELETE_FAILED naming the site and the unreachable API, and a second
  DELETE, Nova back, removes everything.

What a failed test leaves is removed by deployment tag as the admin (``purge``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_helpers import auth, delete_and_wait_gone
from test_openstack import (
    CLOUDS_YAML,
    INDIGO,
    deploy,
    final,
    indigo_vm,
    left_on_cloud,
)
from test_openstack_faults import FlakyNova, admin, log_of, relayed_and_tiny, tiny_project

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(not CLOUDS_YAML.exists(), reason="run scripts/test-cloud up"),
    pytest.mark.skipif(not INDIGO.exists(), reason=f"{INDIGO} (the INDIGO corpus) is absent"),
]
__all__ = ["admin", "tiny_project"]  # module fixtures shared with test_openstack_faults

MINE: list[str] = []


@pytest.fixture(scope="module")
def relay() -> Iterator[FlakyNova]:
    nova = FlakyNova()
    yield nova
    nova.close()


@pytest.fixture(scope="module")
def server(
    admin: Any, tiny_project: str, relay: FlakyNova, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-openstack-fallback")
    with relayed_and_tiny(data, admin, tiny_project, relay,
                          {"name": "spare-cloud", "status": "limited"},
                          {"name": "tiny-cloud", "status": "active"}, MINE) as url:  # fmt: skip
        yield url


def status_of(url: str, dep_id: str) -> dict[str, Any]:
    return httpx.get(f"{url}/deployments/{dep_id}", headers=auth(url), timeout=10).json()


def test_a_quota_refusal_sends_the_deployment_to_the_next_site(server: str, admin: Any) -> None:
    two = indigo_vm().replace("count: 1", "count: 2").replace("PUBLIC", "PRIVATE")
    MINE.append(deploy(server, two, {}))
    dep_id = MINE[-1]
    body = final(server, dep_id, timeout=300)
    assert body["status"] == "CREATE_COMPLETE", body["statusReason"]
    assert body["cloudProviderName"] == "spare-cloud"
    log = log_of(server, dep_id)
    assert "attempt failed on site tiny-cloud" in log, log
    quota = "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
    assert quota in log, log
    servers = list(admin.compute.servers(all_projects=True, tags=f"cumulo-d-{dep_id}"))
    assert len(servers) == 2 and {s.status for s in servers} == {"ACTIVE"}
    spare = admin.identity.find_project("cumulo", domain_id="default").id
    assert {s.project_id for s in servers} == {spare}  # none left in the tiny project
    delete_and_wait_gone(server, dep_id, timeout=180)
    assert not any(left_on_cloud(admin, dep_id).values())


def test_nova_away_during_a_delete_is_bridged_or_fails_clearly_then_a_retry_works(
    server: str, admin: Any, relay: FlakyNova
) -> None:
    first, second = (deploy(server, indigo_vm(), {}, site="spare-cloud") for _ in range(2))
    MINE.extend([first, second])
    for dep_id in (first, second):
        body = final(server, dep_id)
        assert body["status"] == "CREATE_COMPLETE", body["statusReason"]

    relay.down(2.5)  # within the calls' back-off (0.5 + 1 + 2 s)
    delete_and_wait_gone(server, first, timeout=180)
    assert relay.dropped >= 1, vars(relay)
    assert not any(left_on_cloud(admin, first).values())

    relay.down(120)  # past the calls' retries (7.5 s)
    r = httpx.delete(f"{server}/deployments/{second}", headers=auth(server), timeout=10)
    assert r.status_code == 204, r.text
    deadline = time.monotonic() + 90
    while (body := status_of(server, second))["status"] == "DELETE_IN_PROGRESS":
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    relay.up()
    assert body["status"] == "DELETE_FAILED", body
    assert "site spare-cloud" in body["statusReason"], body["statusReason"]
    assert "is unreachable" in body["statusReason"], body["statusReason"]
    delete_and_wait_gone(server, second, timeout=180)  # the retry, Nova back
    assert not any(left_on_cloud(admin, second).values())
