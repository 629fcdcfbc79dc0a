""" "Jupyter with persistence" on a site that pulls (issue 16, item 5): cumulo's own
image, published to a registry with ``scripts/build-images.sh push``, is pulled by a
Docker engine that has no image at all (a second dockerd of the test's own,
``own_dockerd.py``), and the template deployed through the API on that site serves
its hub at jupyter_endpoint. The push (741 MB, about 40 s here) and the pull (with the
deployment, about 30 s) make it the slow one of the pulling tests: it runs once, on
the embedded database (it takes no ``module_database_url``)."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml
from e2e_helpers import (
    auth,
    catalogue_template,
    cumulo_env,
    delete_and_wait_gone,
    serving,
    wait_final,
)
from hub_session import HubSession
from local_registry import Registry, local_registry
from local_registry import why_not as no_registry
from own_dockerd import OwnDockerd
from own_dockerd import why_not as no_own_engine

from cumulo.drivers.docker_images import VM_JUPYTER_12, build_script

pytestmark = [pytest.mark.e2e, pytest.mark.service]

SITE = "pulling-empty"


@pytest.fixture(scope="module")
def published(docker_ready: None) -> Iterator[Registry]:
    """A registry holding cumulo/vm-jupyter:12, pushed by the admin's command."""
    problem = no_registry() or no_own_engine()
    if problem:
        pytest.skip(problem)
    if subprocess.run(
        ["docker", "image", "inspect", VM_JUPYTER_12], capture_output=True
    ).returncode:
        pytest.skip(f"image {VM_JUPYTER_12} missing: run scripts/build-images.sh")
    with local_registry() as registry:
        started = time.monotonic()
        done = subprocess.run([str(build_script()), "push", registry.host, VM_JUPYTER_12],
                              capture_output=True, text=True, timeout=900)  # fmt: skip
        assert done.returncode == 0, done.stderr
        print(f"pushed {VM_JUPYTER_12} in {time.monotonic() - started:.1f} s")
        assert registry.has("cumulo/vm-jupyter", "12")
        # the push leaves no registry tag behind on the machine's engine
        tagged = f"{registry.host}/{VM_JUPYTER_12}"
        assert subprocess.run(["docker", "image", "inspect", tagged],
                              capture_output=True).returncode  # fmt: skip
        yield registry


@pytest.fixture(scope="module")
def empty_engine(published: Registry) -> Iterator[OwnDockerd]:
    own = OwnDockerd()
    try:
        own.start()
        yield own
    finally:
        own.remove()


@pytest.fixture(scope="module")
def server(
    published: Registry, empty_engine: OwnDockerd, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-pulling-hub")
    site = {"name": SITE, "public": True, "endpoint": empty_engine.endpoint,
            "images": {"jupyter": {"12": VM_JUPYTER_12}},
            "capabilities": {"public_images": True},
            "options": {"registry": published.host}}  # fmt: skip
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [site]}))
    env = cumulo_env()  # the embedded database only: the PostgreSQL pass skips this slow one
    with serving(data, "--workers", "2", "--sites-file", str(sites_file), env=env) as url:
        yield url


def test_the_jupyter_template_runs_on_a_site_that_pulls_cumulos_image(
    server: str, published: Registry, empty_engine: OwnDockerd
) -> None:
    pulled = f"{published.host}/{VM_JUPYTER_12}"
    assert empty_engine.docker("image", "inspect", pulled, check=False).returncode  # none yet
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "storage_size": "1 GB", "mem_size": "1 GB"}
    body = {"template": catalogue_template("jupyter"), "parameters": params, "site": SITE}
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 201, r.text
    dep_id = r.json()["uuid"]
    try:
        started = time.monotonic()
        dep = wait_final(server, dep_id, timeout=600)
        print(f"pulled and deployed in {time.monotonic() - started:.1f} s")
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        assert dep["cloudProviderName"] == SITE
        log = httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server)).text
        assert f"waiting for image {VM_JUPYTER_12} to be pulled from {published.host}" in log
        # the engine got it under the registry's name only
        assert empty_engine.docker("image", "inspect", pulled, check=False).returncode == 0
        bare = empty_engine.docker("image", "inspect", VM_JUPYTER_12, check=False)
        assert bare.returncode != 0
        out = dep["outputs"]
        endpoint = out["jupyter_endpoint"]
        assert httpx.get(f"{endpoint}hub/api", timeout=10).status_code == 200
        owner = HubSession(endpoint, out["jupyter_user"])
        assert owner.login(password)
        owner.close()
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    label = f"label=cumulo.deployment={dep_id}"
    for kind in (["ps", "-aq"], ["volume", "ls", "-q"], ["network", "ls", "-q"]):
        assert empty_engine.docker(*kind, "--filter", label).stdout.split() == [], kind
