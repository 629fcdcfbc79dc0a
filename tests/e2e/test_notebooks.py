""" "Jupyter with persistence for Notebooks" end to end: a real server deploys the
catalogue's template on the real Docker engine; the owner logs in to the hub, runs
a cell, saves a notebook that outlives a stop and start of the node (and, once the
engine allows, an update); others are refused; a delete leaves nothing, the notebooks
volume included."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from e2e_helpers import (
    auth,
    catalogue_template,
    containers_of,
    create_deployment,
    delete_and_wait_gone,
    serving,
    volumes_of,
    wait_final,
)
from hub_session import HubSession, node_action, wait_until

from cumulo.drivers.docker_images import VM_JUPYTER_12

pytestmark = [pytest.mark.e2e, pytest.mark.service]

CELL = {"cell_type": "code", "source": "answer = 6 * 7", "metadata": {}, "outputs": []}
NOTEBOOK = {
    "cells": [{**CELL, "execution_count": None}],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def hub_image(docker_ready: None) -> None:
    found = subprocess.run(["docker", "image", "inspect", VM_JUPYTER_12], capture_output=True)
    if found.returncode:
        pytest.skip(f"image {VM_JUPYTER_12} missing: run scripts/build-images.sh")


def _create_hub(server: str, **more: Any) -> tuple[str, str]:
    """A small hub deployment (1 GB memory and notebooks): its owner's password and id."""
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "storage_size": "1 GB", "mem_size": "1 GB", **more}
    return password, create_deployment(server, "jupyter", params)


def _wait_complete(server: str, dep_id: str) -> dict[str, Any]:
    dep = wait_final(server, dep_id, timeout=240)
    assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
    return dep


def _hub_port(container: str) -> str:
    """The host port Docker bound the hub's port to now (a restart binds a new one)."""
    out = subprocess.run(["docker", "port", container, "8000/tcp"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return out.stdout.split()[0].rsplit(":", 1)[1]


def _outputs(server: str, dep_id: str) -> dict[str, Any]:
    return httpx.get(f"{server}/deployments/{dep_id}", headers=auth(server), timeout=10).json()[
        "outputs"
    ]


def _hub_answers(endpoint: str) -> bool:
    try:
        return httpx.get(f"{endpoint}hub/api", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_owner_keeps_notebooks_across_stop_and_start(server: str, hub_image: None) -> None:
    password, dep_id = _create_hub(server)
    try:
        dep = _wait_complete(server, dep_id)
        out = dep["outputs"]
        assert out["jupyter_endpoint"].startswith("http://127.0.0.1:")
        assert out["node_ip"] == "127.0.0.1"
        assert any(u["os_user_name"] == out["jupyter_user"] for u in out["os_users"])
        log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server)).text
        assert password not in json.dumps(dep) and password not in log

        endpoint, user = out["jupyter_endpoint"], out["jupyter_user"]
        intruder, wrong = HubSession(endpoint, "intruder"), HubSession(endpoint, user)
        assert not wrong.login(password + "x"), "a wrong password got in"
        assert not intruder.login(password), "another user name got in"
        wrong.close()
        intruder.close()
        with pytest.raises(httpx.TransportError):  # monitoring is off unless asked
            httpx.get(out["monitoring_endpoint"], timeout=5)
        owner = HubSession(endpoint, user)
        assert owner.login(password)
        owner.start_server()
        assert owner.run_cell("import os\nprint(os.getcwd())\n6 * 7") == f"/notebooks/{user}\n42"
        owner.save_notebook("kept.ipynb", NOTEBOOK)
        owner.close()

        node_action(server, dep_id, "stop", "STOPPED")
        container = node_action(server, dep_id, "start", "STARTED")
        # the local site keeps the node's host ports: the hub is where it was
        assert f"http://127.0.0.1:{_hub_port(container)}/" == endpoint
        shown = _outputs(server, dep_id)["jupyter_endpoint"]
        wait_until(lambda: _hub_answers(endpoint), "answering after the start")
        again = HubSession(endpoint, user)
        assert again.login(password)
        again.start_server()
        kept = again.read_notebook("kept.ipynb")
        assert kept is not None, "the notebook is gone after stop and start"
        assert kept["cells"][0]["source"] == "answer = 6 * 7"
        assert again.run_cell("print(open('kept.ipynb').read().count('6 * 7'))") == "1\n"
        again.close()
        assert volumes_of(dep_id), "the notebooks volume is missing"
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == []
    assert volumes_of(dep_id) == []
    assert shown == endpoint


@pytest.mark.parametrize("name", ["iam_groups", "iam_admin_groups"])
def test_oidc_groups_without_a_provider_are_refused_at_post(server: str, name: str) -> None:
    params = {"jupyter_password": secrets.token_urlsafe(12), name: ["physics"]}
    body = {"template": catalogue_template("jupyter"), "parameters": params}
    before = httpx.get(f"{server}/deployments", headers=auth(server), timeout=10).json()
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert message.startswith(f"inputs.{name}: ") and "OIDC provider" in message
    after = httpx.get(f"{server}/deployments", headers=auth(server), timeout=10).json()
    assert after["page"]["totalElements"] == before["page"]["totalElements"]  # nothing stored


def test_too_little_memory_is_refused_at_post(server: str, hub_image: None) -> None:
    params = {"jupyter_password": secrets.token_urlsafe(12), "mem_size": "512 MB"}
    body = {"template": catalogue_template("jupyter"), "parameters": params}
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 400, r.text
    assert "mem_size" in r.json()["message"]


def test_an_image_the_site_lacks_fails_the_create_naming_it(server: str, hub_image: None) -> None:
    params = {"jupyter_password": secrets.token_urlsafe(12), "jupyter_images": "team/nope:1"}
    dep_id = create_deployment(server, "jupyter", params)
    try:
        dep = wait_final(server, dep_id, timeout=120)
        assert dep["status"] == "CREATE_FAILED"
        assert "team/nope:1" in dep["statusReason"]
    finally:
        delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []


def test_an_update_keeps_the_notebooks(server: str, hub_image: None) -> None:
    password, dep_id = _create_hub(server)
    try:
        dep = _wait_complete(server, dep_id)
        user, volumes = dep["outputs"]["jupyter_user"], volumes_of(dep_id)
        owner = HubSession(dep["outputs"]["jupyter_endpoint"], user)
        assert owner.login(password)
        owner.start_server()
        owner.save_notebook("kept.ipynb", NOTEBOOK)
        owner.close()
        # more memory: the node is made again, its volume must stay
        r = httpx.put(f"{server}/deployments/{dep_id}", headers=auth(server),
                      json={"parameters": {"mem_size": "2 GB"}}, timeout=30)  # fmt: skip
        assert r.status_code == 202, r.text
        dep = wait_final(server, dep_id, timeout=240)
        assert dep["status"] == "UPDATE_COMPLETE", dep.get("statusReason")
        assert volumes_of(dep_id) == volumes
        endpoint = dep["outputs"]["jupyter_endpoint"]
        wait_until(lambda: _hub_answers(endpoint), "answering after the update")
        updated = HubSession(endpoint, user)
        assert updated.login(password)
        updated.start_server()
        assert updated.read_notebook("kept.ipynb") is not None, "the notebook is gone"
        updated.close()
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []


def test_monitoring_is_read_by_the_owner_alone(server: str, hub_image: None) -> None:
    password, dep_id = _create_hub(server, enable_monitoring=True)
    try:
        out = _wait_complete(server, dep_id)["outputs"]
        endpoint, user = out["monitoring_endpoint"], out["jupyter_user"]
        assert endpoint.startswith("http://127.0.0.1:")
        query = f"{endpoint}api/v1/query"
        params = {"query": "node_memory_MemTotal_bytes"}

        def memory() -> list[dict[str, Any]]:
            r = httpx.get(query, params=params, auth=(user, password), timeout=10)
            assert r.status_code == 200, r.text
            return r.json()["data"]["result"]

        # the first scrape comes within one interval (15 s)
        wait_until(lambda: bool(memory()), "scraped", timeout=60)
        (sample,) = memory()
        assert sample["metric"]["job"] == "node" and int(sample["value"][1]) > 0
        for anyone in (None, (user, password + "x"), ("intruder", password)):
            r = httpx.get(query, params=params, auth=anyone, timeout=10)
            assert r.status_code == 401, f"{anyone and anyone[0]} got {r.status_code}"
        r = httpx.get(f"{endpoint}metrics", timeout=10)
        assert r.status_code == 401, "Prometheus's own metrics are open"
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []


@pytest.fixture(scope="module")
def cvmfs_server(
    hub_image: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A server whose Docker site lends its nodes a read-only software area at /cvmfs
    and offers an experiment's image: (its URL, the site's name)."""
    data = tmp_path_factory.mktemp("cumulo-cygno")
    area = data / "cvmfs"
    (area / "cygno.infn.it").mkdir(parents=True)
    (area / "cygno.infn.it" / "setup.sh").write_text("export CYGNO_SW=1\n")
    area.chmod(0o755)
    site = {"name": "cvmfs-site", "public": True, "endpoint": "unix:///var/run/docker.sock",
            "images": {"cygno": {"1": VM_JUPYTER_12}},
            "options": {"readonly_mounts": {"cvmfs": str(area)}}}  # fmt: skip
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [site]}))
    with serving(data, "--workers", "2", "--sites-file", str(sites_file)) as url:
        yield url, site["name"]


def _create_on(server: str, site: str, name: str, params: dict[str, Any]) -> str:
    body = {"template": catalogue_template(name), "parameters": params, "site": site}
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]


def test_cygno_notebooks_read_the_sites_software_area_but_cannot_write_it(
    cvmfs_server: tuple[str, str],
) -> None:
    server, site = cvmfs_server
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "jupyter_images": VM_JUPYTER_12,
              "storage_size": "1 GB", "mem_size": "1 GB"}  # fmt: skip
    dep_id = _create_on(server, site, "cygno", params)
    try:
        out = _wait_complete(server, dep_id)["outputs"]
        owner = HubSession(out["jupyter_endpoint"], out["jupyter_user"])
        assert owner.login(password)
        owner.start_server()
        read = "print(open('/cvmfs/cygno.infn.it/setup.sh').read(), end='')"
        assert owner.run_cell(read) == "export CYGNO_SW=1\n"
        write = (
            "try:\n    open('/cvmfs/mine', 'w')\nexcept OSError as e:\n"
            "    print(type(e).__name__, e.errno)"
        )
        assert owner.run_cell(write) == "OSError 30\n"  # EROFS: read-only file system
        owner.close()
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []


def test_cygno_with_an_image_the_site_lacks_fails_naming_it(
    cvmfs_server: tuple[str, str],
) -> None:
    server, site = cvmfs_server
    params = {"jupyter_password": secrets.token_urlsafe(12), "jupyter_images": "cygno/nope:1"}
    dep_id = _create_on(server, site, "cygno", params)
    try:
        dep = wait_final(server, dep_id, timeout=120)
        assert dep["status"] == "CREATE_FAILED"
        assert "does not offer the image 'cygno/nope:1'" in dep["statusReason"]
    finally:
        delete_and_wait_gone(server, dep_id)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []
