"""Docker application nodes on the real Docker engine: containers on 127.0.0.1 ports."""

from __future__ import annotations

import socket
import time

import pytest
from driver_helpers import deadline, free_port, http_get, labelled, run_request

from cumulo.drivers.base import NodeRequest, SiteInfo
from cumulo.drivers.docker import DockerDriver, readiness
from cumulo.errors import DriverTimeout, ImageNotFound, SiteError

pytestmark = pytest.mark.e2e

SERVE_ENV = "env > /www/env.txt && exec httpd -f -p 8080 -h /www"


def test_run_docker_serves_its_page(driver: DockerDriver, deployment: str, engine) -> None:
    request = run_request(
        deployment,
        docker_ports=[8080],
        docker_command=f"sh -c '{SERVE_ENV}'",
        environment_variables=[{"GREETING": "hello world"}, {"DEBUG": True}],
    )
    realized = driver.wait_ready(request, driver.create(request), deadline())
    attrs = realized.attributes
    port = attrs["ports"]["8080/tcp"]
    assert attrs["endpoints"] == [f"http://127.0.0.1:{port}"]
    assert attrs["public_address"] == ["127.0.0.1"]
    assert "cumulo httpd" in http_get(attrs["endpoints"][0])
    env = http_get(f"http://127.0.0.1:{port}/env.txt").splitlines()
    assert {"HOST_PUBLIC_IP=127.0.0.1", "GREETING=hello world", "DEBUG=true"} <= set(env)
    host = engine.containers.get(realized.physical_id).attrs["HostConfig"]
    assert (host["NanoCpus"], host["Memory"]) == (500_000_000, 64_000_000)
    assert host["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"


def test_the_port_asked_for_is_the_one_published(driver: DockerDriver, deployment: str) -> None:
    port = free_port()
    request = run_request(deployment, docker_ports=[f"{port}:8080"])
    attrs = driver.wait_ready(request, driver.create(request), deadline()).attributes
    assert attrs["ports"] == {"8080/tcp": port}
    assert "cumulo httpd" in http_get(f"http://127.0.0.1:{port}/")


def test_normative_docker_application_with_image_artifact(
    driver: DockerDriver, deployment: str
) -> None:
    types = (
        "tosca.nodes.indigo.Container.Application.Docker",
        "tosca.nodes.Container.Application.Docker",
        "tosca.nodes.Container.Application",
        "tosca.nodes.Root",
    )
    request = NodeRequest(
        deployment_id=deployment,
        node="web",
        index=0,
        type=types[0],
        types=types,
        properties={"environment_variables": {"A": "1"}},
        capabilities={"host": {"publish_ports": [{"protocol": "tcp", "source": 8080}]}},
        artifacts={
            "image": {
                "file": "cumulo/httpd:1",
                "type": "tosca.artifacts.Deployment.Image.Container.Docker",
            }
        },
    )
    assert driver.realizes(request)
    attrs = driver.wait_ready(request, driver.create(request), deadline()).attributes
    assert "cumulo httpd" in http_get(attrs["endpoints"][0])


def test_create_is_idempotent(driver: DockerDriver, deployment: str, engine) -> None:
    request = run_request(deployment, docker_ports=[8080])
    assert driver.create(request).physical_id == driver.create(request).physical_id
    assert len(labelled(engine, deployment)) == 1


def test_delete_deployment_removes_exactly_its_containers(
    driver: DockerDriver, make_deployment, engine
) -> None:
    doomed, kept = make_deployment(), make_deployment()
    made = [driver.create(run_request(doomed, node=n)).physical_id for n in ("a", "b")]
    other = driver.create(run_request(kept, node="a")).physical_id
    assert sorted(driver.delete_deployment(doomed)) == sorted(made)
    assert labelled(engine, doomed) == []
    assert engine.containers.get(other).status == "running"
    assert driver.delete_deployment(doomed) == []


def test_missing_image_fails_and_leaves_nothing(driver: DockerDriver, deployment, engine):
    request = run_request(deployment, docker_image="nosuch/image", docker_tag="")
    with pytest.raises(ImageNotFound) as err:
        driver.create(request)
    assert "node app: image nosuch/image:latest not found on site test-local" in str(err.value)
    assert labelled(engine, deployment) == []


def test_host_port_taken_fails_and_leaves_nothing(driver: DockerDriver, deployment, engine):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SiteError) as err:
            driver.create(run_request(deployment, docker_ports=[f"{port}:8080"]))
    assert "node app" in str(err.value) and "already in use" in str(err.value)
    assert labelled(engine, deployment) == []


def test_a_container_that_dies_fails_with_its_logs(driver: DockerDriver, deployment: str) -> None:
    request = run_request(
        deployment, docker_ports=[8080], docker_command="sh -c 'echo boom-marker >&2; exit 3'"
    )
    started = time.monotonic()
    with pytest.raises(SiteError) as err:
        driver.wait_ready(request, driver.create(request), deadline(60))
    assert time.monotonic() - started < 30  # ended by the death, not the deadline
    message = str(err.value)
    assert "node app" in message and "exit code 3" in message and "boom-marker" in message
    assert not isinstance(err.value, DriverTimeout)


def test_deadline_gives_driver_timeout(driver: DockerDriver, deployment: str) -> None:
    request = run_request(deployment, docker_ports=[8080], docker_command="sleep 60")
    with pytest.raises(DriverTimeout) as err:
        driver.wait_ready(request, driver.create(request), deadline(1))
    assert "node app" in str(err.value) and "8080" in str(err.value)


def test_bad_ports_are_reported_with_their_place(driver: DockerDriver, deployment, engine):
    with pytest.raises(SiteError) as err:
        driver.create(run_request(deployment, docker_ports=["http"]))
    assert "node app: properties.docker_ports" in str(err.value)
    assert labelled(engine, deployment) == []


def test_unreachable_engine_is_a_site_error(tmp_path) -> None:
    driver = DockerDriver(SiteInfo(name="gone", endpoint=f"unix://{tmp_path}/no.sock"))
    with pytest.raises(SiteError) as err:
        driver.ping()
    assert "site gone" in str(err.value) and "unreachable" in str(err.value)
    with pytest.raises(SiteError):
        driver.create(run_request("d0"))


def test_observe_reports_states(driver: DockerDriver, deployment: str, engine) -> None:
    request = run_request(deployment, docker_command="sh -c 'exit 0'")
    realized = driver.create(request)
    engine.containers.get(realized.physical_id).wait(timeout=30)
    assert driver.observe(realized.physical_id) == "STOPPED"
    driver.start(realized.physical_id)
    driver.delete(realized.physical_id)
    assert driver.observe(realized.physical_id) == "DELETED"
    with pytest.raises(SiteError):
        driver.stop(realized.physical_id)


def test_readiness_without_a_view_into_the_container(
    driver: DockerDriver, deployment: str, monkeypatch
) -> None:
    """As with a remote engine: only the published port tells; the proxy's
    immediate close must read as "not listening", a real server as ready."""
    monkeypatch.setattr(readiness, "_listening_in_container", lambda *args: None)
    silent = run_request(deployment, node="silent", docker_ports=[8080], docker_command="sleep 60")
    with pytest.raises(DriverTimeout):
        driver.wait_ready(silent, driver.create(silent), deadline(1))
    late = run_request(
        deployment,
        docker_ports=[8080],
        docker_command="sh -c 'sleep 1; exec httpd -f -p 8080 -h /www'",
    )
    attrs = driver.wait_ready(late, driver.create(late), deadline()).attributes
    assert "cumulo httpd" in http_get(attrs["endpoints"][0])


def test_waiting_for_a_removed_container_says_so(driver: DockerDriver, deployment: str) -> None:
    request = run_request(deployment, docker_ports=[8080])
    realized = driver.create(request)
    driver.delete(realized.physical_id)
    with pytest.raises(SiteError, match=r"node app: its container \w+ is gone"):
        driver.wait_ready(request, realized, deadline())
