"""PUT, PATCH, DELETE ?force, resource actions, /extrainfo and the event stream, on both databases.

No workers run here: the tests check what each request stores (status, job,
marks) and how bad requests are answered; the jobs themselves are tested in
tests/engine on the real Docker engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.engine.states import Status, set_deployment_status
from cumulo.store.models import Deployment, Event, Job, Resource

SCALABLE = (Path(__file__).parents[1] / "engine" / "data" / "scalable.yaml").read_text()


def _created(client: TestClient, template: str, params: dict | None = None) -> str:
    r = client.post("/deployments", json={"template": template, "parameters": params or {}})
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def _set_status(engine: Engine, dep_id: str, *statuses: Status) -> None:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        for st in statuses:
            set_deployment_status(s, dep, st)


def _jobs(engine: Engine, dep_id: str) -> list[str]:
    with engine.db.session() as s:
        return list(s.scalars(select(Job.kind).where(Job.deployment_id == dep_id).order_by(Job.id)))


@pytest.fixture
def complete(client: TestClient, engine: Engine) -> str:
    dep_id = _created(client, SCALABLE, {"n": 1, "greeting": "hi"})
    _set_status(engine, dep_id, Status.CREATE_COMPLETE)
    return dep_id


def test_put_merges_parameters_and_queues_the_update(
    client: TestClient, engine: Engine, complete: str
) -> None:
    r = client.put(f"/deployments/{complete}", json={"parameters": {"n": 2}})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "UPDATE_IN_PROGRESS"
    with engine.db.session() as s:
        dep = s.get(Deployment, complete)
        assert dep is not None and dep.parameters == {"n": 2, "greeting": "hi"}
    assert _jobs(engine, complete) == ["deploy", "update"]
    # A second update while this one runs: 409, and nothing queued.
    r = client.put(f"/deployments/{complete}", json={"parameters": {"n": 3}})
    assert r.status_code == 409
    assert "UPDATE_IN_PROGRESS" in r.json()["message"]
    assert _jobs(engine, complete) == ["deploy", "update"]


def test_put_is_refused_while_creating_and_on_bad_input(
    client: TestClient, engine: Engine, complete: str
) -> None:
    creating = _created(client, SCALABLE)
    r = client.put(f"/deployments/{creating}", json={"parameters": {"n": 2}})
    assert r.status_code == 409 and "CREATE_IN_PROGRESS" in r.json()["message"]
    r = client.put(f"/deployments/{complete}", json={"parameters": {"n": "many"}})
    assert r.status_code == 400 and "n" in r.json()["message"]
    r = client.put(f"/deployments/{complete}", json={"parametres": {}})
    assert r.status_code == 400 and "parametres" in r.json()["message"]
    r = client.put(f"/deployments/{complete}", json={"userGroup": "g"})
    assert r.status_code == 400 and "userGroup" in r.json()["message"]
    r = client.put(f"/deployments/{complete}", json={"callback": "http://169.254.169.254/"})
    assert r.status_code == 400 and r.json()["message"].startswith("callback: not reachable")
    r = client.put(
        f"/deployments/{complete}", content="n=2", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415
    assert client.put("/deployments/nope", json={}).status_code == 404
    with engine.db.session() as s:
        dep = s.get(Deployment, complete)
        assert dep is not None and dep.status == "CREATE_COMPLETE"


def test_patch_resets_a_stuck_delete_only(
    client: TestClient, engine: Engine, complete: str
) -> None:
    r = client.patch(f"/deployments/{complete}", json={"status": "DELETE_FAILED"})
    assert r.status_code == 409 and "DELETE_IN_PROGRESS" in r.json()["message"]
    assert client.delete(f"/deployments/{complete}").status_code == 204
    r = client.patch(f"/deployments/{complete}", json={"status": "CREATE_COMPLETE"})
    assert r.status_code == 400 and "DELETE_FAILED" in r.json()["message"]
    r = client.patch(f"/deployments/{complete}", json={"status": "DELETE_FAILED"})
    assert r.status_code == 204
    body = client.get(f"/deployments/{complete}").json()
    assert body["status"] == "DELETE_FAILED" and "reset" in body["statusReason"]
    # DELETE retries it.
    assert client.delete(f"/deployments/{complete}").status_code == 204
    assert _jobs(engine, complete) == ["deploy", "delete", "delete"]


def test_delete_with_force_queues_a_forced_delete(
    client: TestClient, engine: Engine, complete: str
) -> None:
    assert client.delete(f"/deployments/{complete}", params={"force": "true"}).status_code == 204
    assert _jobs(engine, complete)[-1] == "force-delete"
    r = client.delete(f"/deployments/{complete}", params={"force": "true"})
    assert r.status_code == 409


def test_start_stop_actions_on_compute_resources(
    client: TestClient, engine: Engine, complete: str, add_resource
) -> None:
    vm = add_resource(complete, "server", "tosca.nodes.indigo.Compute", state="CONFIGURED")
    app = add_resource(complete, "app", "tosca.nodes.indigo.dockerRun", state="CONFIGURED")
    url = f"/deployments/{complete}/resources"
    r = client.post(f"{url}/{app}/actions", json={"type": "stop"})
    assert r.status_code == 400 and "compute" in r.json()["message"]
    r = client.post(f"{url}/{vm}/actions", json={"type": "reboot"})
    assert r.status_code == 400 and "reboot" in r.json()["message"]
    assert client.post(f"{url}/nope/actions", json={"type": "stop"}).status_code == 404
    r = client.post(f"{url}/{vm}/actions", json={"type": "start"})
    assert r.status_code == 202  # already running: nothing to do
    assert client.get(f"{url}/{vm}").json()["state"] == "CONFIGURED"
    assert "action" not in _jobs(engine, complete)
    r = client.post(f"{url}/{vm}/actions", json={"type": "stop"})
    assert r.status_code == 202
    assert client.get(f"{url}/{vm}").json()["state"] == "STOPPING"
    assert _jobs(engine, complete)[-1] == "action"
    # While the deployment is busy, no action.
    _set_status(engine, complete, Status.UPDATE_IN_PROGRESS)
    assert client.post(f"{url}/{vm}/actions", json={"type": "stop"}).status_code == 409


def test_extrainfo_lists_made_nodes_without_secrets(
    client: TestClient, complete: str, add_resource
) -> None:
    attrs = {"ssh_port": 2222, "endpoint": {"credential": {"user": "u", "token": "s3cr3t"}}}
    add_resource(
        complete, "server", "tosca.nodes.indigo.Compute", physical_id="c1", attributes=attrs
    )
    add_resource(complete, "app", "tosca.nodes.indigo.dockerRun")  # not made: not listed
    r = client.get(f"/deployments/{complete}/extrainfo")
    assert r.status_code == 200
    (vm,) = r.json()
    assert vm["physicalId"] == "c1" and vm["toscaNodeName"] == "server"
    assert vm["vmProperties"]["ssh_port"] == 2222
    assert vm["vmProperties"]["endpoint"]["credential"] == {"user": "u"}
    assert "s3cr3t" not in r.text
    assert client.get("/deployments/nope/extrainfo").status_code == 404


def _sse(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
        )
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_stream_sends_the_log_then_ends_at_a_final_status(
    client: TestClient, engine: Engine, complete: str
) -> None:
    with client.stream("GET", f"/deployments/{complete}/stream") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        messages = _sse(r.read().decode())
    kinds = [k for k, _ in messages]
    assert kinds[-1] == "end" and messages[-1][1] == {"status": "CREATE_COMPLETE"}
    events = [d for k, d in messages if k != "end"]
    log = client.get(f"/deployments/{complete}/log").text.splitlines()
    assert [e["line"] for e in events] == log
    assert events[-1]["message"] == "status CREATE_IN_PROGRESS -> CREATE_COMPLETE"
    # Resuming after an event id sends only what follows it.
    with client.stream(
        "GET", f"/deployments/{complete}/stream", headers={"Last-Event-ID": str(events[0]["id"])}
    ) as r:
        again = [d for k, d in _sse(r.read().decode()) if k != "end"]
    assert [e["id"] for e in again] == [e["id"] for e in events[1:]]
    assert client.get("/deployments/nope/stream").status_code == 404


def test_a_final_status_queues_a_callback_notice(client: TestClient, engine: Engine) -> None:
    template = catalogue.find("run-docker")
    assert template is not None
    r = client.post(
        "/deployments",
        json={
            "template": template.read_text(),
            "parameters": {"docker_image": "x"},
            "callback": "https://hooks.example.org/hook",  # not sent: no workers
        },
    )
    dep_id = r.json()["uuid"]
    _set_status(engine, dep_id, Status.CREATE_FAILED)
    with engine.db.session() as s:
        from cumulo.store.models import Callback

        (cb,) = s.scalars(select(Callback).where(Callback.deployment_id == dep_id))
        assert cb.url == "https://hooks.example.org/hook" and cb.status == "PENDING"
        assert cb.payload["uuid"] == dep_id and cb.payload["status"] == "CREATE_FAILED"
        assert s.scalars(select(Event).where(Event.deployment_id == dep_id)).first() is not None
        assert s.scalars(select(Resource).where(Resource.deployment_id == dep_id)).all() == []
