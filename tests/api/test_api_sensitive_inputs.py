"""Password-type inputs: encrypted in the database, in no API answer, planned in clear."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from cumulo.engine.lifecycle.deploy import settle
from cumulo.engine.outputs import WITHHELD, evaluate
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal
from cumulo.engine.states import Status
from cumulo.secrets import is_encrypted
from cumulo.store.models import Deployment

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    db_password:
      type: string
    db_name:
      type: string
  node_templates:
    app:
      type: tosca.nodes.Root
      properties: {}
"""
SECRET = "Sup3r-s3cret-db-pw"


def test_password_inputs_are_sealed_and_never_answered(client: TestClient, engine: Engine) -> None:
    params = {"db_password": SECRET, "db_name": "science"}
    r = client.post("/deployments", json={"template": TEMPLATE, "parameters": params})
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    with engine.db.session() as s:
        stored = s.get(Deployment, dep_id).parameters
    assert is_encrypted(stored["db_password"]) and stored["db_name"] == "science"
    with engine.db.session() as s:
        assert unseal(engine, s.get(Deployment, dep_id)) == params  # what the engine plans with
    for path in ("", "/template", "/log", "/resources"):
        assert SECRET not in client.get(f"/deployments/{dep_id}{path}").text
    assert SECRET not in client.get("/deployments").text


OUTPUT_TEMPLATE = (
    TEMPLATE
    + """\
  outputs:
    db_password: {value: {get_input: db_password}}
    db_name: {value: {get_input: db_name}}
"""
)


def test_outputs_from_a_password_are_withheld(client: TestClient, engine: Engine) -> None:
    """``get_input`` of a password as an output: withheld in the store and every answer."""
    params = {"db_password": SECRET, "db_name": "science"}
    r = client.post("/deployments", json={"template": OUTPUT_TEMPLATE, "parameters": params})
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    plan = engine.plan(OUTPUT_TEMPLATE, params)
    outputs = evaluate(plan, {})
    assert outputs["db_password"] == SECRET  # what the engine computes...
    reason = f"the database said: bad password {SECRET}"
    settle(engine, dep_id, Status.CREATE_IN_PROGRESS, Status.CREATE_COMPLETE, reason, outputs)
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert SECRET not in json.dumps(dep.outputs) and SECRET not in dep.status_reason
    body = client.get(f"/deployments/{dep_id}").json()  # ...and what any answer shows
    assert body["outputs"] == {"db_password": WITHHELD, "db_name": "science"}
    assert SECRET not in client.get("/deployments").text


METADATA_TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    access_phrase:
      type: string
      metadata: {sensitive: true}
  node_templates:
    app:
      type: tosca.nodes.Root
"""


def test_an_input_marked_sensitive_is_sealed_whatever_its_name(
    client: TestClient, engine: Engine
) -> None:
    """The template's own word (metadata ``sensitive: true``) decides, not a form widget."""
    r = client.post(
        "/deployments",
        json={"template": METADATA_TEMPLATE, "parameters": {"access_phrase": SECRET}},
    )
    assert r.status_code == 201, r.text
    with engine.db.session() as s:
        stored = s.get(Deployment, r.json()["uuid"]).parameters
    assert is_encrypted(stored["access_phrase"])
    assert SECRET not in client.get(f"/deployments/{r.json()['uuid']}").text
