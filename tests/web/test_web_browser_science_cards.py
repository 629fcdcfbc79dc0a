"""The science cards' forms in a real browser, filled with values other than the defaults
(issues 16 and 17, item 7), deployed on the local site to CREATE_COMPLETE, each changed value
seen where it acts, then deleted from the list, leaving nothing on the Docker engine.

- ML-INFN: another password, CPUs, memory, volume size, monitoring: the node's limits are
  the form's, the hub lets the owner in with the password, a cell trains a scikit-learn model.
- CYGNO: the experiment's image typed in the form (the local ML image): the node runs it and
  a cell imports scikit-learn from it.
- Spark + Jupyter: one worker with 2 CPUs and 3 GB, a bigger master and executors: the
  master's /json lists one worker offering those; the hub lets the owner in.

The optional images (ml, spark) come from the end-to-end tests' own fixtures: built once per
run when missing or stale.
"""

from __future__ import annotations

import json
import secrets

import httpx
from browser import screenshot
from test_web_browser import (  # noqa: F401  (the module's fixtures, shared; tests/e2e on the path)
    browser,
    containers_of,
    made,
    page,
    server,
    sink,
)
from test_web_browser_cards import api_view, change_the_deployment_options, deployed
from test_web_browser_forms import delete_from_the_list, docker_objects_of, inspect

# isort: split
from e2e_helpers import cell_result
from hub_session import HubSession
from test_ml_notebooks import SKLEARN_CELL, ml_image  # noqa: F401  (the build fixture, shared)
from test_spark import spark_image  # noqa: F401  (the build fixture, shared)

from cumulo.drivers.docker_images import VM_JUPYTER_ML_12, VM_SPARK_12

GB = 1_000_000_000
MIB = 2**20
WORKER_OWN_MIB = 768  # what a Spark worker keeps for itself (spark-jupyter.yaml, slave_mem)


def fill_jupyter_tab(pg, password: str) -> None:
    pg.get_by_role("tab", name="Jupyter", exact=True).click()
    pg.fill("#f-jupyter_password", password)


def fill_resources(pg, cpus: str, mem_gb: str, storage_gb: str) -> None:
    pg.get_by_role("tab", name="Resources", exact=True).click()
    pg.select_option("#f-num_cpus", cpus)
    pg.fill("#f-mem_size", mem_gb)
    pg.fill("#f-storage_size", storage_gb)


def deployed_with_secret(pg, server: str, made_ids: list[str], password: str) -> dict:  # noqa: F811
    """Deploy the filled form; the API's view of the deployment, which never shows the password."""
    dep = api_view(server, deployed(pg, made_ids))
    assert password not in json.dumps(dep)
    return dep


def hub_owner(outputs: dict, password: str) -> HubSession:
    """The owner, logged in to the hub with the password the form set."""
    owner = HubSession(outputs["jupyter_endpoint"], outputs["jupyter_user"])
    assert not owner.login(password + "-not"), "the hub let a wrong password in"
    assert owner.login(password)
    return owner


def limits(container: str) -> tuple[int, int]:
    host = inspect(container)["HostConfig"]
    return host["NanoCpus"], host["Memory"]


def deleted(pg, dep_id: str) -> None:
    delete_from_the_list(pg, dep_id)
    assert docker_objects_of(dep_id) == []


def test_ml_infn_form_with_its_fields_changed_runs_scikit_learn(
    page,  # noqa: F811
    server,  # noqa: F811
    made,  # noqa: F811
    ml_image,  # noqa: F811
):
    password = secrets.token_urlsafe(12)
    page.goto("/ui/catalogue/ml-infn")
    site = change_the_deployment_options(page, "machine learning from the browser")
    fill_jupyter_tab(page, password)
    page.locator("#f-enable_monitoring").check()
    fill_resources(page, cpus="2", mem_gb="3", storage_gb="2")
    screenshot(page, "ml-infn-form-fields-changed")
    dep = deployed_with_secret(page, server, made, password)
    assert dep["cloudProviderName"] == site
    out = dep["outputs"]
    (node,) = containers_of(dep["uuid"])
    assert limits(node) == (2 * GB, 3 * GB)
    assert inspect(node)["Config"]["Image"] == VM_JUPYTER_ML_12
    assert out["notebooks_size"] == "2 GB", out
    # the monitoring asked for runs, behind the hub's user and the form's password
    build = f"{out['monitoring_endpoint']}api/v1/status/buildinfo"
    assert httpx.get(build, timeout=10).status_code == 401
    assert httpx.get(build, auth=(out["jupyter_user"], password), timeout=10).status_code == 200
    owner = hub_owner(out, password)
    owner.start_server(timeout=180)
    assert cell_result(owner.run_cell(SKLEARN_CELL, timeout=120)) == "[0, 1]"
    owner.close()
    deleted(page, dep["uuid"])


IMAGE_CELL = """
import sklearn
print("RESULT", sklearn.__name__)
"""


def test_cygno_form_with_a_local_image_runs_it(page, server, made, ml_image):  # noqa: F811
    password = secrets.token_urlsafe(12)
    page.goto("/ui/catalogue/cygno")
    page.fill("#f-description", "cygno analysis from the browser")
    fill_jupyter_tab(page, password)
    page.fill("#f-jupyter_images", VM_JUPYTER_ML_12)
    fill_resources(page, cpus="1", mem_gb="2", storage_gb="1")
    screenshot(page, "cygno-form-fields-changed")
    dep = deployed_with_secret(page, server, made, password)
    (node,) = containers_of(dep["uuid"])
    assert inspect(node)["Config"]["Image"] == VM_JUPYTER_ML_12
    assert limits(node) == (1 * GB, 2 * GB)
    assert dep["outputs"]["notebooks_size"] == "1 GB"
    owner = hub_owner(dep["outputs"], password)
    owner.start_server(timeout=180)
    assert cell_result(owner.run_cell(IMAGE_CELL, timeout=120)) == "sklearn"
    owner.close()
    deleted(page, dep["uuid"])


def test_spark_form_with_one_bigger_worker_deploys_it(page, server, made, spark_image):  # noqa: F811
    password = secrets.token_urlsafe(12)
    page.goto("/ui/catalogue/spark-jupyter")
    change_the_deployment_options(page, "spark from the browser")
    page.get_by_role("tab", name="Cluster", exact=True).click()
    page.fill("#f-slave_num", "1")
    page.select_option("#f-slave_cpus", "2")
    page.fill("#f-slave_mem", "3")
    page.fill("#f-spark_executor_mem", "1024")
    page.fill("#f-spark_driver_mem", "768")
    fill_jupyter_tab(page, password)
    page.fill("#f-storage_size", "1")
    page.get_by_role("tab", name="Resources", exact=True).click()
    page.select_option("#f-master_cpus", "2")
    page.fill("#f-master_mem", "2")
    screenshot(page, "spark-jupyter-form-fields-changed")
    dep = deployed_with_secret(page, server, made, password)
    out = dep["outputs"]
    nodes = [inspect(c) for c in containers_of(dep["uuid"])]
    assert {n["Config"]["Image"] for n in nodes} == {VM_SPARK_12}
    assert len(nodes) == 3  # the master, one worker, the hub
    master = httpx.get(out["spark_master_endpoint"].rstrip("/") + "/json/", timeout=30).json()
    (worker,) = master["workers"]
    assert master["aliveworkers"] == 1 and worker["state"] == "ALIVE", master
    assert worker["cores"] == 2, worker
    assert worker["memory"] == 3 * GB // MIB - WORKER_OWN_MIB, worker
    assert (2 * GB, 2 * GB) in [limits(n["Id"]) for n in nodes]  # the master's
    hub_owner(out, password).close()
    deleted(page, dep["uuid"])
