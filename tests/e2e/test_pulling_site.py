"""A Docker site that pulls (issue 16, item 5): ``capabilities.public_images`` with
``options.registry`` set to a real registry (Debian's docker-registry on 127.0.0.1).

An image only that registry holds (pushed here, its local copy removed, so the
pull downloads it) is pulled in the background while the deployment says so, run
under the registry's name, and serves, by a "Run docker" container and by a compose
service (the site's compose policy does not require local images); an image the
registry lacks fails the node naming the image and the registry's answer; an image
at a host the site does not pull from is refused at the request, before anything is
stored or asked (in a compose file, which the scheduler does not read, at its create).
"""

from __future__ import annotations

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
    cumulo_env,
    delete_and_wait_gone,
    serving,
    wait_final,
)
from local_registry import Registry, local_registry, why_not

pytestmark = pytest.mark.e2e

SITE = "pulling"
BASE = "cumulo/httpd:1"


@pytest.fixture(scope="module")
def registry(docker_ready: None) -> Iterator[Registry]:
    problem = why_not()
    if problem:
        pytest.skip(problem)
    with local_registry() as reg:
        yield reg


@pytest.fixture
def only_in_registry(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    tuple[str, str]
]:  # fmt: skip
    """A Docker Hub-style name (``cumulo-test/httpd-HEX:1``) that only the registry holds:
    cumulo/httpd:1 plus a layer of its own (a file with random text), pushed, then removed
    here (tag and layer), so a pull must download it. (The name, the file's text.)"""
    name = f"cumulo-test/httpd-{secrets.token_hex(4)}:1"
    pushed = f"{registry.host}/{name}"
    text = secrets.token_hex(16)
    page = tmp_path_factory.mktemp("page") / "pulled.txt"
    page.write_text(text)
    cid = _docker("create", BASE).strip()
    try:
        _docker("cp", str(page), f"{cid}:/www/pulled.txt")
        _docker("commit", cid, pushed)
    finally:
        _docker("rm", "-f", cid)
    _docker("push", "-q", pushed)
    _docker("image", "rm", pushed)
    assert not _image_exists(pushed)
    try:
        yield name, text
    finally:
        subprocess.run(["docker", "image", "rm", "-f", pushed], capture_output=True)


@pytest.fixture(scope="module")
def pulling_server(
    registry: Registry, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-pulling")
    site = {"name": SITE, "public": True, "endpoint": "unix:///var/run/docker.sock",
            "images": {"debian": {"12": "cumulo/vm-debian:12"}},
            "capabilities": {"public_images": True},
            "options": {"registry": registry.host,
                        "compose_policy": {"require_local_images": False}}}  # fmt: skip
    sites_file = data / "sites.yaml"
    sites_file.write_text(yaml.safe_dump({"sites": [site]}))
    env = cumulo_env(module_database_url)
    with serving(data, "--workers", "2", "--sites-file", str(sites_file), env=env) as url:
        yield url


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True)
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout


def _image_exists(image: str) -> bool:
    return (
        subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    )


def _run_docker(server: str, image: str) -> str:
    repository, tag = image.rsplit(":", 1)
    params = {"docker_image": repository, "docker_tag": tag, "docker_ports": [8080]}
    return create_deployment(server, "run-docker", params)


def _log(server: str, dep_id: str) -> str:
    return httpx.get(f"{server}/deployments/{dep_id}/log", headers=auth(server), timeout=10).text


def test_an_image_only_the_registry_has_is_pulled_then_served(
    pulling_server: str, registry: Registry, only_in_registry: tuple[str, str]
) -> None:
    image, text = only_in_registry
    dep_id = _run_docker(pulling_server, image)
    try:
        dep = wait_final(pulling_server, dep_id, timeout=180)
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        assert dep["cloudProviderName"] == SITE
        (url,) = dep["outputs"]["endpoints"]
        assert httpx.get(f"{url}/pulled.txt", timeout=5).text == text
        # pulled while the deployment waited, and said so
        assert f"waiting for image {image} to be pulled from {registry.host}" in _log(
            pulling_server, dep_id
        )
        # run under the registry's name; the bare name was never given to it
        pulled = f"{registry.host}/{image}"
        assert _image_exists(pulled) and not _image_exists(image)
        (container,) = containers_of(dep_id)
        assert _docker("inspect", "-f", "{{.Config.Image}}", container).strip() == pulled
    finally:
        delete_and_wait_gone(pulling_server, dep_id)
    assert containers_of(dep_id) == []


def test_an_image_the_registry_lacks_fails_naming_it_and_the_registrys_answer(
    pulling_server: str, registry: Registry
) -> None:
    image = f"cumulo-test/absent-{secrets.token_hex(4)}:1"
    dep_id = _run_docker(pulling_server, image)
    try:
        dep = wait_final(pulling_server, dep_id, timeout=120)
        assert dep["status"] == "CREATE_FAILED"
        reason = dep["statusReason"]
        assert f"image {image}" in reason and f"from {registry.host}" in reason, reason
        assert "manifest unknown" in reason, reason  # the registry's own answer
        assert containers_of(dep_id) == []
    finally:
        delete_and_wait_gone(pulling_server, dep_id)
    assert not _image_exists(f"{registry.host}/{image}")


@pytest.mark.parametrize("image", ["169.254.169.254/latest/meta-data:1", "127.0.0.1:2375/x:1"])
def test_an_image_at_a_host_the_site_does_not_pull_from_is_refused_at_the_request(
    pulling_server: str, registry: Registry, image: str
) -> None:
    before_requests = registry.requests()
    listed = httpx.get(f"{pulling_server}/deployments", headers=auth(pulling_server)).json()
    repository, tag = image.rsplit(":", 1)
    body = {
        "template": catalogue_template("run-docker"),
        "parameters": {"docker_image": repository, "docker_tag": tag},
    }
    r = httpx.post(f"{pulling_server}/deployments", headers=auth(pulling_server), json=body,
                   timeout=30)  # fmt: skip
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert f"image {image} cannot be pulled on site {SITE}" in message, message
    assert f"its registry {repository.split('/')[0]} is not one the site pulls from" in message
    after = httpx.get(f"{pulling_server}/deployments", headers=auth(pulling_server)).json()
    assert after.get("content") == listed.get("content")  # nothing stored
    assert registry.requests() == before_requests  # nothing asked of any registry


def test_a_compose_service_gets_its_image_pulled_and_a_host_not_allowed_refused(
    pulling_server: str, registry: Registry, only_in_registry: tuple[str, str]
) -> None:
    image, text = only_in_registry
    mine = f"services:\n  site:\n    image: {image}\n    ports: ['8080']\n"
    dep_id = _on_site(pulling_server, "docker-compose", {"docker_compose_file_content": mine})
    try:
        dep = wait_final(pulling_server, dep_id, timeout=180)
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        url = dep["outputs"]["endpoints"]["site"]
        assert httpx.get(f"{url}/pulled.txt", timeout=5).text == text
        assert f"waiting for image {image} to be pulled" in _log(pulling_server, dep_id)
        assert _image_exists(f"{registry.host}/{image}") and not _image_exists(image)
    finally:
        delete_and_wait_gone(pulling_server, dep_id, timeout=120)
    assert containers_of(dep_id) == []

    asked = registry.requests()
    theirs = "services:\n  x:\n    image: 127.0.0.1:2375/x:1\n"
    dep_id = _on_site(pulling_server, "docker-compose", {"docker_compose_file_content": theirs})
    try:
        dep = wait_final(pulling_server, dep_id, timeout=120)
        assert dep["status"] == "CREATE_FAILED"
        reason = dep["statusReason"]
        assert "(service x): image 127.0.0.1:2375/x:1 cannot be pulled on site" in reason, reason
        assert containers_of(dep_id) == []
    finally:
        delete_and_wait_gone(pulling_server, dep_id)
    assert registry.requests() == asked


def _on_site(server: str, name: str, params: dict[str, Any]) -> str:
    body = {"template": catalogue_template(name), "parameters": params, "site": SITE}
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["uuid"]
