"""Spark + Jupyter cluster end to end: the catalogue's ``spark-jupyter`` with two
workers on the real Docker engine through a real server. The master's web UI lists
both workers ALIVE; the owner's notebook, in the PySpark kernel, runs a job whose
tasks ran on both workers (the executors' addresses are the workers' own); delete
leaves no container, volume or network."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest
from e2e_helpers import (
    build_optional_image,
    cell_result,
    create_deployment,
    delete_and_wait_gone,
    labelled,
    wait_final,
)
from hub_session import HubSession

from cumulo.drivers.docker_images import VM_SPARK_12

pytestmark = [pytest.mark.e2e, pytest.mark.service]

# In the PySpark kernel `sc` is ready, on the cluster: where each task ran.
JOB_CELL = """
import json, socket
where = (sc.parallelize(range(1000), 8)
         .map(lambda x: socket.gethostbyname(socket.gethostname()))
         .distinct().collect())
print("RESULT", json.dumps({"master": sc.master, "where": sorted(where)}))
"""


@pytest.fixture(scope="session")
def spark_image() -> None:
    """The Spark image, built once per run (idempotent: a no-op when up to date)."""
    build_optional_image("spark", VM_SPARK_12)


def test_a_notebook_job_runs_on_both_workers(server: str, spark_image: None) -> None:
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "slave_num": 2, "storage_size": "1 GB"}
    dep_id = create_deployment(server, "spark-jupyter", params)
    try:
        dep = wait_final(server, dep_id, timeout=600)
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        out = dep["outputs"]
        assert out["spark_master_endpoint"].startswith("http://127.0.0.1:")
        master = httpx.get(out["spark_master_endpoint"].rstrip("/") + "/json/", timeout=30).json()
        alive = [w for w in master["workers"] if w["state"] == "ALIVE"]
        assert len(alive) == 2 and master["aliveworkers"] == 2, master
        # each offers its node's limits: slave_cpus 1, slave_mem 2 GB less 768 MiB
        assert all(w["cores"] == 1 and 1000 < w["memory"] <= 2048 - 768 for w in alive), alive
        workers = sorted(w["host"] for w in alive)
        assert len(set(workers)) == 2

        owner = HubSession(out["jupyter_endpoint"], out["jupyter_user"])
        assert owner.login(password)
        owner.start_server(timeout=180)
        output = owner.run_cell(JOB_CELL, timeout=240, kernel_name="pyspark")
        result = json.loads(cell_result(output))
        assert result["master"] == out["spark_master_url"]
        assert result["where"] == workers  # every worker ran tasks, and only workers did
        owner.close()
        # the application the notebook ran is the master's
        master = httpx.get(out["spark_master_endpoint"].rstrip("/") + "/json/", timeout=30).json()
        apps = master["activeapps"] + master["completedapps"]
        assert any(a["name"] == f"notebook of {out['jupyter_user']}" for a in apps), apps
    finally:
        delete_and_wait_gone(server, dep_id, timeout=180)
    for kind in ("container", "volume", "network"):
        assert labelled(kind, dep_id) == [], kind


def test_executors_larger_than_a_worker_fail_the_create_saying_so(
    server: str, spark_image: None
) -> None:
    params = {"jupyter_password": secrets.token_urlsafe(12), "slave_num": 1,
              "spark_executor_mem": "4 GB", "storage_size": "1 GB"}  # fmt: skip
    dep_id = create_deployment(server, "spark-jupyter", params)
    try:
        dep = wait_final(server, dep_id, timeout=600)
        assert dep["status"] == "CREATE_FAILED"
        reason = dep["statusReason"]
        assert "spark_executor_mem (4096 MiB) is more than a worker offers (" in reason
    finally:
        delete_and_wait_gone(server, dep_id, timeout=180)
    for kind in ("container", "volume", "network"):
        assert labelled(kind, dep_id) == [], kind
