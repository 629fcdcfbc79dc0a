"""``/sites``, ``/slas``, scheduling explanations, dry runs and ``/metrics`` over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cumulo import catalogue
from cumulo.api.deps import current_identity
from cumulo.auth.identity import Identity
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.drivers import DRIVER_CLASSES, register_driver_kind
from cumulo.secrets import Purpose
from cumulo.store.models import Attempt, Deployment, Site
from cumulo.store.models import Sla as SlaRow

RUN_DOCKER = catalogue.find("run-docker").read_text()  # type: ignore[union-attr]
PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1"}
SITE = {
    "name": "site-a",
    "kind": "sim",
    "endpoint": "sim://a",
    "credentials": "env:SITE_A_TOKEN",
    "region": "eu-south",
    "public": True,
    "flavors": [{"name": "m", "vcpus": 2, "ram": "4 GB", "disk": 20}],
    "images": {"debian": {12: "img-debian"}},
    "quotas": {"instances": 10, "cores": 20, "ram": "64 GB"},
    "capabilities": {"gpus": False},
}


@pytest.fixture(autouse=True)
def sim_kind() -> Iterator[None]:
    register_driver_kind("sim", "cumulo.drivers.sim:SimDriver")
    yield
    DRIVER_CLASSES.pop("sim", None)


def test_add_show_list_and_remove_a_site(client: TestClient, engine: Engine) -> None:
    r = client.post("/sites", json=SITE)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith("/sites/site-a")
    body = r.json()
    assert body["credentials"] == "set"
    assert body["flavors"] == [
        {"name": "m", "vcpus": 2.0, "ram_mb": 4000.0, "disk_gb": 20.0, "gpus": 0}
    ]
    assert body["images"] == {"debian": {"12": "img-debian"}}
    assert body["quotas"] == {"instances": 10, "cores": 20.0, "ram_mb": 64000.0}
    assert body["health"] == {"up": None, "failures": 0}
    # The credentials reference is stored encrypted and never shown.
    with engine.db.session() as s:
        stored = s.scalars(select(Site.credentials).where(Site.name == "site-a")).one()
    assert stored is not None and stored.startswith("enc2:") and "SITE_A" not in stored
    opened = engine.secrets.open(stored, Purpose.SITE_CREDENTIALS, "site-a")
    assert opened == "env:SITE_A_TOKEN"
    assert "SITE_A_TOKEN" not in client.get("/sites").text

    assert client.post("/sites", json=SITE).status_code == 409
    assert (
        client.put("/sites/site-a", json={**SITE, "status": "maintenance"}).json()["status"]
        == "maintenance"
    )
    assert [s["name"] for s in client.get("/sites").json()["content"]] == ["site-a"]
    assert client.delete("/sites/site-a").status_code == 204
    assert client.get("/sites").json()["content"] == []
    assert client.get("/sites/site-a").json()["status"] == "removed"
    assert client.get("/sites?all=true").json()["content"][0]["name"] == "site-a"
    assert client.get("/sites/nope").status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "k8s"}, "kind: unknown site kind 'k8s' (known: docker, openstack, sim)"),
        ({"status": "broken"}, "status: Input should be 'active', 'maintenance'"),
        ({"flavors": [{"name": "x", "vcpus": 1, "ram": "lots"}]}, "flavors.0.ram: ram: "),
        ({"quotas": {"cpus": 3}}, "quotas.cpus: unknown field"),
        ({"name": "bad name"}, "name: must be 1-63 letters"),
        ({"colour": "blue"}, "colour: unknown field"),
    ],
)
def test_bad_site_definitions_are_400_saying_where(
    client: TestClient, change: dict, message: str
) -> None:
    r = client.post("/sites", json={**SITE, **change})
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]


def test_slas_need_an_existing_site(client: TestClient, engine: Engine) -> None:
    sla = {
        "id": "sla-1", "group": "phys", "site": "site-a", "priority": 3,
        "limits": {"instances": 2, "ram": "8 GB"}, "start": "2026-01-01", "end": "2027-01-01",
    }  # fmt: skip
    r = client.post("/slas", json=sla)
    assert r.status_code == 400 and r.json()["message"] == "site: no site named site-a"
    client.post("/sites", json=SITE)
    r = client.post("/slas", json=sla)
    assert r.status_code == 201, r.text
    assert r.json()["limits"] == {"instances": 2, "ram_mb": 8000.0}
    assert client.post("/slas", json={**sla, "end": "2025-01-01"}).json()["message"] == (
        "end is before start"
    )
    assert [x["id"] for x in client.get("/slas?group=phys").json()["content"]] == ["sla-1"]
    assert client.get("/slas?group=chem").json()["content"] == []
    assert client.delete("/slas/sla-1").status_code == 204
    with engine.db.session() as s:
        assert s.scalars(select(SlaRow)).all() == []


def test_sites_and_slas_are_for_admins_only(client: TestClient) -> None:
    client.app.dependency_overrides[current_identity] = lambda: Identity(  # type: ignore[attr-defined]
        "iss", "alice", frozenset({"phys"})
    )
    try:
        for method, path in (("get", "/sites"), ("post", "/sites"), ("get", "/slas")):
            r = client.request(method, path, json=SITE)
            assert r.status_code == 403, (method, path)
            assert r.json()["message"] == "only an administrator may manage sites and SLAs"
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def test_dry_run_explains_without_deploying(client: TestClient) -> None:
    client.post("/sites", json=SITE)
    client.post("/sites", json={**SITE, "name": "site-b", "status": "maintenance"})
    r = client.post("/scheduling", json={"template": RUN_DOCKER, "parameters": PARAMS})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ranked"] == ["site-a"]
    assert body["placement"] == "automatic"
    assert {c["site"]: c["verdict"] for c in body["candidates"]} == {
        "site-a": "usable", "site-b": "rejected",
    }  # fmt: skip
    assert client.get("/deployments").json()["page"]["totalElements"] == 0


def test_an_unusable_manual_choice_is_400_with_the_reason(client: TestClient) -> None:
    client.post("/sites", json={**SITE, "status": "maintenance"})
    r = client.post(
        "/deployments", json={"template": RUN_DOCKER, "parameters": PARAMS, "site": "site-a"}
    )
    assert r.status_code == 400
    assert r.json()["message"] == (
        "placement: the chosen site site-a cannot take this deployment: site status is maintenance"
    )
    assert client.get("/deployments").json()["page"]["totalElements"] == 0


def test_scheduling_of_a_deployment_not_yet_scheduled(client: TestClient) -> None:
    client.post("/sites", json=SITE)
    dep = client.post("/deployments", json={"template": RUN_DOCKER, "parameters": PARAMS}).json()
    r = client.get(f"/deployments/{dep['uuid']}/scheduling")
    assert r.status_code == 200 and r.json()["scheduled"] is False
    assert client.get("/deployments/nope/scheduling").status_code == 404


def test_metrics_in_the_prometheus_format(client: TestClient, engine: Engine) -> None:
    client.post("/sites", json=SITE)
    assert client.post("/sites/site-a/probe").json()["health"]["up"] is True
    client.post("/deployments", json={"template": RUN_DOCKER, "parameters": PARAMS})
    with engine.db.session() as s:
        dep_id = s.scalars(select(Deployment.id)).one()
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        s.add(Attempt(deployment_id=dep_id, number=1, site_name="site-a", status="FAILED",
                      started_at=t0, ended_at=t0 + timedelta(seconds=1)))  # fmt: skip
        s.add(Attempt(deployment_id=dep_id, number=2, site_name="site-a", status="SUCCEEDED",
                      started_at=t0, ended_at=t0 + timedelta(seconds=7)))  # fmt: skip
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = r.text.splitlines()
    assert 'cumulo_site_up{site="site-a"} 1' in lines
    assert 'cumulo_attempts_total{site="site-a",outcome="failed"} 1' in lines
    assert 'cumulo_attempts_total{site="site-a",outcome="succeeded"} 1' in lines
    assert 'cumulo_create_latency_seconds_bucket{site="site-a",le="5"} 0' in lines
    assert 'cumulo_create_latency_seconds_bucket{site="site-a",le="10"} 1' in lines
    assert 'cumulo_create_latency_seconds_sum{site="site-a"} 7.000' in lines
    assert "cumulo_queue_depth 1" in lines
    assert "# TYPE cumulo_create_latency_seconds histogram" in lines
