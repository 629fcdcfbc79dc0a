"""Bounds on what a request may ask (issue 11, classes 5 and 11), at the API: every body is read
within limits and refused by field, numbers fit 64 bits and sane maxima, count bombs are refused
at POST, listing pages load no template, and an unexpected error is a JSON 500 on a connection
that stays open."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import InvalidRequestError

from cumulo.api.errors import JsonServerErrors, install_error_handlers
from cumulo.api.json_body import MAX_BODY_BYTES, MAX_DEPTH
from cumulo.auth.testing import create_api_user
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.local_site import register_site
from cumulo.server import build_app
from cumulo.store.deployment_queries import DeploymentFilter, page_of_deployments
from cumulo.store.models import Deployment

TEMPLATE = """tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
topology_template:
  inputs:
    n: {type: integer, default: 1}
    env: {type: map, default: {}, entry_schema: {type: string}}
  node_templates:
    vm:
      type: tosca.nodes.indigo.Compute
      capabilities:
        scalable:
          properties: {count: { get_input: n }}
    app:
      type: tosca.nodes.indigo.dockerRun
      properties:
        docker_image: cumulo/httpd
        environment_variables: { get_input: env }
"""


def post_raw(client: TestClient, raw: str | bytes, path: str = "/deployments") -> Any:
    return client.post(path, content=raw, headers={"Content-Type": "application/json"})


def message(r: Any) -> str:
    body = r.json()
    assert set(body) == {"code", "title", "message"}, body
    return body["message"]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"template": TEMPLATE, "timeoutMins": 2**63}, 400, "timeoutMins: the integer"),
        ({"template": TEMPLATE, "providerTimeoutMins": 2**70}, 400, "providerTimeoutMins"),
        ({"template": TEMPLATE, "maxProvidersRetry": 2**63}, 400, "maxProvidersRetry"),
        ({"template": TEMPLATE, "timeoutMins": 2**62}, 400, "timeoutMins: Input should be less"),
        ({"template": TEMPLATE, "maxProvidersRetry": 1000}, 400, "maxProvidersRetry"),
        ({"template": TEMPLATE, "parameters": {"n": -(2**64)}}, 400, "parameters.n: the integer"),
        ({"template": TEMPLATE, "parameters": {"env": {"A": "a\x00"}}}, 400, "parameters.env.A"),
        ({"template": TEMPLATE, "parameters": {"n": 300}}, 400, "over the limit of 200"),
        ({"template": TEMPLATE, "userGroup": "g" * 300}, 400, "userGroup"),
    ],
)
def test_bodies_out_of_bounds_are_a_400_naming_the_field(
    client: TestClient, body: dict[str, Any], status: int, expected: str
) -> None:
    r = client.post("/deployments", json=body)
    assert r.status_code == status, r.text
    assert expected in message(r)
    assert client.get("/deployments").json()["page"]["totalElements"] == 0


def test_the_same_body_within_bounds_is_accepted(client: TestClient) -> None:
    body = {"template": TEMPLATE, "parameters": {"n": 199, "env": {"A": "tab\tand\nlines"}}}
    r = client.post("/deployments", json={**body, "timeoutMins": 60, "maxProvidersRetry": 3})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 2_000, 200_000])
def test_nesting_is_measured_before_parsing(client: TestClient, depth: int) -> None:
    nested = '{"a": ' * depth + "1" + "}" * depth
    raw = f'{{"template": {json.dumps(TEMPLATE)}, "parameters": {{"env": {nested}}}}}'
    r = post_raw(client, raw)
    assert (
        r.status_code == 400 and message(r) == f"parameters: nested deeper than {MAX_DEPTH} levels"
    )
    # a bracket inside a string is text, not nesting
    fine = {"template": TEMPLATE, "parameters": {"env": {"A": "[" * 5000}}}
    assert client.post("/deployments", json=fine).status_code == 201


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_a_400(client: TestClient, number: str) -> None:
    r = post_raw(client, f'{{"template": "x", "parameters": {{"n": {number}}}}}')
    assert r.status_code == 400 and message(r) == "parameters.n: not a finite number"


def test_a_body_over_the_limit_is_a_413(client: TestClient) -> None:
    r = post_raw(client, b'{"template": "' + b"x" * MAX_BODY_BYTES + b'"}')
    assert r.status_code == 413 and str(MAX_BODY_BYTES) in message(r)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/deployments/some-id"),
        ("PATCH", "/deployments/some-id"),
        ("POST", "/deployments/some-id/resources/r/actions"),
        ("POST", "/users/me/keys"),
        ("POST", "/sites"),
        ("POST", "/scheduling"),
    ],
)
def test_every_body_taking_route_has_the_same_bounds(
    client: TestClient, method: str, path: str
) -> None:
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    r = client.request(method, path, content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested deeper" in message(r), r.text
    r = client.request(method, path, content='{"x": "\\u0000"}',
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400 and message(r).startswith("x: holds the character U+0000")


def test_the_instance_limit_is_a_setting(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path, max_instances_per_deployment=3))
    admin = create_api_user(engine.db, "admin", (), engine.settings.admin_group, admin=True)
    with TestClient(build_app(engine.settings, engine=engine, workers=0)) as c:
        c.headers.update(admin.headers)
        over = c.post("/deployments", json={"template": TEMPLATE, "parameters": {"n": 4}})
        assert over.status_code == 400
        assert "asks for 5 instances ('vm' count 4, 'app' count 1), over the limit of 3" in message(
            over
        )
        ok = c.post("/deployments", json={"template": TEMPLATE, "parameters": {"n": 2}})
        assert ok.status_code == 201, ok.text
    engine.close()


def test_a_listing_page_loads_no_template(engine: Engine, make_deployments: Any) -> None:
    make_deployments(3)
    with engine.db.session() as s:
        rows, total = page_of_deployments(s, DeploymentFilter(), 0, 10, "created_at", True)
        assert total == 3 and rows[0].status == "CREATE_COMPLETE"
        for name in ("template", "parameters", "scheduling"):
            with pytest.raises(InvalidRequestError):
                getattr(rows[0], name)


@pytest.fixture
def failing_server() -> Iterator[int]:
    """A real uvicorn serving a route that raises, with the API's error handling."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(JsonServerErrors)

    @app.get("/boom")
    def boom() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {"ok": "yes"}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(10)


def _exchange(sock: socket.socket, path: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
                 .split(b":")[1])  # fmt: skip
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_an_unexpected_error_is_a_json_500_on_a_connection_kept_open(failing_server: int) -> None:
    with socket.create_connection(("127.0.0.1", failing_server), timeout=10) as sock:
        first = _exchange(sock, "/boom")
        assert first.startswith(b"HTTP/1.1 500") and b"connection: close" not in first.lower()
        body = json.loads(first.partition(b"\r\n\r\n")[2])
        assert body == {"code": 500, "title": "Internal Server Error",
                        "message": "internal error: OverflowError"}  # fmt: skip
        assert _exchange(sock, "/ok").startswith(b"HTTP/1.1 200")  # the same connection


SIZED = TEMPLATE.replace(
    "          properties: {count: { get_input: n }}\n",
    "          properties: {count: { get_input: n }}\n"
    "        host:\n          properties: {num_cpus: { get_input: cpus }}\n",
).replace("    n: {type: integer, default: 1}\n", "    n: {type: integer, default: 1}\n"
          "    cpus: {type: float, default: 1}\n")  # fmt: skip


def test_a_size_past_every_sites_quota_is_a_400_at_post_and_at_put(
    client: TestClient, engine: Engine
) -> None:
    register_site(engine.db, "local", "docker", "unix:///nowhere", {}, quotas={"cores": 8})
    r = client.post("/deployments", json={"template": SIZED, "parameters": {"cpus": 1e308}})
    assert r.status_code == 400
    assert "local: site quota cores: 1e+308 asked > 8 (node 'vm'" in message(r)
    r = client.post("/deployments", json={"template": SIZED, "parameters": {"cpus": 2}})
    assert r.status_code == 201, r.text
    with engine.db.session() as s:  # as if its deploy job had finished
        s.get(Deployment, r.json()["uuid"]).status = "CREATE_COMPLETE"
    put = client.put(f"/deployments/{r.json()['uuid']}", json={"parameters": {"n": 5}})
    assert put.status_code == 400 and "cores: 10 asked > 8" in message(put)
