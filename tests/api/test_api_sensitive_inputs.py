"""Password-type inputs: encrypted in the database, in no API answer, planned in clear."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import unseal
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
    assert unseal(engine, stored) == params  # what the engine plans with
    for path in ("", "/template", "/log", "/resources"):
        assert SECRET not in client.get(f"/deployments/{dep_id}{path}").text
    assert SECRET not in client.get("/deployments").text
