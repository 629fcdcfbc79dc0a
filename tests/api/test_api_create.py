"""POST /deployments: the template is planned before anything is stored; bad input is a 4xx."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cumulo import catalogue
from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment, Job

RUN_DOCKER_PARAMS = {"docker_image": "cumulo/httpd", "docker_tag": "1", "docker_ports": [8080]}


def _run_docker() -> str:
    path = catalogue.find("run-docker")
    assert path is not None
    return path.read_text()


def _count(engine: Engine) -> int:
    with engine.db.session() as s:
        return s.scalar(select(func.count()).select_from(Deployment)) or 0


def _error(r: Any, code: int) -> str:
    assert r.status_code == code, r.text
    body = r.json()
    assert set(body) == {"code", "title", "message"} and body["code"] == code
    return body["message"]


def test_create_stores_the_deployment_and_a_deploy_job(client: TestClient, engine: Engine) -> None:
    r = client.post(
        "/deployments",
        json={
            "template": _run_docker(),
            "parameters": RUN_DOCKER_PARAMS,
            "keepLastAttempt": "true",
        },
    )
    assert r.status_code == 201, r.text
    dep = r.json()
    assert dep["status"] == "CREATE_IN_PROGRESS" and dep["outputs"] == {}
    assert dep["createdBy"] == {"issuer": "cumulo-local", "subject": "admin"}
    assert r.headers["location"].endswith(f"/deployments/{dep['uuid']}")
    assert client.get(f"/deployments/{dep['uuid']}/template").text == _run_docker()
    with engine.db.session() as s:
        stored = s.get(Deployment, dep["uuid"])
        assert stored is not None and stored.keep_last_attempt is True
        assert stored.parameters == RUN_DOCKER_PARAMS
        jobs = s.scalars(select(Job).where(Job.deployment_id == dep["uuid"])).all()
        assert [(j.kind, j.status) for j in jobs] == [("deploy", "PENDING")]


def test_invalid_tosca_is_400_with_located_messages(client: TestClient, engine: Engine) -> None:
    broken = _run_docker().replace(
        "      type: tosca.nodes.indigo.dockerRun", "      type: tosca.nodes.NoSuchType"
    )
    message = _error(
        client.post("/deployments", json={"template": broken, "parameters": RUN_DOCKER_PARAMS}), 400
    )
    assert "NoSuchType" in message
    assert "template.yaml:" in message  # file:line:column
    not_yaml = _error(client.post("/deployments", json={"template": "a: [b\n"}), 400)
    assert "template.yaml" in not_yaml
    assert _count(engine) == 0


def test_missing_parameter_is_400_naming_the_input(client: TestClient, engine: Engine) -> None:
    message = _error(client.post("/deployments", json={"template": _run_docker()}), 400)
    assert "docker_image" in message
    params = {**RUN_DOCKER_PARAMS, "num_cpus": -1}
    message = _error(
        client.post("/deployments", json={"template": _run_docker(), "parameters": params}), 400
    )
    assert "num_cpus" in message
    assert _count(engine) == 0


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"template": "x", "color": "blue"}, "unknown field 'color'"),
        ({"parameters": {}}, "template"),
        ({"template": "x", "timeoutMins": 0}, "timeoutMins"),
        ({"template": "x", "keepLastAttempt": "maybe"}, "keepLastAttempt"),
        ({"template": "x", "callback": "ftp://x"}, "callback"),
        (
            {"template": "x", "timeoutMins": 5, "providerTimeoutMins": 10},
            "ProviderTimeout must be <= Timeout",
        ),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_bodies_are_400(client: TestClient, engine: Engine, body: Any, word: str) -> None:
    assert word in _error(client.post("/deployments", json=body), 400)
    assert _count(engine) == 0


def test_a_body_that_is_not_json_is_415(client: TestClient) -> None:
    r = client.post("/deployments", content="template: x", headers={"content-type": "text/yaml"})
    assert "application/json" in _error(r, 415)
    r = client.post(
        "/deployments", content="{not json", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in _error(r, 400)


def test_a_post_parses_its_template_once(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's keys, the plan, the placement and the sealing read one parse."""
    parsed: list[str] = []
    load_text = engine.processor.load_text

    def counting(text: str, **kwargs: Any) -> Any:
        parsed.append(text)
        return load_text(text, **kwargs)

    monkeypatch.setattr(engine.processor, "load_text", counting)
    text = (
        "tosca_definitions_version: tosca_simple_yaml_1_3\n"
        "description: parsed once\n"
        "topology_template:\n"
        "  inputs:\n"
        "    db_password: {type: string}\n"
        "    ssh_public_key: {type: string, required: false}\n"
        "  node_templates:\n"
        "    app: {type: tosca.nodes.Root}\n"
    )
    r = client.post("/deployments", json={"template": text, "parameters": {"db_password": "pw"}})
    assert r.status_code == 201, r.text
    assert parsed == [text]
