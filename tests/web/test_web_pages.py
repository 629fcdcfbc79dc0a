"""Dashboard pages through the real app and database (no workers: states stay as set)."""

from __future__ import annotations

import json
import re

import pytest

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment
from cumulo.web.routes import live

RUN_DOCKER = {
    "p.docker_image": "cumulo/httpd",
    "p.docker_tag": "1",
    "p.docker_ports": ["8080:80", "9000", ""],
    "p.service_ports.protocol": ["tcp", "udp"],
    "p.service_ports.port": ["8443", "7000-7002"],
    "p.service_ports.remote_cidr": ["192.0.2.0/24", ""],
    "p.environment_variables.key": ["GREETING", ""],
    "p.environment_variables.value": ["hello", ""],
    "p.num_cpus": "0.5",
    "p.mem_size": "256",
    "p.mem_size.unit": "MB",
    "description": "my web",
    "keep_last_attempt": "true",
    "provider_timeout_mins": "5",
}


def field_error(html: str, name: str) -> str:
    m = re.search(rf'id="e-{name}"[^>]*>([^<]*)<', html)
    assert m, f"no error slot for {name}"
    return m.group(1)


def store(engine: Engine, **kw: object) -> str:
    values: dict[str, object] = {
        "status": "CREATE_COMPLETE",
        "template": "tosca_definitions_version: tosca_simple_yaml_1_3\n",
        "owner_issuer": "cumulo-local",
        "owner_subject": "admin",
    }
    values.update(kw)
    with engine.db.session() as s:
        dep = Deployment(**values)
        s.add(dep)
        return dep.id


@pytest.mark.parametrize("name", catalogue.names())
def test_every_catalogue_service_has_a_wizard_with_a_field_per_input(client, name):
    r = client.get(f"/ui/catalogue/{name}")
    assert r.status_code == 200, r.text
    entry = catalogue.entry(name)
    assert entry is not None
    assert entry.display_name in r.text
    assert 'role="tab"' in r.text and ">Advanced</button>" in r.text
    assert r.text.count('class="field-error"') >= 1


def test_wizard_of_an_unknown_service_is_a_404_page(client):
    r = client.get("/ui/catalogue/nothing-here")
    assert r.status_code == 404 and "no service" in r.text


def test_submitting_the_run_docker_form_stores_the_deployment(client, engine):
    r = client.post("/ui/catalogue/run-docker", data=RUN_DOCKER, follow_redirects=False)
    assert r.status_code == 303, r.text
    dep_id = r.headers["location"].rsplit("/", 1)[1]
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        assert dep.status == "CREATE_IN_PROGRESS"
        assert dep.description == "my web"
        assert dep.keep_last_attempt is True and dep.provider_timeout_mins == 5
        assert dep.parameters == {
            "docker_image": "cumulo/httpd",
            "docker_tag": "1",
            "docker_ports": ["8080:80", "9000"],
            "service_ports": {
                "port_8443": {"protocol": "tcp", "source": 8443, "remote_cidr": "192.0.2.0/24"},
                "port_7000": {"protocol": "udp", "source_range": [7000, 7002]},
            },
            "environment_variables": {"GREETING": "hello"},
            "num_cpus": 0.5,
            "mem_size": "256 MB",
        }
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "CREATE_IN_PROGRESS" in page.text


def test_bad_values_come_back_with_a_message_next_to_each_field(client, engine):
    data = {
        "p.ssh_public_key": "not a key",
        "p.num_cpus": "3",
        "p.mem_size": "64",
        "p.mem_size.unit": "GB",
        "provider_timeout_mins": "soon",
    }
    r = client.post("/ui/catalogue/vm", data=data)
    assert r.status_code == 400
    assert "Not an SSH public key" in field_error(r.text, "ssh_public_key")
    assert field_error(r.text, "num_cpus") == "Choose one of the listed values"
    assert field_error(r.text, "mem_size") == "Must be at most 8 GB"
    assert field_error(r.text, "provider_timeout_mins") == "Enter a whole number of minutes"
    assert 'value="64"' in r.text  # what the user typed is kept
    with engine.db.session() as s:
        assert s.query(Deployment).count() == 0


def test_my_deployments_searches_and_pages(client, engine):
    for i in range(12):
        store(engine, description=f"web {i}")
    store(engine, description="the database", status="CREATE_FAILED")
    store(engine, description="someone else's", owner_subject="bob")
    r = client.get("/ui/deployments")
    assert r.text.count("data-deployment=") == 10
    assert "Page 1 of 2 (13 deployments)" in r.text
    assert "someone else" not in r.text
    r = client.get("/ui/deployments", params={"page": 1})
    assert r.text.count("data-deployment=") == 3
    r = client.get("/ui/deployments", params={"q": "database"})
    assert r.text.count("data-deployment=") == 1 and "CREATE_FAILED" in r.text
    r = client.get("/ui/deployments", params={"q": "create_failed"})
    assert r.text.count("data-deployment=") == 1


def test_details_mask_secrets_and_link_outputs(client, engine):
    dep_id = store(
        engine,
        description="vm",
        parameters={"admin_password": "s3cret-value", "num_cpus": 2},
        outputs={
            "node_ip": "127.0.0.1",
            "ssh_port": 32022,
            "ssh_account": "cloudadm",
            "endpoints": ["http://127.0.0.1:32080"],
        },
    )
    r = client.get(f"/ui/deployments/{dep_id}")
    assert r.status_code == 200
    assert "s3cret-value" not in r.text and "••••" in r.text
    assert '<a href="http://127.0.0.1:32080"' in r.text
    assert "ssh -p 32022 cloudadm@127.0.0.1" in r.text


def test_a_locked_deployment_cannot_be_deleted_from_the_page(client, engine):
    dep_id = store(engine)
    r = client.post(f"/ui/deployments/{dep_id}/lock", data={"locked": "true"})
    assert r.status_code == 200 and "Locked against deletion." in r.text
    r = client.post(f"/ui/deployments/{dep_id}/delete")
    assert r.status_code == 409 and "locked" in r.text
    client.post(f"/ui/deployments/{dep_id}/lock", data={"locked": "false"})
    r = client.post(f"/ui/deployments/{dep_id}/delete")
    assert r.status_code == 200 and "DELETE_IN_PROGRESS" in r.text


def test_retry_creates_a_new_deployment_from_the_same_request(client, engine):
    r = client.post("/ui/catalogue/run-docker", data=RUN_DOCKER, follow_redirects=False)
    first = r.headers["location"].rsplit("/", 1)[1]
    with engine.db.session() as s:
        s.get(Deployment, first).status = "CREATE_FAILED"
    r = client.post(f"/ui/deployments/{first}/retry", follow_redirects=False)
    assert r.status_code == 303
    second = r.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert second != first
    with engine.db.session() as s:
        a, b = s.get(Deployment, first), s.get(Deployment, second)
        assert b.parameters == a.parameters and b.description == a.description


def _events(lines: list[str]) -> list[tuple[str, object]]:
    out, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            out.append((event, json.loads(line[6:])))
    return out


def test_streams_send_statuses_and_log_lines(client, engine, monkeypatch):
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.3)
    r = client.post("/ui/catalogue/run-docker", data=RUN_DOCKER, follow_redirects=False)
    dep_id = r.headers["location"].rsplit("/", 1)[1]
    gone = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    with client.stream("GET", f"/ui/deployments/live?ids={dep_id},{gone}") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = _events(list(resp.iter_lines()))
    mine = [e for kind, e in events if kind == "status" and e["id"] == dep_id]
    assert mine and mine[0]["status"] == "CREATE_IN_PROGRESS" and mine[0]["site"] is None
    assert mine[0]["reason"].startswith("queued, ")  # no worker in this app: it says so
    assert ("status", {"id": gone, "gone": True}) in events
    with client.stream("GET", f"/ui/deployments/{dep_id}/stream") as resp:
        events = _events(list(resp.iter_lines()))
    logs = [d for e, d in events if e == "log"]
    assert any("CREATE_IN_PROGRESS" in str(line) for line in logs)
    states = [d for e, d in events if e == "status"]
    assert states and states[0]["status"] == "CREATE_IN_PROGRESS"
    assert states[0]["reason"].startswith("queued, ") and states[0]["site"] is None


def test_manual_scheduling_lists_the_sites_and_sends_the_choice(client, engine):
    from cumulo.engine.sites.local_site import register_site

    register_site(engine.db, "local", "docker", "unix:///nowhere", {})
    r = client.get("/ui/catalogue/run-docker")
    assert 'name="site" value="local"' in r.text
    data = {**RUN_DOCKER, "scheduling": "manual"}
    r = client.post("/ui/catalogue/run-docker", data=data)
    assert r.status_code == 400 and "Choose a site" in field_error(r.text, "site")
    r = client.post("/ui/catalogue/run-docker", data={**data, "site": "elsewhere"})
    assert r.status_code == 400 and "elsewhere" in field_error(r.text, "site")
    r = client.post(
        "/ui/catalogue/run-docker", data={**data, "site": "local"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    dep_id = r.headers["location"].rsplit("/", 1)[1]
    with engine.db.session() as s:
        assert s.get(Deployment, dep_id).requested_site == "local"


def test_admin_shows_sites_all_deployments_and_statistics(client, engine):
    from datetime import UTC, datetime, timedelta

    from cumulo.engine.sites.local_site import register_site
    from cumulo.store.models import Attempt

    register_site(engine.db, "local", "docker", "unix:///nowhere", {})
    start = datetime(2026, 3, 1, tzinfo=UTC)
    ids = [
        store(engine, description=f"d{i}", site_name="local", owner_subject=f"user{i % 2}",
              status=("CREATE_COMPLETE", "CREATE_FAILED")[i % 2],
              created_at=start + timedelta(days=i % 3))
        for i in range(6)
    ]  # fmt: skip
    with engine.db.session() as s:
        for n, dep_id in enumerate(ids):
            s.add(Attempt(deployment_id=dep_id, number=1, site_name="local", status="SUCCEEDED",
                          started_at=start, ended_at=start + timedelta(seconds=2 + n)))  # fmt: skip
    r = client.get("/ui/admin")
    assert r.status_code == 200
    assert 'data-site="local"' in r.text
    assert r.text.count('role="img"') == 4  # per day, by status, by site, latency
    assert "6 successful attempts: median 5.0 s" in r.text
    assert '<th scope="row">CREATE_FAILED</th><td>3</td>' in r.text
    r = client.get("/ui/admin/deployments")
    assert r.text.count("data-deployment=") == 6 and "user1" in r.text


def test_os_inputs_offer_the_images_of_the_groups_sites(client, engine):
    from cumulo.engine.sites.local_site import register_site

    register_site(
        engine.db, "local", "docker", "unix:///nowhere",
        {"debian": {"12": "cumulo/vm-debian:12"}, "ubuntu": {"22.04": "x/ubuntu:22.04"}},
    )  # fmt: skip
    r = client.get("/ui/catalogue/vm")
    assert '<option value="ubuntu"' in r.text and '<option value="22.04"' in r.text
    assert "12 (bookworm)" in r.text  # the catalogue's label is kept


def test_admin_lists_users_and_their_groups(client, engine):
    from cumulo.auth.accounts import add_local_user

    with engine.db.session() as s:
        add_local_user(s, "carla", "a long enough password 1", ["cms", "atlas"])
        add_local_user(s, "dino", "a long enough password 2", ["cms"])
    r = client.get("/ui/admin")
    assert 'data-user="carla"' in r.text and 'data-user="dino"' in r.text
    assert re.search(r'data-group="cms"><td>cms</td><td>2</td>', r.text)
    assert re.search(r'data-group="atlas"><td>atlas</td><td>1</td>', r.text)
