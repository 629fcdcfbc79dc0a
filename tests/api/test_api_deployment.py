"""One deployment: show, template, log, resources, delete; 404/409 shapes; root endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from cumulo.engine.runtime import Engine
from cumulo.store.models import Job


def test_unknown_deployment_is_indigos_404(client: TestClient) -> None:
    for path in ("", "/template", "/log", "/resources", "/resources/r1"):
        r = client.get(f"/deployments/nope{path}")
        assert r.status_code == 404, path
        assert r.json() == {
            "code": 404,
            "title": "Not Found",
            "message": "The deployment <nope> doesn't exist",
        }
    assert client.delete("/deployments/nope").status_code == 404


def test_template_is_returned_as_submitted(client: TestClient, make_deployments) -> None:
    (dep_id,) = make_deployments(1)
    r = client.get(f"/deployments/{dep_id}/template")
    assert r.status_code == 200 and r.text == "# template 0\n"
    assert r.headers["content-type"].startswith("text/plain")


def test_resources_paged_with_type_filter(
    client: TestClient, make_deployments, add_resource
) -> None:
    (dep_id,) = make_deployments(1)
    vm = add_resource(dep_id, "server", "tosca.nodes.indigo.Compute", physical_id="c1")
    add_resource(dep_id, "app", "tosca.nodes.indigo.dockerRun", required_by=["x"])
    body = client.get(f"/deployments/{dep_id}/resources").json()
    assert body["page"]["totalElements"] == 2
    body = client.get(
        f"/deployments/{dep_id}/resources", params={"type": "tosca.nodes.indigo.Compute"}
    ).json()
    (res,) = body["content"]
    assert res["uuid"] == vm and res["toscaNodeName"] == "server"
    assert res["state"] == "INITIAL" and res["physicalId"] == "c1" and res["requiredBy"] == []
    assert {link["rel"] for link in res["links"]} == {"deployment", "self"}
    assert "type=tosca.nodes.indigo.Compute" in body["links"][0]["href"]
    one = client.get(f"/deployments/{dep_id}/resources/{vm}").json()
    assert one["uuid"] == vm
    r = client.get(f"/deployments/{dep_id}/resources/other")
    assert r.status_code == 404 and "other" in r.json()["message"]


def test_resource_metadata_never_shows_credentials(
    client: TestClient, make_deployments, add_resource
) -> None:
    (dep_id,) = make_deployments(1)
    rid = add_resource(
        dep_id, "server", "T", attributes={"ssh_port": 2222, "credential": {"token": "s3cr3t"}}
    )
    res = client.get(f"/deployments/{dep_id}/resources/{rid}").json()
    assert res["metadata"]["attributes"] == {"ssh_port": 2222}
    assert "s3cr3t" not in str(res)


def test_delete_marks_in_progress_enqueues_and_refuses_twice(
    client: TestClient, engine: Engine, make_deployments
) -> None:
    (dep_id,) = make_deployments(1)
    r = client.delete(f"/deployments/{dep_id}")
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"/deployments/{dep_id}").json()["status"] == "DELETE_IN_PROGRESS"
    with engine.db.session() as s:
        jobs = s.scalars(select(Job).where(Job.deployment_id == dep_id)).all()
        assert [(j.kind, j.status) for j in jobs] == [("delete", "PENDING")]
    again = client.delete(f"/deployments/{dep_id}")
    assert again.status_code == 409
    assert again.json() == {
        "code": 409,
        "title": "Conflict",
        "message": "Deployment already in DELETE_IN_PROGRESS state.",
    }
    log = client.get(f"/deployments/{dep_id}/log").text
    assert "CREATE_COMPLETE -> DELETE_IN_PROGRESS" in log


def test_root_info_configuration_and_openapi(client: TestClient) -> None:
    assert client.get("/").status_code == 200 and "cumulo" in client.get("/").text
    assert client.get("/info").json()["build"]["version"]
    assert "sites" in client.get("/configuration").json()
    spec = client.get("/openapi.json").json()
    assert "/deployments" in spec["paths"] and "/deployments/{dep_id}/resources" in spec["paths"]
    body = spec["paths"]["/deployments"]["post"]["requestBody"]["content"]["application/json"]
    assert "template" in body["schema"]["properties"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and set(r.json()) == {"code", "title", "message"}
    r = client.patch("/")
    assert r.status_code == 405 and r.json()["code"] == 405


def test_a_locked_deployment_is_not_deleted_until_unlocked(client, engine, make_deployments):
    from cumulo.auth.identity import LOCAL_ADMIN
    from cumulo.engine.requests.deployments import set_locked

    (dep_id,) = make_deployments(1)
    set_locked(engine, dep_id, LOCAL_ADMIN, True)
    r = client.delete(f"/deployments/{dep_id}")
    assert r.status_code == 409 and "locked" in r.json()["message"]
    assert client.get(f"/deployments/{dep_id}").json()["status"] == "CREATE_COMPLETE"
    set_locked(engine, dep_id, LOCAL_ADMIN, False)
    assert client.delete(f"/deployments/{dep_id}").status_code == 204
