"""A node's host ports stay across stop and start on the local site (real Docker engine):
cumulo pins the free ports it leaves to no template, so endpoints in outputs and in a
node's configuration (a notebook hub's OIDC redirect URI) keep working."""

from __future__ import annotations

import pytest
from driver_helpers import deadline, http_get, labelled, run_request

from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker import driver as docker_driver

pytestmark = pytest.mark.e2e


def test_a_free_port_is_the_same_after_stop_and_start(
    driver: DockerDriver, deployment: str, engine
) -> None:
    request = run_request(deployment, docker_ports=[8080])
    realized = driver.wait_ready(request, driver.create(request), deadline())
    port = realized.attributes["ports"]["8080/tcp"]
    bound = engine.containers.get(realized.physical_id).attrs["HostConfig"]["PortBindings"]
    assert bound["8080/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
    driver.stop(realized.physical_id)
    again = driver.start(realized.physical_id)
    assert again["ports"] == {"8080/tcp": port}
    driver.wait_ready(request, realized, deadline())
    assert "cumulo httpd" in http_get(f"http://127.0.0.1:{port}/")


def test_a_pinned_port_taken_before_the_start_is_picked_again(
    driver: DockerDriver, deployment: str, engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_start = docker_driver.DockerDriver._start_new
    calls = []

    def start_once_taken(self, request, container, spec):  # the first pick is lost to a race
        calls.append([p.host_port for p in spec.ports])
        if len(calls) == 1:
            self._remove(container.id)
            raise docker_driver.PortTaken("port is already allocated")
        return real_start(self, request, container, spec)

    monkeypatch.setattr(docker_driver.DockerDriver, "_start_new", start_once_taken)
    request = run_request(deployment, docker_ports=[8080])
    realized = driver.wait_ready(request, driver.create(request), deadline())
    assert len(calls) == 2 and all(ports[0] for ports in calls)
    assert realized.attributes["ports"] == {"8080/tcp": calls[1][0]}
    assert len(labelled(engine, deployment)) == 1  # the first container was removed
