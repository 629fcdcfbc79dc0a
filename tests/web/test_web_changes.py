"""Changing a deployment from its page: update, force delete, reset, start/stop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from test_web_pages import RUN_DOCKER, field_error, store

from cumulo.engine.runtime import Engine
from cumulo.store.models import Deployment, Job, Resource


def created(client, engine: Engine, status: str = "CREATE_COMPLETE") -> str:
    r = client.post("/ui/catalogue/run-docker", data=RUN_DOCKER, follow_redirects=False)
    dep_id = r.headers["location"].rsplit("/", 1)[1]
    with engine.db.session() as s:
        s.get(Deployment, dep_id).status = status
    return dep_id


def test_update_offers_only_the_updatable_inputs_with_their_current_values(client, engine):
    dep_id = created(client, engine)
    page = client.get(f"/ui/deployments/{dep_id}").text
    panel = page[page.index('id="panel-update"') :]
    assert 'name="p.environment_variables.key"' in panel and 'value="GREETING"' in panel
    assert 'name="p.docker_image"' not in panel  # not updatable
    r = client.post(
        f"/ui/deployments/{dep_id}/update",
        data={"p.environment_variables.key": ["GREETING", "MORE"],
              "p.environment_variables.value": ["bonjour", "x"]},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep.status == "UPDATE_IN_PROGRESS"
        assert dep.parameters["environment_variables"] == {"GREETING": "bonjour", "MORE": "x"}
        assert dep.parameters["docker_image"] == "cumulo/httpd"  # kept


def test_a_refused_update_comes_back_with_the_message_on_the_update_tab(client, engine):
    dep_id = created(client, engine)
    r = client.post(
        f"/ui/deployments/{dep_id}/update",
        data={
            "p.environment_variables.key": ["A", "A"],
            "p.environment_variables.value": ["1", "2"],
        },
    )
    assert r.status_code == 400
    assert field_error(r.text, "environment_variables") == "The name &#39;A&#39; is given twice"
    assert re.search(r'id="tab-update"[^>]*data-open', r.text)
    r = client.post(f"/ui/deployments/{created(client, engine, 'CREATE_IN_PROGRESS')}/update")
    assert r.status_code == 409


def test_reset_of_a_stuck_delete_then_force_delete(client, engine):
    stuck_since = datetime.now(UTC) - timedelta(hours=1)
    dep_id = store(engine, status="DELETE_IN_PROGRESS", updated_at=stuck_since)
    page = client.get(f"/ui/deployments/{dep_id}").text
    assert "Reset the stuck delete" in page and "Force delete" in page
    r = client.post(f"/ui/deployments/{dep_id}/reset")
    assert r.status_code == 200 and "The stuck delete was reset." in r.text
    assert "DELETE_FAILED" in r.text
    r = client.post(f"/ui/deployments/{dep_id}/force-delete", follow_redirects=False)
    assert r.status_code == 303
    with engine.db.session() as s:
        assert s.get(Deployment, dep_id).status == "DELETE_IN_PROGRESS"
        assert s.query(Job).filter_by(deployment_id=dep_id).count() == 1


def test_stop_a_compute_resource(
    client,
    engine,
):
    from cumulo import catalogue

    template = catalogue.find("vm").read_text()
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOl3uBNUq0Bz0uG7pGZCjY2s0kCq0p4Vj1g9iYp9A3Zb me@h"
    dep_id = store(engine, template=template, parameters={"ssh_public_key": key})
    with engine.db.session() as s:
        res = Resource(deployment_id=dep_id, node_name="server", node_index=0,
                       node_type="tosca.nodes.indigo.Compute", state="CONFIGURED")  # fmt: skip
        s.add(res)
        res_id = res.id
    page = client.get(f"/ui/deployments/{dep_id}").text
    assert f"/resources/{res_id}/stop" in page
    r = client.post(f"/ui/deployments/{dep_id}/resources/{res_id}/stop")
    assert r.status_code == 200 and "Stop requested." in r.text
    with engine.db.session() as s:
        assert s.get(Resource, res_id).state == "STOPPING"
    r = client.post(f"/ui/deployments/{dep_id}/resources/{res_id}/explode")
    assert r.status_code == 400 and "start" in r.text
