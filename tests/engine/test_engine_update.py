"""Updates on the real Docker engine: scale by count and removal_list, change, remove a node.

What did not change is left untouched: the same container id before and after.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import labelled, run_next_job
from sqlalchemy import select

from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.engine.requests.changes import DeploymentUpdate, request_update
from cumulo.engine.requests.deployments import NewDeployment, create_deployment, request_delete
from cumulo.engine.runtime import Engine
from cumulo.errors import Conflict, ToscaError
from cumulo.store.models import Deployment, Resource

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parent / "data"
TEMPLATE = (DATA / "scalable.yaml").read_text()


def _resources(engine: Engine, dep_id: str) -> dict[tuple[str, int], tuple[str, str | None]]:
    with engine.db.session() as s:
        rows = s.scalars(select(Resource).where(Resource.deployment_id == dep_id)).all()
        return {(r.node_name, r.node_index): (r.state, r.physical_id) for r in rows}


def _status(engine: Engine, dep_id: str) -> tuple[str, str | None, dict[str, Any]]:
    with engine.db.session() as s:
        dep = s.get(Deployment, dep_id)
        assert dep is not None
        return dep.status, dep.status_reason, dict(dep.outputs or {})


def _update(engine: Engine, dep_id: str, **change: Any) -> None:
    request_update(engine, dep_id, DeploymentUpdate(**change), LOCAL_ADMIN)
    run_next_job(engine)
    status, reason, _ = _status(engine, dep_id)
    assert status == "UPDATE_COMPLETE", reason


@pytest.fixture
def deployment(engine: Engine):  # type: ignore[no-untyped-def]
    dep = create_deployment(engine, NewDeployment(TEMPLATE, {"n": 1}), LOCAL_ADMIN)
    try:
        # An update is refused while the create is in progress.
        with pytest.raises(Conflict):
            request_update(engine, dep.id, DeploymentUpdate(parameters={"n": 2}), LOCAL_ADMIN)
        run_next_job(engine)
        status, reason, _ = _status(engine, dep.id)
        assert status == "CREATE_COMPLETE", reason
        yield dep.id
    finally:
        with engine.db.session() as s:
            exists = s.get(Deployment, dep.id) is not None
        if exists:
            request_delete(engine, dep.id, LOCAL_ADMIN)
            run_next_job(engine, "cleaner")
        assert labelled(dep.id) == []


def test_scale_out_and_in_leaves_unchanged_nodes_untouched(engine: Engine, deployment: str) -> None:
    before = _resources(engine, deployment)
    assert set(before) == {("server", 0), ("app", 0)}

    _update(engine, deployment, parameters={"n": 2})
    grown = _resources(engine, deployment)
    assert set(grown) == {("server", 0), ("server", 1), ("app", 0)}
    assert grown[("server", 0)] == before[("server", 0)]  # same container
    assert grown[("app", 0)] == before[("app", 0)]
    assert grown[("server", 1)][0] == "CONFIGURED"
    assert sorted(labelled(deployment)) == sorted(pid for _, pid in grown.values())
    _, _, outputs = _status(engine, deployment)
    assert len(outputs["servers"]) == 2 and all(outputs["servers"])

    # Scale in, naming the first server in removal_list: the second one stays.
    with engine.db.session() as s:
        first = s.scalars(
            select(Resource.id).where(
                Resource.deployment_id == deployment,
                Resource.node_name == "server",
                Resource.node_index == 0,
            )
        ).one()
    _update(engine, deployment, parameters={"n": 1, "removal": [first]})
    shrunk = _resources(engine, deployment)
    assert set(shrunk) == {("server", 1), ("app", 0)}
    assert shrunk[("server", 1)] == grown[("server", 1)]
    assert shrunk[("app", 0)] == before[("app", 0)]
    assert sorted(labelled(deployment)) == sorted(pid for _, pid in shrunk.values())
    # The parameters were merged over the stored ones.
    with engine.db.session() as s:
        dep = s.get(Deployment, deployment)
        assert dep is not None and dep.parameters == {"n": 1, "removal": [first]}


def test_a_changed_property_remakes_only_that_node_and_a_removed_node_goes(
    engine: Engine, deployment: str
) -> None:
    before = _resources(engine, deployment)
    _update(engine, deployment, parameters={"greeting": "bonjour"})
    after = _resources(engine, deployment)
    assert after[("server", 0)] == before[("server", 0)]
    assert after[("app", 0)][1] != before[("app", 0)][1]  # made again
    env = _container_env(after[("app", 0)][1])
    assert "GREETING=bonjour" in env

    _update(engine, deployment, template=(DATA / "scalable-without-app.yaml").read_text())
    final = _resources(engine, deployment)
    assert set(final) == {("server", 0)}
    assert final[("server", 0)] == before[("server", 0)]
    assert labelled(deployment) == [before[("server", 0)][1]]
    _, _, outputs = _status(engine, deployment)
    assert "ports" not in outputs


def test_bad_parameters_are_refused_and_change_nothing(engine: Engine, deployment: str) -> None:
    with pytest.raises(ToscaError) as err:
        request_update(engine, deployment, DeploymentUpdate(parameters={"n": "many"}), LOCAL_ADMIN)
    assert "n" in str(err.value)
    status, _, _ = _status(engine, deployment)
    assert status == "CREATE_COMPLETE"


def test_two_updates_at_once_one_wins_the_other_gets_409(engine: Engine, deployment: str) -> None:
    results: list[str] = []
    barrier = threading.Barrier(2)

    def update(n: int) -> None:
        barrier.wait()
        try:
            request_update(engine, deployment, DeploymentUpdate(parameters={"n": n}), LOCAL_ADMIN)
            results.append("accepted")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=update, args=(n,)) for n in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["accepted", "conflict"]
    run_next_job(engine)
    status, reason, _ = _status(engine, deployment)
    assert status == "UPDATE_COMPLETE", reason


def _container_env(physical_id: str | None) -> list[str]:
    import subprocess

    assert physical_id
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{json .Config.Env}}", physical_id],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    import json

    return json.loads(out.stdout)
